// HTTP-shaped AWS API calls between service nodes (client -> kms/s3, s3 -> kms, finetune-worker -> s3/kms,
// provisioned-host -> kms, runtime-frontend -> finetune-worker/provisioned-host). A call is an `aws-request`
// envelope carrying an encoded HTTPRequest over a CURVE link the topology allows; the answer is an `aws-response`.
//
// Caller identity:
// - The customer's own calls (a bedrock-client node -> its account's kms or s3) are SigV4-signed and verified by the
//   receiving node (AWSRequestSigning.swift); the principal is the signer's, and it must belong to the client's account.
// - Calls made by AWS services inside the simulation (s3 -> kms for SSE-KMS, finetune-worker and provisioned-host ->
//   kms/s3, front end -> finetune-worker/provisioned-host) carry the principal in the `x-sim-principal` header. This is
//   a documented stand-in for the service-to-service credentials AWS uses internally. The receiving node binds it to
//   the CURVE-authenticated sending node (`CallerResolver`): an s3 node may relay only its own account's principals;
//   only Bedrock-owned nodes may act as bedrock.amazonaws.com or as a service-role session they assumed; a client node's
//   header is ignored. The front end sets the header from the SigV4-authenticated identity, never from the client.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import IAMPolicy
import NodeRuntime

public enum SimHeader {
    /// The principal a service node acts as on a service-to-service hop (see above; never trusted from a client).
    public static let principal = "x-sim-principal"
    /// The AWS service making the call for the customer (CloudTrail `invokedBy`), e.g. bedrock.amazonaws.com.
    public static let invokedBy = "x-sim-invoked-by"
    /// The service through which the call is made (`kms:ViaService`), e.g. s3.us-east-1.amazonaws.com.
    public static let viaService = "x-sim-via-service"
    /// The VPC a Bedrock job's ENIs sit in (jobs with vpcConfig): its S3 traffic uses that VPC's gateway endpoint.
    public static let eniVpc = "x-sim-eni-vpc"
    /// Confused-deputy context the service passes along (aws:SourceArn / aws:SourceAccount).
    public static let sourceArn = "x-sim-source-arn"
    public static let sourceAccount = "x-sim-source-account"
    /// Front end -> finetune-worker / provisioned-host: the authenticated caller's account and source VPC endpoint.
    public static let callerAccount = "x-sim-caller-account"
    public static let sourceVpce = "x-sim-source-vpce"
}

public let bedrockServicePrincipal = "bedrock.amazonaws.com"

/// Outgoing AWS calls of one node, each with a completion run on the node's I/O thread.
public final class AWSCalls {
    public typealias Completion = (Result<HTTPResponse, BedrockError>) -> Void
    struct Pending { let peer: String; let token: UInt64; let completion: Completion }
    private var pending: [String: Pending] = [:]
    private var timers: [UInt64: String] = [:]
    /// Timer tokens from this range belong to AWSCalls (roles use small tokens).
    private var nextToken: UInt64 = 1 << 62

    public init() {}

    public static func owns(token: UInt64) -> Bool { token >= 1 << 62 }

    @discardableResult
    public func call(_ request: HTTPRequest, to peer: String, requestId: String, traceparent: String = "",
                     timeoutMs: Double = 10_000, node: Node, completion: @escaping Completion) -> Bool {
        let messageId = node.ids.next()
        let e = Envelope(
            type: .awsRequest, messageId: messageId, requestId: requestId, traceparent: traceparent.isEmpty ? SimIds.traceparent() : traceparent,
            source: node.address, destination: NodeAddress(node: peer, account: node.peerAccount(peer)),
            deadlineUnixMs: SimClock.unixMilliseconds() + UInt64(timeoutMs), body: request.encode())
        let token = nextToken; nextToken += 1
        pending[messageId] = Pending(peer: peer, token: token, completion: completion)
        timers[token] = messageId
        node.schedule(afterMs: timeoutMs, token: token)
        guard node.send(e, to: peer, link: .upstream(peer)) else {
            pending[messageId] = nil; timers[token] = nil
            completion(.failure(BedrockError("ServiceUnavailableException", 503, "\(peer) is not reachable.")))
            return false
        }
        return true
    }

