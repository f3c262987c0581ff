// CloudTrail-shaped records written by the customer-account stand-ins (kms, s3) into the customer's trail,
// RUN_DIR/cloudtrail/ACCOUNT.jsonl. A call the Bedrock service makes for the customer (its service-role session or
// the bedrock.amazonaws.com principal) carries `userIdentity.invokedBy` and `sourceIPAddress` bedrock.amazonaws.com,
// as CloudTrail records it. Never object contents, plaintexts or key material. Appends use O_APPEND, so the front
// end and these nodes can share one account's file.
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import NodeRuntime

public final class ServiceAudit {
    private let directory: String
    private let eventSource: String
    private let region: String
    private var fds: [String: Int32] = [:]

    public init(runDirectory: String, eventSource: String, region: String) {
        directory = runDirectory + "/cloudtrail"
        self.eventSource = eventSource
        self.region = region
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { for (_, fd) in fds { close(fd) } }

    public func record(eventName: String, requestId: String, account: String, caller: Caller?, parameters: [String: JSONValue],
                       errorCode: String? = nil, errorMessage: String? = nil, readOnly: Bool, category: String = "Management",
                       resources: [String] = []) {
        var o: [String: JSONValue] = [
            "eventVersion": .string("1.09"),
            "eventTime": .string(String(SimClock.iso8601(unixMs: SimClock.unixMilliseconds()).prefix(19)) + "Z"),
            "eventSource": .string(eventSource), "eventName": .string(eventName), "awsRegion": .string(region),
            "sourceIPAddress": .string(caller?.invokedBy ?? caller?.node ?? ""),
            "userAgent": .string(caller?.invokedBy ?? "bedrock-sim/\(caller?.node ?? "")"),
            "requestParameters": .object(parameters), "responseElements": .null,
            "requestID": .string(requestId), "eventID": .string(SimIds.uuid()), "readOnly": .bool(readOnly),
            "eventType": .string("AwsApiCall"), "managementEvent": .bool(category == "Management"),
            "recipientAccountId": .string(account), "eventCategory": .string(category),
        ]
        if let caller { o["userIdentity"] = .object(caller.userIdentity) }
        if let vpce = caller?.sourceVpce { o["vpcEndpointId"] = .string(vpce) }
        if let errorCode { o["errorCode"] = .string(errorCode) }
        if let errorMessage { o["errorMessage"] = .string(errorMessage) }
        if !resources.isEmpty { o["resources"] = .array(resources.map { .object(["ARN": .string($0), "accountId": .string(account)]) }) }
        var line = JSONValue.object(o).serialized()
        line.append(10)
        let fd = handle(account.isEmpty ? "unknown" : account)
        guard fd >= 0 else { return }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress!, line.count) }
    }

    private func handle(_ account: String) -> Int32 {
        if let fd = fds[account] { return fd }
        let fd = open(directory + "/\(account).jsonl", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd >= 0 { fds[account] = fd }
        return fd
    }
}
