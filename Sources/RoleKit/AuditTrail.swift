// CloudTrail-shaped audit records, one per call, written by the front end into the caller's account trail
// (RUN_DIR/cloudtrail/ACCOUNT.jsonl). A record names the model and the outcome, never the prompt or completion:
// requestParameters carries only modelId (plus guardrail ids) and responseElements is always null.
import ASCIIText
import FoundationEssentials
import JSONText
import NodeRuntime

public final class AuditTrail {
    private let directory: String
    private var handles: [String: StreamingLog] = [:]
    private let region: String
    /// Records are buffered per account and written together (`flush()`: the front end calls it a few
    /// milliseconds after a record is buffered), so a busy front end pays one write per batch rather than one per call.
    private var pending: [String: [UInt8]] = [:]
    private var eventIds = UUIDGenerator()
    public var hasPending: Bool { pendingBytes > 0 }
    /// Bytes waiting to be written (all accounts).
    public private(set) var pendingBytes = 0

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
        /// `requestParameters` already serialized, when the caller has it (nil: serialize `requestParameters`).
        public var requestParametersJSON: [UInt8]?
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

    /// The constant runs of text between a record's values, built once per trail (the region is the trail's).
    private lazy var afterEventTime = Array(#"","eventSource":"bedrock.amazonaws.com","eventName":"#.utf8)
    private lazy var afterEventName = Array(#","awsRegion":"#.utf8) + Array(JSONText.quoted(region).utf8) + Array(#","sourceIPAddress":"#.utf8)

    public func record(_ e: Entry) {
        precondition(!e.requestId.isEmpty, "an audit record names its request")
        // CloudTrail's field order, written as constant runs and values (no intermediate dictionary, no per-key
        // writes: this runs once per call); constant runs are appended from their bytes at once (`ASCII.append`),
        // not byte by byte from a UTF8View.
        var j: [UInt8] = []
        j.reserveCapacity(900)
        ASCII.append(#"{"eventVersion":"1.09","userIdentity":"#, to: &j)
        j.append(contentsOf: e.userIdentityJSON ?? JSONValue.object(e.userIdentity).serialized())
        // CloudTrail's eventTime has whole seconds (SimClock formats each second once).
        ASCII.append(#","eventTime":""#, to: &j)
        ASCII.append(SimClock.iso8601(unixMs: SimClock.unixMilliseconds(), fractional: false), to: &j)
        j.append(contentsOf: afterEventTime)
        JSONText.appendQuoted(e.eventName, to: &j)
        j.append(contentsOf: afterEventName)
        JSONText.appendQuoted(e.sourceIPAddress, to: &j)
        ASCII.append(#","userAgent":"#, to: &j)
        JSONText.appendQuoted(e.userAgent, to: &j)
        ASCII.append(#","requestParameters":"#, to: &j)
        j.append(contentsOf: e.requestParametersJSON ?? JSONValue.object(e.requestParameters).serialized())
        ASCII.append(#","responseElements":null,"requestID":"#, to: &j)
        JSONText.appendQuoted(e.requestId, to: &j)
        ASCII.append(#","eventID":""#, to: &j)
        eventIds.append(to: &j)
        ASCII.append(e.readOnly ? #"","readOnly":true,"eventType":"AwsApiCall","managementEvent":"#
                                : #"","readOnly":false,"eventType":"AwsApiCall","managementEvent":"#, to: &j)
        ASCII.append(e.eventCategory == "Management" ? "true" : "false", to: &j)
        ASCII.append(#","recipientAccountId":"#, to: &j)
        JSONText.appendQuoted(e.recipientAccountId, to: &j)
        ASCII.append(#","eventCategory":"#, to: &j)
        JSONText.appendQuoted(e.eventCategory, to: &j)
        for (key, value) in [(#","vpcEndpointId":"#, e.vpcEndpointId), (#","vpcEndpointAccountId":"#, e.vpcEndpointAccountId),
                             (#","errorCode":"#, e.errorCode), (#","errorMessage":"#, e.errorMessage)] {
            guard let value, !value.isEmpty else { continue }
            ASCII.append(key, to: &j)
            JSONText.appendQuoted(value, to: &j)
        }
        j.append(UInt8(ascii: "}")); j.append(10)
        let account = e.recipientAccountId.isEmpty ? "unknown" : e.recipientAccountId
        pending[account, default: []].append(contentsOf: j)
        pendingBytes += j.count
    }

    public func flush() {
        for (account, bytes) in pending { handle(for: account)?.append(bytes) }
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// The account's trail (a StreamingLog: thousands of records a second must not fill the page cache).
    private func handle(for account: String) -> StreamingLog? {
        if let h = handles[account] { return h }
        // O_APPEND: the kms and s3 stand-ins append to the same account trail from their own processes.
        guard let fd = POSIX.openAppend("\(directory)/\(account).jsonl") else { return nil }
        let log = StreamingLog(fd: fd)
        handles[account] = log
        return log
    }
}