    /// Consumes an answer to one of our calls. Returns false for anything else.
    public func handle(_ envelope: Envelope, from peer: String, node: Node) -> Bool {
        guard envelope.type == .awsResponse || envelope.type == .error, let p = pending[envelope.inReplyTo], p.peer == peer else { return false }
        pending[envelope.inReplyTo] = nil
        timers[p.token] = nil
        if envelope.type == .error {
            let b = (try? ErrorBody.decode(envelope.body)) ?? ErrorBody(errorType: "InternalServerException", message: "malformed error", httpStatus: 500)
            p.completion(.failure(BedrockError(b.errorType, b.httpStatus, b.message)))
        } else if let r = try? HTTPResponse.decode(envelope.body) {
            p.completion(.success(r))
        } else {
            p.completion(.failure(.internalFailure("malformed response from \(peer)")))
        }
        return true
    }

    public func timerFired(_ token: UInt64, node: Node) -> Bool {
        guard AWSCalls.owns(token: token) else { return false }
        guard let id = timers.removeValue(forKey: token), let p = pending.removeValue(forKey: id) else { return true }
        p.completion(.failure(BedrockError("RequestTimeout", 504, "\(p.peer) did not answer in time.")))
        return true
    }

    public func peerDown(_ peer: String) {
        for (id, p) in pending where p.peer == peer {
            pending[id] = nil; timers[p.token] = nil
            p.completion(.failure(BedrockError("ServiceUnavailableException", 503, "the connection to \(peer) was lost.")))
        }
    }
}

/// Answers an aws-request on the service socket.
public func replyAWS(_ request: Envelope, _ response: HTTPResponse, to peer: String, node: Node) {
    node.send(request.reply(.awsResponse, messageId: node.ids.next(), from: node.address, body: response.encode()),
              to: peer, link: .service)
}

/// A JSON response with the AWS error shape `{"__type","message"}` (awsJson1.1) or the rest-json one.
public func awsJSONError(_ type: String, _ status: Int, _ message: String, requestId: String) -> HTTPResponse {
    let body = JSONValue.object(["__type": .string(type), "message": .string(message)]).serialized()
    return HTTPResponse(status: status, headers: [
        HTTPHeader("Content-Type", "application/x-amz-json-1.1"), HTTPHeader("x-amzn-RequestId", requestId),
        HTTPHeader("x-amzn-ErrorType", type),
    ], body: body)
}

public func awsJSON(_ value: JSONValue, status: Int = 200, requestId: String, contentType: String = "application/x-amz-json-1.1") -> HTTPResponse {
    HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", contentType), HTTPHeader("x-amzn-RequestId", requestId)],
                 body: value.serialized())
}

/// The account field (the fifth, colon-separated) of an ARN as written, or "" when it has fewer fields: the
/// customization plane checks ownership with it (a malformed ARN belongs to no account). Lenient on purpose, unlike
/// `RequestContext.accountField(ofARN:)`, which IAM uses and which wants all six fields.
public func arnAccountField(_ arn: String) -> String {
    arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? ""
}

/// The error a JSON response carries, if any.
public func awsError(of response: HTTPResponse) -> BedrockError? {
    guard response.status >= 300 else { return nil }
    let j = try? JSONValue.parse(response.body)
    let t = j?["__type"]?.stringValue ?? response.header("x-amzn-ErrorType") ?? "HTTP\(response.status)"
    return BedrockError(String(t.split(separator: ":").first ?? Substring(t)), response.status, j?["message"]?.stringValue ?? j?["Message"]?.stringValue ?? "")
}

/// Who is calling, as a kms or s3 node accepts it.
public struct Caller {
    public let principal: PrincipalInfo
    public let node: String
    /// bedrock.amazonaws.com when the Bedrock service makes the call for the customer.
    public let invokedBy: String?
    public let viaService: String?
    public let sourceVpce: String?
    public let sourceVpc: String?
    public let sourceArn: String?
    public let sourceAccount: String?

    public var arn: String { principal.arn }
    public var account: String { principal.accountId ?? "" }

    /// CloudTrail userIdentity.
    public var userIdentity: [String: JSONValue] {
        var u: [String: JSONValue] = [:]
        switch principal.type {
        case .service:
            u["type"] = .string("AWSService")
        case .assumedRole:
            u["type"] = .string("AssumedRole"); u["arn"] = .string(principal.arn); u["accountId"] = .string(account)
            u["sessionContext"] = .object(["sessionIssuer": .object(["type": .string("Role"), "arn": .string(principal.roleArn ?? ""), "accountId": .string(account)])])
        case .root:
            u["type"] = .string("Root"); u["arn"] = .string(principal.arn); u["accountId"] = .string(account)
        default:
            u["type"] = .string(principal.type == .user ? "IAMUser" : principal.type.rawValue); u["arn"] = .string(principal.arn); u["accountId"] = .string(account)
        }
        u["principalId"] = .string(principal.type == .service ? principal.arn : account + ":" + (principal.arn.split(separator: "/").last.map(String.init) ?? ""))
        if let invokedBy { u["invokedBy"] = .string(invokedBy) }
        return u
    }
}

