// On-demand throughput quotas: Bedrock limits each account's on-demand requests per model (requests per minute per
// model and Region) and answers ThrottlingException (429) beyond them. The simulator applies a per-second window
// per (account, model) when the run sets `up --on-demand-rps N` (settings.onDemandRequestsPerSecond); by default
// there is no quota.
import Envelope
import NodeRuntime

public final class OnDemandQuotaGate: FrontendGate {
    public let name = "on-demand-quota"
    let limit: Int
    private var window: (second: UInt64, counts: [String: Int]) = (0, [:])

    public init?(node: Node) {
        guard let raw = node.manifest.settings["onDemandRequestsPerSecond"], let n = Int(raw), n > 0 else { return nil }
        limit = n
    }

    public func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        guard call.runtimeOperation != nil, call.attributes["routeHost"] == nil else { return .pass(reason: "not an on-demand invocation") }
        let second = SimClock.monotonicMilliseconds() / 1000
        if window.second != second { window = (second, [:]) }
        let key = call.callerAccount + "|" + call.modelId
        let used = window.counts[key, default: 0]
        guard used < limit else {
            return .deny(.throttling, reason: "account \(call.callerAccount) is over its on-demand quota of \(limit) request(s)/s for \(call.modelId)")
        }
        window.counts[key] = used + 1
        return .pass(reason: "\(used + 1)/\(limit) on-demand request(s) this second")
    }
}
