// The operator's side of node control sockets: what bedrock-sim and the integration tests use to ping nodes,
// inject requests and run benchmarks. Synchronous on purpose: it is called from a CLI's main thread (or a test's
// dedicated thread), never from Swift's cooperative pool.
import Envelope
import Foundation
import NodeRuntime
import ZMQ

public struct OperatorError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public final class OperatorClient {
    private let context: Context
    private let manifest: RunManifest
    private let publicKey: String
    private let secretKey: String
    private var ids = MessageIdGenerator()

    public init(manifest: RunManifest, keyDirectory: String) throws {
        self.manifest = manifest
        context = try Context(ioThreads: 1)
        publicKey = try String(contentsOfFile: keyDirectory + "/operator.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        secretKey = try String(contentsOfFile: keyDirectory + "/operator.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { context.terminate() }

    /// Sends one control command to each named node and waits up to `timeoutMs` for all replies.
    /// A node that does not answer in time maps to an error.
    public func requestAll(_ requests: [(node: String, body: [UInt8])], timeoutMs: Int) -> [String: Result<[UInt8], OperatorError>] {
        var results: [String: Result<[UInt8], OperatorError>] = [:]
        var sockets: [(String, Socket, String)] = []
        for (name, body) in requests {
            guard let node = manifest.node(named: name) else { results[name] = .failure(OperatorError("no node named '\(name)' in this run")); continue }
            do {
                let s = try Socket(context: context, type: .dealer)
                try s.makeCurveClient(serverPublicKey: node.curvePublicKey, publicKey: publicKey, secretKey: secretKey)
                try s.setMaxMessageSize(Int64(64 * 1024 * 1024))
                try s.connect(node.controlEndpoint)
                let id = ids.next()
                let e = Envelope(type: .control, messageId: id, requestId: "", traceparent: "",
                                 source: NodeAddress(node: "operator", account: ""),
                                 destination: NodeAddress(node: name, account: node.accountId),
                                 deadlineUnixMs: SimClock.unixMilliseconds() + UInt64(timeoutMs), body: body)
                // Blocking send is fine here: the message is queued until the handshake completes.
                try s.send([e.encode()], dontWait: false)
                sockets.append((name, s, id))
            } catch {
                results[name] = .failure(OperatorError("\(name): \(error)"))
            }
        }
        let deadline = SimClock.monotonicMilliseconds() + UInt64(max(0, timeoutMs))
        var waiting = sockets
        while !waiting.isEmpty {
            let now = SimClock.monotonicMilliseconds()
            guard now < deadline else { break }
            let ready = (try? Poller.poll(waiting.map { .socket($0.1) }, timeoutMs: Int(deadline - now))) ?? []
            var still: [(String, Socket, String)] = []
            for (i, entry) in waiting.enumerated() {
                if i < ready.count, ready[i], let m = try? entry.1.receive(dontWait: true), let frame = m.frames.last,
                   let (reply, _) = try? Envelope.decode(frame), reply.inReplyTo == entry.2 {
                    results[entry.0] = .success(reply.body)
                } else {
                    still.append(entry)
                }
            }
            waiting = still
        }
        for (name, _, _) in waiting { results[name] = .failure(OperatorError("\(name) did not answer on its control socket within \(timeoutMs) ms")) }
        for (_, s, _) in sockets { s.close() }
        return results
    }

    public func request(_ node: String, json: [String: Any], timeoutMs: Int) throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: json)
        switch requestAll([(node, Array(body))], timeoutMs: timeoutMs)[node] {
        case .success(let bytes)?:
            guard let obj = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw OperatorError("\(node) answered with something that is not a JSON object")
            }
            return obj
        case .failure(let e)?: throw e
        case nil: throw OperatorError("no answer from \(node)")
        }
    }
}