public struct CallerRefused: Error, CustomStringConvertible {
    public let description: String
    /// The service's error for it (AccessDenied unless authentication failed).
    public let errorType: String
    public let httpStatus: Int
    init(_ d: String, errorType: String = "AccessDeniedException", httpStatus: Int = 403) {
        description = d; self.errorType = errorType; self.httpStatus = httpStatus
    }
}

public enum CallerResolver {
    /// The caller of a request: for a customer's client, the SigV4 signer (verified by `authenticator`); for a service
    /// node, the principal it names, if that fits the node (see the top of this file). Otherwise why not.
    public static func resolve(_ request: HTTPRequest, peer: String, node: Node, authenticator: AWSRequestAuthenticator?) -> Result<Caller, CallerRefused> {
        guard let peerNode = node.manifest.node(named: peer), let peerAccount = node.manifest.account(id: peerNode.accountId) else {
            return .failure(CallerRefused("unknown peer \(peer)"))
        }
        if peerNode.role == "bedrock-client" {
            guard let authenticator else { return .failure(CallerRefused("\(node.me.name) cannot verify signatures", errorType: "InternalFailure", httpStatus: 500)) }
            switch authenticator.authenticate(request) {
            case .failure(let why): return .failure(why)
            case .success(let p):
                guard p.config.accountId == peerNode.accountId else {
                    return .failure(CallerRefused("\(peer) (account \(peerNode.accountId)) sent a request signed by \(p.config.arn) of account \(p.config.accountId); a client acts only for its own account's principals"))
                }
                var vpce: String? = nil
                if let vpc = peerNode.vpc, node.me.settings["gatewayVpc"] == vpc { vpce = node.me.settings["gatewayEndpointId"] }
                return .success(Caller(principal: p.info, node: peer, invokedBy: nil, viaService: nil, sourceVpce: vpce, sourceVpc: peerNode.vpc,
                                       sourceArn: nil, sourceAccount: nil))
            }
        }
        let claimed = request.header(SimHeader.principal) ?? ""
        let bedrockOwned = peerAccount.kind == "model-deployment" || peerAccount.kind == "bedrock-service"
        let principalText = claimed.isEmpty ? (bedrockOwned ? bedrockServicePrincipal : "arn:aws:iam::\(peerNode.accountId):root") : claimed
        guard let info = PrincipalInfo.derive(from: principalText) else { return .failure(CallerRefused("'\(principalText)' is not a principal ARN")) }
        var invokedBy: String? = nil
        if bedrockOwned {
            // Bedrock's own nodes act only as the service principal or as a customer role session they assumed.
            guard info.type == .service && info.arn == bedrockServicePrincipal || info.type == .assumedRole else {
                return .failure(CallerRefused("\(peer) (Bedrock-owned account \(peerNode.accountId)) may act only as \(bedrockServicePrincipal) or an assumed service role, not \(principalText)"))
            }
            invokedBy = bedrockServicePrincipal
        } else {
            guard info.accountId == peerNode.accountId, info.type != .service else {
                return .failure(CallerRefused("\(peer) (account \(peerNode.accountId)) cannot act as \(principalText)"))
            }
            invokedBy = request.header(SimHeader.invokedBy)   // s3 relaying a Bedrock-made call to kms
            if invokedBy != nil && peerNode.role != "s3" { invokedBy = nil }
        }
        var vpc: String? = nil
        var vpce: String? = nil
        if let v = peerNode.vpc { vpc = v }
        if bedrockOwned, let eni = request.header(SimHeader.eniVpc) { vpc = eni }   // a job with vpcConfig
        if peerNode.role == "s3" { vpc = request.header(SimHeader.eniVpc); vpce = request.header(SimHeader.sourceVpce) }
        if vpce == nil, let vpc, node.me.settings["gatewayVpc"] == vpc { vpce = node.me.settings["gatewayEndpointId"] }
        return .success(Caller(
            principal: info, node: peer, invokedBy: invokedBy,
            viaService: peerNode.role == "s3" ? request.header(SimHeader.viaService) : nil,
            sourceVpce: vpce, sourceVpc: vpc,
            sourceArn: bedrockOwned ? request.header(SimHeader.sourceArn) : nil,
            sourceAccount: bedrockOwned ? request.header(SimHeader.sourceAccount) : nil))
    }
}
