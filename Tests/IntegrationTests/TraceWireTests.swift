// The journal's wire form (binary batches from nodes, rendered to trace.jsonl lines by the collector).
import Foundation
import NodeRuntime
import Testing

@Suite("Trace wire format")
struct TraceWireTests {
    static let who = TraceIdentity(node: "vpce-a", role: "privatelink-endpoint", account: "111111111111", accountKind: "customer")

    static func record() -> TraceRecord {
        var r = TraceRecord(event: .send)
        r.messageType = "invoke-request"; r.peer = "runtime-frontend"; r.peerAccount = "999999999999"
        r.messageId = "m-1"; r.requestId = "req-1"; r.inReplyTo = "m-0"
        r.traceparent = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"; r.bytes = 1058
        r.layers = ["curve", "e2e-aes-256-gcm"]; r.decision = "forward"; r.reason = "quote \" backslash \\ newline \n é"
        r.lamport = 42; r.details = [("vpceId", "vpce-1"), ("gate", "vpce-policy")]
        r.monoNs = 123_456_789; r.wallMs = 1_795_740_168_815
        return r
    }

    static func render(_ batch: [UInt8]) throws -> (lines: [[String: Any]], count: Int) {
        var out: [UInt8] = []
        var cache: (second: UInt64, prefix: String) = (0, "")
        let n = try TraceWire.render(batch: batch, as: who, into: &out, cache: &cache)
        let lines = out.split(separator: 10).map { try! JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
        return (lines, n)
    }

    /// Renders a batch that must be refused: the error (nil if it was accepted) and the lines kept before it.
    static func refusal(_ batch: [UInt8]) -> (error: TraceWire.MalformedBatch?, keptLines: Int) {
        var out: [UInt8] = []
        var cache: (second: UInt64, prefix: String) = (0, "")
        do { _ = try TraceWire.render(batch: batch, as: who, into: &out, cache: &cache) } catch {
            return (error, out.split(separator: 10).count)
        }
        return (nil, out.split(separator: 10).count)
    }

    /// `records` as a node's batch (with the shortcuts).
    static func batch(_ records: [TraceRecord]) -> [UInt8] {
        var b = TraceBatch()
        b.begin()
        for r in records { b.append(r) }
        return b.bytes
    }

    /// `batch` is refused at `offset` with a problem that says `problem`, after the first record's line.
    static func expectRefusedAfterFirstLine(_ batch: [UInt8], problem: String, at offset: Int) throws {
        let refused = refusal(batch)
        let error = try #require(refused.error, "accepted")
        #expect(error.description.contains(problem) && error.offset == offset)
        #expect(refused.keptLines == 1, "the first record's line is kept")
    }

    @Test func aRecordRendersAsTheTraceLineSchema() throws {
        var batch: [UInt8] = []
        TraceWire.beginBatch(&batch)
        TraceWire.append(Self.record(), to: &batch)
        let (lines, n) = try Self.render(batch)
        #expect(n == 1 && lines.count == 1)
        let j = lines[0]
        #expect(j["ts"] as? String == "2026-11-27T00:42:48.815Z")
        #expect((j["wallMs"] as? NSNumber)?.uint64Value == 1_795_740_168_815)
        #expect((j["monoNs"] as? NSNumber)?.uint64Value == 123_456_789)
        #expect(j["node"] as? String == "vpce-a" && j["role"] as? String == "privatelink-endpoint")
        #expect(j["account"] as? String == "111111111111" && j["accountKind"] as? String == "customer")
        #expect(j["event"] as? String == "send" && j["type"] as? String == "invoke-request")
        #expect(j["peer"] as? String == "runtime-frontend" && j["peerAccount"] as? String == "999999999999")
        #expect(j["crossesAccountBoundary"] as? Bool == true)
        #expect(j["messageId"] as? String == "m-1" && j["requestId"] as? String == "req-1" && j["inReplyTo"] as? String == "m-0")
        #expect((j["bytes"] as? NSNumber)?.intValue == 1058 && (j["lamport"] as? NSNumber)?.intValue == 42)
        #expect(j["layers"] as? [String] == ["curve", "e2e-aes-256-gcm"])
        #expect(j["reason"] as? String == "quote \" backslash \\ newline \n é")
        #expect(j["vpceId"] as? String == "vpce-1" && j["gate"] as? String == "vpce-policy")
        // The encoder the collector uses for its own records gives the same line.
        var enc = TraceEncoder(node: "vpce-a", role: "privatelink-endpoint", account: "111111111111", accountKind: "customer")
        var batch2: [UInt8] = []
        TraceWire.beginBatch(&batch2)
        TraceWire.append(Self.record(), to: &batch2)
        var rendered: [UInt8] = []
        var cache: (second: UInt64, prefix: String) = (0, "")
        _ = try TraceWire.render(batch: batch2, as: Self.who, into: &rendered, cache: &cache)
        #expect(enc.encode(Self.record()) + [10] == rendered)
    }

    @Test func emptyFieldsAreLeftOutAndSameAccountIsNotACrossing() throws {
        var r = TraceRecord(event: .recv)
        r.peer = "client-a"; r.peerAccount = "111111111111"; r.monoNs = 1; r.wallMs = 1
        var batch: [UInt8] = []
        TraceWire.beginBatch(&batch)
        TraceWire.append(r, to: &batch)
        let j = try Self.render(batch).lines[0]
        #expect(j["crossesAccountBoundary"] as? Bool == false)
        for k in ["type", "messageId", "requestId", "traceparent", "bytes", "layers", "decision", "reason"] { #expect(j[k] == nil, "\(k)") }
    }

    @Test func aMalformedBatchKeepsTheLinesBeforeTheDamageAndSaysWhere() {
        var batch: [UInt8] = []
        TraceWire.beginBatch(&batch)
        TraceWire.append(Self.record(), to: &batch)
        let firstEnd = batch.count
        TraceWire.append(Self.record(), to: &batch)
        let truncated = Array(batch[0..<(firstEnd + 40)])
        var out: [UInt8] = []
        var cache: (second: UInt64, prefix: String) = (0, "")
        #expect(throws: TraceWire.MalformedBatch.self) { try TraceWire.render(batch: truncated, as: Self.who, into: &out, cache: &cache) }
        #expect(out.split(separator: 10).count == 1, "the complete first record is kept")
        do { _ = try TraceWire.render(batch: truncated, as: Self.who, into: &out, cache: &cache) } catch {
            #expect(error.offset >= firstEnd && error.description.contains("truncated"))
        }
        out.removeAll()
        #expect(throws: TraceWire.MalformedBatch.self) { try TraceWire.render(batch: [0x7B, 0x22], as: Self.who, into: &out, cache: &cache) }
        var badEvent: [UInt8] = []
        TraceWire.beginBatch(&badEvent)
        badEvent.append(200)
        #expect(throws: TraceWire.MalformedBatch.self) { try TraceWire.render(batch: badEvent, as: Self.who, into: &out, cache: &cache) }
        #expect(out.isEmpty)
    }

    /// The renderer looks for bytes to escape eight at a time; each special byte at every offset of a word (and in
    /// the tail) must still be found, and plain ASCII (DEL included) must pass through unchanged.
    @Test func everyByteThatNeedsEscapingIsFoundAtEveryOffset() throws {
        for special in ["\"", "\\", "\n", "\u{01}", "\u{1F}", "é", "\u{7F}", "~", " "] {
            for offset in 0..<19 {
                var r = Self.record()
                r.reason = String(repeating: "a", count: offset) + special + "bbbbbbbbb"
                r.details = [("k" + special, special)]
                var batch: [UInt8] = []
                TraceWire.beginBatch(&batch)
                TraceWire.append(r, to: &batch)
                let j = try Self.render(batch).lines[0]
                #expect(j["reason"] as? String == r.reason, "\(special.unicodeScalars.map { $0.value }) at \(offset)")
                #expect(j["k" + special] as? String == special)
            }
        }
    }

    /// Writes `records` as a node's batch (with the shortcuts) and one by one in full; every line of the batch must
    /// equal the full record's. Returns the batch's lines and both sizes.
    static func compactRendersAsFull(_ records: [TraceRecord]) throws -> (lines: [[String: Any]], compact: Int, full: Int) {
        let compactBytes = batch(records)
        var full: [UInt8] = []
        TraceWire.beginBatch(&full)
        for r in records { TraceWire.append(r, to: &full) }
        let (compact, n) = try render(compactBytes)
        let (expanded, _) = try render(full)
        #expect(n == records.count && expanded.count == records.count)
        for (a, b) in zip(compact, expanded) { #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b)) }
        return (compact, compactBytes.count, full.count)
    }

    /// A node's batch writes a field that repeats the previous record's as a two-byte marker, and common layer
    /// lists as one byte; the lines are those of the records written in full.
    @Test func repeatedFieldsAndLayerCodesRenderAsTheFullRecords() throws {
        var records: [TraceRecord] = []
        for i in 0..<6 {
            var r = Self.record()
            r.messageId = "m-\(i / 2)"; r.inReplyTo = i % 3 == 0 ? "" : "m-0"
            r.layers = [["curve"], ["curve", "e2e-aes-256-gcm"], [], ["other"]][i % 4]
            r.event = i % 2 == 0 ? .recv : .send
            records.append(r)
        }
        let (compact, compactBytes, fullBytes) = try Self.compactRendersAsFull(records)
        #expect(compactBytes < fullBytes - 5 * 80, "the repeated ids and trace context are not written again")
        #expect(compact[1]["layers"] as? [String] == ["curve", "e2e-aes-256-gcm"] && compact[2]["layers"] == nil)
        #expect(compact[3]["layers"] as? [String] == ["other"] && compact[5]["requestId"] as? String == "req-1")
    }

    @Test func aShortcutWithNothingBeforeItOrAnUnknownLayerCodeIsMalformed() {
        var r = Self.record()
        r.layers = []
        r.monoNs = 5; r.wallMs = 6; r.lamport = 7; r.bytes = 8   // one varint byte each
        var one: [UInt8] = []
        TraceWire.beginBatch(&one)
        TraceWire.append(r, to: &one)
        // The type field (after the event byte and four one-byte numbers) marked as a repeat or a delta in the
        // batch's first record.
        let typeAt = 2 + 1 + 4
        let typeLength = Int(one[typeAt]) | Int(one[typeAt + 1]) << 8
        var out: [UInt8] = []
        var cache: (second: UInt64, prefix: String) = (0, "")
        for marker: [UInt8] in [[0xFF, 0xFF], [0xFE, 0xFF, 1, 1, 0, 0]] {
            var noPrevious = one
            noPrevious.replaceSubrange(typeAt..<(typeAt + 2 + typeLength), with: marker)
            do { _ = try TraceWire.render(batch: noPrevious, as: Self.who, into: &out, cache: &cache); Issue.record("accepted") } catch {
                #expect(error.description.contains("repeats a previous record") && error.offset == typeAt)
            }
            #expect(out.isEmpty)
        }
        var reserved = one
        reserved.replaceSubrange(typeAt..<(typeAt + 2 + typeLength), with: [0xFD, 0xFF])
        do { _ = try TraceWire.render(batch: reserved, as: Self.who, into: &out, cache: &cache); Issue.record("accepted") } catch {
            #expect(error.description.contains("reserved length 65533"))
        }
        // Relative numbers in the first record.
        var relative = one
        relative[2] |= 0x80
        do { _ = try TraceWire.render(batch: relative, as: Self.who, into: &out, cache: &cache); Issue.record("accepted") } catch {
            #expect(error.description.contains("relative to a previous record") && error.offset == 2)
        }
        // An endless varint.
        var endless = one
        endless.replaceSubrange(3..<4, with: [UInt8](repeating: 0x80, count: 11))
        do { _ = try TraceWire.render(batch: endless, as: Self.who, into: &out, cache: &cache); Issue.record("accepted") } catch {
            #expect(error.description.contains("wallMs is longer than ten bytes"))
        }
        // The layer byte follows the nine strings.
        var at = typeAt
        for _ in 0..<9 { at += 2 + (Int(one[at]) | Int(one[at + 1]) << 8) }
        #expect(one[at] == 0)
        var badCode = one
        badCode[at] = 0x85
        do { _ = try TraceWire.render(batch: badCode, as: Self.who, into: &out, cache: &cache); Issue.record("accepted") } catch {
            #expect(error.description.contains("unknown layer code"))
        }
        #expect(out.isEmpty)
    }

    /// Ids that differ from the previous record's in a few characters travel as those characters, and times as
    /// deltas (backwards too); the lines are those of the records written in full, and a delta that claims more
    /// shared bytes than the previous value has is refused.
    /// Forty records as a front end writes them: ids that step, peers that alternate, times that go backwards once.
    static func deltaRecords() -> [TraceRecord] {
        var records: [TraceRecord] = []
        let base = record()
        for i in 0..<40 {
            var r = base
            r.messageId = "runtime-frontend-ee9bae5c-\(5000 + i * 7)"
            r.requestId = "c589386f-f5ba-4f85-a133-\(String(format: "%012x", 0x9c5 + i / 2))"
            r.traceparent = "00-564b52cd3a736af8\(String(format: "%016x", 0x9c5 + i / 2))-564b52cd3a736af8-01"
            r.inReplyTo = i % 5 == 0 ? "" : "client-a-feb97b46-\(2500 + i)"
            r.peer = i % 3 == 0 ? "vpce-a" : "escrow-amazon-1"
            r.monoNs = base.monoNs + UInt64(i * 7919) - (i == 17 ? 100_000 : 0)
            r.wallMs = base.wallMs + UInt64(i / 4) - (i == 23 ? 5 : 0)
            r.lamport = i == 30 ? 0 : base.lamport + UInt64(i)
            r.bytes = [0, 675, 2044, 70_000][i % 4]
            records.append(r)
        }
        return records
    }

    @Test func deltaFieldsAndRelativeNumbersRenderAsTheFullRecords() throws {
        let records = Self.deltaRecords()
        let (compact, compactBytes, fullBytes) = try Self.compactRendersAsFull(records)
        #expect(compactBytes * 2 < fullBytes, "ids and times are written as what changed: \(compactBytes) vs \(fullBytes) bytes")
        #expect((compact[17]["monoNs"] as? NSNumber)?.uint64Value == records[17].monoNs)
        #expect(compact[39]["messageId"] as? String == records[39].messageId && compact[39]["traceparent"] as? String == records[39].traceparent)

        // Two records: the second's messageId as a delta; then claim more shared bytes than the first value has.
        let bytes = Self.batch(Array(records[0...1]))
        // In the second record: type and peerAccount repeat, peer differs entirely, messageId is the first delta.
        let marker = try #require((Self.batch([records[0]]).count..<(bytes.count - 1)).first { bytes[$0] == 0xFE && bytes[$0 + 1] == 0xFF })
        let shared = Int(bytes[marker + 2]) + Int(bytes[marker + 3])
        #expect(shared + Int(bytes[marker + 4]) == records[1].messageId.utf8.count)
        var tooMuch = bytes
        tooMuch[marker + 2] = 200
        try Self.expectRefusedAfterFirstLine(tooMuch, problem: "messageId shares", at: marker)
    }

    /// Long decision, reason and detail strings that the batch holds already travel as back-references (four
    /// bytes); the lines are those of the records written in full, escaping included, and a reference to a string
    /// the batch does not hold is refused.
    @Test func repeatedReasonsAndDetailsAreBackReferences() throws {
        let reasons = ["allow: [model-identifier] known model amazon.titan-text-express-v1; [iam] Allowed",
                       "route: attempt 1: amazon.titan-text-express-v1 -> escrow-amazon-1 (1 live host(s))",
                       "needs \"escaping\" \\ and a newline\n and é in it"]
        var records: [TraceRecord] = []
        for i in 0..<30 {
            var r = Self.record()
            r.decision = i % 2 == 0 ? "allow-with-a-long-decision" : "forward"
            r.reason = i == 29 ? "said once: \(i)" : reasons[i % 3]
            r.details = [("gate", "sigv4-authentication,iam-authorization"), ("policy-with-a-long-key", "default VPC endpoint policy (full access)"),
                         ("modelId", i % 4 == 0 ? "anthropic.claude-3-haiku-20240307-v1:0" : "amazon.titan-text-express-v1")]
            records.append(r)
        }
        let (compact, compactBytes, fullBytes) = try Self.compactRendersAsFull(records)
        #expect(compactBytes * 4 < fullBytes, "repeated strings are references: \(compactBytes) vs \(fullBytes) bytes")
        #expect(compact[2]["reason"] as? String == reasons[2] && compact[29]["reason"] as? String == "said once: 29")
        #expect(compact[28]["policy-with-a-long-key"] as? String == "default VPC endpoint policy (full access)")

        // The second record's reason refers to the first's (entry 1: the first record's decision is entry 0).
        var a = Self.record(), b = Self.record()
        a.decision = "allow-with-a-long-decision"; a.reason = reasons[0]; a.details = []
        b.decision = "forward"; b.reason = reasons[0]; b.details = []
        let bytes = Self.batch([a, b])
        let at = try #require((2..<(bytes.count - 3)).last { bytes[$0] == 0xFD && bytes[$0 + 1] == 0xFF })
        #expect(bytes[at + 2] == 1 && bytes[at + 3] == 0)
        #expect(try Self.render(bytes).lines[1]["reason"] as? String == reasons[0])
        var dangling = bytes
        dangling[at + 2] = 2
        try Self.expectRefusedAfterFirstLine(dangling, problem: "reason refers to string 2 of the batch, which holds 2", at: at)
    }

    @Test func invalidUTF8FromAPeerStillGivesValidJSON() throws {
        var batch: [UInt8] = []
        TraceWire.beginBatch(&batch)
        var r = Self.record()
        r.details = []
        TraceWire.append(r, to: &batch)
        // Corrupt the 'é' (C3 A9) of the reason into an invalid UTF-8 sequence.
        let i = try #require(batch.lastIndex(of: 0xA9))
        batch[i] = 0xFF
        let j = try Self.render(batch).lines[0]
        #expect((j["reason"] as? String)?.hasPrefix("quote") == true)
    }

    /// The send/receive fast path writes exactly the bytes of the equivalent record.
    @Test func theTransitFastPathMatchesTheRecordEncoding() {
        func both(_ r: TraceRecord, endToEnd: Bool, details: [(String, String)], vpceId: String?) -> (record: [UInt8], transit: [UInt8]) {
            var viaRecord: [UInt8] = []
            TraceWire.append(r, to: &viaRecord)
            var viaTransit: [UInt8] = []
            TraceWire.appendTransit(.send, wallMs: r.wallMs, monoNs: r.monoNs, lamport: r.lamport, bytes: r.bytes, type: r.messageType,
                                    peer: r.peer, peerAccount: r.peerAccount, messageId: r.messageId, requestId: r.requestId,
                                    inReplyTo: r.inReplyTo, traceparent: r.traceparent, endToEnd: endToEnd, decision: r.decision,
                                    reason: r.reason, details: details, vpceId: vpceId, to: &viaTransit)
            return (viaRecord, viaTransit)
        }
        var r = Self.record()
        r.details = [("gate", "vpce-policy"), ("vpceId", "vpce-1")]
        let sealed = both(r, endToEnd: true, details: [("gate", "vpce-policy")], vpceId: "vpce-1")
        #expect(sealed.record == sealed.transit)
        r.layers = ["curve"]; r.details = []
        let plain = both(r, endToEnd: false, details: [], vpceId: nil)
        #expect(plain.record == plain.transit)
    }

    /// The collector renders whatever a node sends: damaged batches (bytes changed, cut short) give lines of valid
    /// JSON and then a MalformedBatch, never a crash or a write past the reserved room. Deterministic (seeded).
    @Test func damagedBatchesNeverCrashTheRenderer() throws {
        let good = Self.batch(Self.deltaRecords())
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var rejected = 0
        for trial in 0..<1500 {
            var bad = good
            for _ in 0...next(3) { bad[2 + next(bad.count - 2)] = UInt8(truncatingIfNeeded: next(256)) }
            if trial % 4 == 0 { bad.removeLast(next(bad.count - 2)) }
            // No spare room: each line must fit in what its record reserved.
            let out = LineBuffer(capacity: 1)
            var cache: (second: UInt64, prefix: String) = (0, "")
            do { _ = try TraceWire.render(batch: bad, as: Self.who, into: out, cache: &cache) } catch { rejected += 1 }
            for line in Array(out.bytes).split(separator: 10) {
                #expect((try? JSONSerialization.jsonObject(with: Data(line))) != nil, "trial \(trial)")
            }
        }
        #expect(rejected > 500, "most damage is detected: \(rejected) of 1500")
    }

    @Test func decimalDigitsMatchTheStandardLibrary() {
        var values: [UInt64] = [0, 1, 9, 10, 99, 100, 1_795_740_168_815, UInt64.max, UInt64.max - 1]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<1000 { values.append(UInt64.random(in: 0...UInt64.max, using: &g) >> UInt64.random(in: 0...63, using: &g)) }
        for v in [10, 11, 999, 1000, 9_999_999_999_999_999_999, 10_000_000_000_000_000_000] as [UInt64] { values.append(v) }
        let line = LineBuffer(capacity: 1)
        for v in values {
            var out: [UInt8] = [7]
            JSONLine.appendDecimal(v, to: &out)
            #expect(out == [7] + Array(String(v).utf8), "\(v)")
            // The collector's renderer: two digits at a time into reserved room.
            line.removeAll()
            line.reserve(20)
            line.putDecimal(v)
            #expect(Array(line.bytes) == Array(String(v).utf8), "\(v)")
        }
    }

    /// A received field is quoted as the String path quotes it, whatever its length and wherever a byte that needs
    /// escaping sits (the check reads words, the last one overlapping the previous).
    @Test func receivedBytesAreQuotedAsTheStringPathQuotesThem() {
        var g = SystemRandomNumberGenerator()
        let special: [UInt8] = [0x00, 0x0A, 0x1F, 0x22, 0x5C, 0x7F, 0xC3, 0xA9, 0xFF]
        for _ in 0..<4000 {
            let n = Int.random(in: 0...40, using: &g)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0x20...0x7E, using: &g) }.map { $0 == 0x22 || $0 == 0x5C ? UInt8(ascii: "x") : $0 }
            if n > 0 && Bool.random(using: &g) { bytes[Int.random(in: 0..<n, using: &g)] = special.randomElement(using: &g)! }
            var fast: [UInt8] = []
            bytes.withUnsafeBufferPointer { JSONLine.appendQuoted(bytes: $0, to: &fast) }
            var reference: [UInt8] = []
            JSONLine.appendQuoted(String(decoding: bytes, as: UTF8.self), to: &reference)
            #expect(fast == reference, "\(bytes)")
        }
    }
}
