// CloudTrail-shaped audit records, one per call, written by the front end into the caller's account trail
// (RUN_DIR/cloudtrail/ACCOUNT.jsonl). A record names the model and the outcome, never the prompt or completion:
// requestParameters carries only modelId (plus guardrail ids) and responseElements is always null.
import FoundationEssentials
import NodeRuntime

public final class AuditTrail {
    private let directory: String
    private var handles: [String: Int32] = [:]
    private let region: String
    /// Records are buffered per account and written once per node loop iteration (`flush()`, called by the front
    /// end at the end of each iteration), so a busy front end pays one write per batch rather than one per call.
    private var pending: [String: [UInt8]] = [:]
    private var eventIds = UUIDGenerator()
    public var hasPending: Bool { !pending.isEmpty }

    public init(runDirectory: String, region: String) {
        directory = runDirectory + "/cloudtrail"
        self.region = region
        POSIX.makeDirectory(directory)
    }

    public struct Entry {
        public var eventName: String
        public var requestId: String
        public var recipientAccountId: String
        public var userIdentity: [String: JSONValue]
        /// `userIdentity` serialized, when the caller has it already.
        public var userIdentityJSON: [UInt8]?
        public var sourceIPAddress: String
        public var userAgent: String
        public var requestParameters: [String: JSONValue]
        public var vpcEndpointId: String?
        public var vpcEndpointAccountId: String?
        public var errorCode: String?
        public var errorMessage: String?
        public var eventCategory = "Management"
        public var readOnly = true
        public init(eventName: String, requestId: String, recipientAccountId: String, userIdentity: [String: JSONValue],
                    sourceIPAddress: String, userAgent: String, requestParameters: [String: JSONValue]) {
            self.eventName = eventName; self.requestId = requestId; self.recipientAccountId = recipientAccountId
            self.userIdentity = userIdentity; self.sourceIPAddress = sourceIPAddress; self.userAgent = userAgent
            self.requestParameters = requestParameters
        }
    }

    public func record(_ e: Entry) {
        precondition(!e.requestId.isEmpty, "an audit record names its request")
        // Written field by field in CloudTrail's order (no intermediate dictionary: this runs once per call).
        var j = JSONLine(capacity: 768)
        j.string("eventVersion", "1.09")
        j.raw("userIdentity", e.userIdentityJSON ?? JSONValue.object(e.userIdentity).serialized())
        // CloudTrail's eventTime has whole seconds (SimClock formats each second once).
        j.string("eventTime", SimClock.iso8601(unixMs: SimClock.unixMilliseconds(), fractional: false))
        j.string("eventSource", "bedrock.amazonaws.com")
        j.string("eventName", e.eventName)
        j.string("awsRegion", region)
        j.string("sourceIPAddress", e.sourceIPAddress)
        j.string("userAgent", e.userAgent)
        j.raw("requestParameters", JSONValue.object(e.requestParameters).serialized())
        j.raw("responseElements", Array("null".utf8))
        j.string("requestID", e.requestId)
        j.string("eventID", eventIds.next())
        j.bool("readOnly", e.readOnly)
        j.string("eventType", "AwsApiCall")
        j.bool("managementEvent", e.eventCategory == "Management")
        j.string("recipientAccountId", e.recipientAccountId)
        j.string("eventCategory", e.eventCategory)
        j.stringIfPresent("vpcEndpointId", e.vpcEndpointId)
        j.stringIfPresent("vpcEndpointAccountId", e.vpcEndpointAccountId)
        j.stringIfPresent("errorCode", e.errorCode)
        j.stringIfPresent("errorMessage", e.errorMessage)
        let line = j.finish()
        let account = e.recipientAccountId.isEmpty ? "unknown" : e.recipientAccountId
        pending[account, default: []].append(contentsOf: line)
        pending[account]!.append(10)
    }

    public func flush() {
        for (account, bytes) in pending { if let fd = handle(for: account) { POSIX.writeAll(fd, bytes) } }
        pending.removeAll(keepingCapacity: true)
    }

    private func handle(for account: String) -> Int32? {
        if let h = handles[account] { return h }
        // O_APPEND: the kms and s3 stand-ins append to the same account trail from their own processes.
        guard let fd = POSIX.openAppend("\(directory)/\(account).jsonl") else { return nil }
        handles[account] = fd
        return fd
    }
}
