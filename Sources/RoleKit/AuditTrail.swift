// CloudTrail-shaped audit records, one per call, written by the front end into the caller's account trail
// (RUN_DIR/cloudtrail/ACCOUNT.jsonl). A record names the model and the outcome, never the prompt or completion:
// requestParameters carries only modelId (plus guardrail ids) and responseElements is always null.
import Foundation
import NodeRuntime

public final class AuditTrail {
    private let directory: String
    private var handles: [String: FileHandle] = [:]
    private let region: String

    public init(runDirectory: String, region: String) {
        directory = runDirectory + "/cloudtrail"
        self.region = region
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public struct Entry {
        public var eventName: String
        public var requestId: String
        public var recipientAccountId: String
        public var userIdentity: [String: JSONValue]
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
        var o: [String: JSONValue] = [
            "eventVersion": .string("1.09"),
            "userIdentity": .object(e.userIdentity),
            "eventTime": .string(SimClock.iso8601(unixMs: SimClock.unixMilliseconds(), fractional: false)),
            "eventSource": .string("bedrock.amazonaws.com"),
            "eventName": .string(e.eventName),
            "awsRegion": .string(region),
            "sourceIPAddress": .string(e.sourceIPAddress),
            "userAgent": .string(e.userAgent),
            "requestParameters": .object(e.requestParameters),
            "responseElements": .null,
            "requestID": .string(e.requestId),
            "eventID": .string(SimIds.uuid()),
            "readOnly": .bool(e.readOnly),
            "eventType": .string("AwsApiCall"),
            "managementEvent": .bool(e.eventCategory == "Management"),
            "recipientAccountId": .string(e.recipientAccountId),
            "eventCategory": .string(e.eventCategory),
        ]
        if let v = e.vpcEndpointId { o["vpcEndpointId"] = .string(v) }
        if let v = e.vpcEndpointAccountId { o["vpcEndpointAccountId"] = .string(v) }
        if let v = e.errorCode { o["errorCode"] = .string(v) }
        if let v = e.errorMessage { o["errorMessage"] = .string(v) }
        var line = JSONValue.object(o).serialized()
        line.append(10)
        handle(for: e.recipientAccountId.isEmpty ? "unknown" : e.recipientAccountId)?.write(Data(line))
    }

    private func handle(for account: String) -> FileHandle? {
        if let h = handles[account] { return h }
        let path = "\(directory)/\(account).jsonl"
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let h = FileHandle(forWritingAtPath: path) else { return nil }
        h.seekToEndOfFile()
        handles[account] = h
        return h
    }
}
