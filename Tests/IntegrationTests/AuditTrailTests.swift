// The CloudTrail record the front end writes per call, in process: field order, escaping, optional fields.
import Foundation
import NodeRuntime
import RoleKit
import Testing

@Suite("CloudTrail audit records")
struct AuditTrailTests {
    @Test func aRecordHasCloudTrailsFieldsInOrderAndEscapesItsValues() throws {
        let dir = NSTemporaryDirectory() + "audit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trail = AuditTrail(runDirectory: dir, region: "us-east-1")
        var e = AuditTrail.Entry(eventName: "InvokeModel", requestId: "req-1", recipientAccountId: "111111111111",
                                 userIdentity: ["type": .string("IAMUser"), "accountId": .string("111111111111")],
                                 sourceIPAddress: "client-a", userAgent: #"Boto3/1.34 "quoted" \ back"#,
                                 requestParameters: ["modelId": .string("amazon.titan-text-express-v1")])
        trail.record(e)
        e.requestId = "req-2"; e.readOnly = false; e.eventCategory = "Data"
        e.vpcEndpointId = "vpce-0a"; e.vpcEndpointAccountId = "111111111111"
        e.errorCode = "AccessDeniedException"; e.errorMessage = "line\nbreak"
        trail.record(e)
        trail.flush()
        let text = try String(contentsOfFile: dir + "/cloudtrail/111111111111.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && text.hasSuffix("\n"))
        let order = ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
                     "userAgent", "requestParameters", "responseElements", "requestID", "eventID", "readOnly", "eventType",
                     "managementEvent", "recipientAccountId", "eventCategory"]
        let optional = ["vpcEndpointId", "vpcEndpointAccountId", "errorCode", "errorMessage"]
        var ids: Set<String> = []
        for (i, line) in lines.enumerated() {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            // Keys appear in CloudTrail's order (positions in the text).
            let keys = order + (i == 1 ? optional : [])
            let positions = keys.map { line.range(of: "\"\($0)\":")?.lowerBound }
            #expect(!positions.contains(where: { $0 == nil }), "\(line)")
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "\(line)")
            #expect(Set(o.keys) == Set(keys))
            #expect(o["eventVersion"] as? String == "1.09" && o["eventSource"] as? String == "bedrock.amazonaws.com")
            #expect(o["awsRegion"] as? String == "us-east-1" && o["eventType"] as? String == "AwsApiCall")
            #expect(o["userAgent"] as? String == #"Boto3/1.34 "quoted" \ back"#)
            #expect(o["responseElements"] is NSNull)
            #expect((o["requestParameters"] as? [String: Any])?["modelId"] as? String == "amazon.titan-text-express-v1")
            let id = try #require(o["eventID"] as? String)
            #expect(id.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil, "\(id)")
            ids.insert(id)
            let time = try #require(o["eventTime"] as? String)
            #expect(time.range(of: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$", options: .regularExpression) != nil, "\(time)")
        }
        #expect(ids.count == 2)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["readOnly"] as? Bool == false && second["managementEvent"] as? Bool == false)
        #expect(second["errorMessage"] as? String == "line\nbreak" && second["vpcEndpointId"] as? String == "vpce-0a")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["readOnly"] as? Bool == true && first["managementEvent"] as? Bool == true)
    }

    @Test func eventIdsCountInTwelveHexDigits() {
        var g = UUIDGenerator()
        let a = g.next(), b = g.next()
        #expect(a.hasSuffix("-000000000001") && b.hasSuffix("-000000000002") && a.dropLast(12) == b.dropLast(12))
        for _ in 0..<13 { _ = g.next() }
        #expect(g.next().hasSuffix("-000000000010"))
    }

    /// Message ids: the node process's 8 random hex digits, "-", a base-36 counter; at most 15 bytes (inline Strings).
    @Test func messageIdsAreShortCountersAfterARandomPrefix() {
        var g = MessageIdGenerator()
        let ids = (1...40).map { _ in g.next() }
        let expected = (1...40).map { String($0, radix: 36) }
        #expect(ids.map { String($0.split(separator: "-").last ?? "") } == expected)
        #expect(ids.allSatisfy { $0.range(of: "^[0-9a-f]{8}-[0-9a-z]{1,6}$", options: .regularExpression) != nil && $0.utf8.count <= 15 })
        #expect(Set(ids.map { $0.prefix(8) }).count == 1)
        var other = MessageIdGenerator()
        #expect(other.next() != ids[0])   // another process, another random prefix (equal with chance 2^-32)
    }
}
