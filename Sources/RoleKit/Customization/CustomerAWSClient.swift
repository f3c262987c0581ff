// The `aws` operator command of a bedrock-client node: one call from the customer's workload to its account's kms
// or s3 node (the `bedrock-sim kms …` and `bedrock-sim s3 …` commands use it). The request is SigV4-signed (service
// `kms` or `s3`) as the principal the command names, by default the account's first principal (AWSRequestSigning.swift);
// the node verifies the signature and answers with status, headers and body.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import NodeRuntime

public final class CustomerAWSClient {
    private let calls = AWSCalls()
    private let signing: ClientAuthorization

    public init(signing: ClientAuthorization) { self.signing = signing }

    /// Wires the `aws` command into a client role.
    public func install(on client: ClientRole) {
        client.extraControl = { [self] request, node in control(request, node: node) }
        client.extraReceive = { [self] envelope, peer, node in calls.handle(envelope, from: peer, node: node) }
        client.extraTimer = { [self] token, node in calls.timerFired(token, node: node) }
    }

    func control(_ request: ControlRequest, node: Node) -> Bool {
        guard request.command == "aws" else { return false }
        let args = (try? JSONValue.parse(request.body)) ?? .object([:])
        let service = args["service"]?.stringValue ?? ""
        guard let target = node.me.connects.first(where: { node.manifest.node(named: $0)?.role == service }) else {
            node.replyControl(request, json: ["error": "\(node.me.name) has no link to a '\(service)' node of its account (links: \(node.me.connects.joined(separator: ", ")))"])
            return true
        }
        var http = HTTPRequest(method: args["method"]?.stringValue ?? "POST", path: args["path"]?.stringValue ?? "/")
        if let q = args["query"]?.stringValue { http.query = q }
        if let b64 = args["bodyBase64"]?.stringValue, let d = Data(base64Encoded: b64) { http.body = Array(d) }
        else if let b = args["body"]?.stringValue { http.body = Array(b.utf8) }
        if case .object(let h)? = args["headers"] { for (k, v) in h.sorted(by: { $0.key < $1.key }) { if let s = v.stringValue { http.setHeader(k, s) } } }
        if service == "kms" {
            http.setHeader("Content-Type", "application/x-amz-json-1.1")
            http.setHeader("Host", "kms.\(node.manifest.region).amazonaws.com")
        } else {
            http.setHeader("Host", "s3.\(node.manifest.region).amazonaws.com")
        }
        let principal = args["principal"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if case .failure(let e) = signing.signAWS(&http, service: service, principal: principal) {
            node.replyControl(request, json: ["error": "\(e.errorType): \(e.message)"])
            return true
        }
        let requestId = SimIds.uuid()
        calls.call(http, to: target, requestId: requestId, timeoutMs: Double(args["deadlineMs"]?.intValue ?? 15_000), node: node) { result in
            var reply: [String: Any] = ["requestId": requestId, "node": target]
            switch result {
            case .success(let r):
                reply["httpStatus"] = r.status
                reply["headers"] = Dictionary(r.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                reply["body"] = String(decoding: r.body, as: UTF8.self)
                reply["bodyBase64"] = Data(r.body).base64EncodedString()
            case .failure(let e):
                reply["httpStatus"] = e.httpStatus; reply["error"] = "\(e.errorType): \(e.message)"
            }
            node.replyControl(request, json: reply)
        }
        return true
    }
}
