// Reading the run's trace.jsonl and rendering one request's hops, marking every account-boundary crossing.
import Foundation
import RoleKit

struct TraceRow {
    let json: [String: Any]
    var str: (String) -> String { { self.json[$0] as? String ?? "" } }
    var monoNs: UInt64 { (json["monoNs"] as? NSNumber)?.uint64Value ?? 0 }
    var node: String { str("node") }
    var event: String { str("event") }
}

enum TraceReader {
    /// All records of one request, in monotonic-time order.
    static func records(for requestId: String, tracePath: String) -> [TraceRow] {
        guard let data = FileManager.default.contents(atPath: tracePath) else { return [] }
        var rows: [TraceRow] = []
        let needle = Array("\"requestId\":\"\(requestId)\"".utf8)
        for line in data.split(separator: 10) {
            guard contains(line, needle), let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            rows.append(TraceRow(json: obj))
        }
        return rows.sorted { $0.monoNs < $1.monoNs }
    }

    static func contains(_ hay: Data.SubSequence, _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count else { return false }
        return hay.withUnsafeBytes { raw -> Bool in
            let h = raw.bindMemory(to: UInt8.self)
            var i = 0
            while i + needle.count <= h.count {
                if h[i] == needle[0] {
                    var j = 1
                    while j < needle.count && h[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    /// Waits until the client's final record for the request is in the trace (records travel asynchronously).
    static func waitForCompletion(requestId: String, client: String, tracePath: String, timeoutMs: Int) -> [TraceRow] {
        let start = Date()
        var rows: [TraceRow] = []
        repeat {
            rows = records(for: requestId, tracePath: tracePath)
            let clientDone = rows.contains { $0.node == client && ($0.event == "recv" || $0.event == "decision" && $0.str("decision") == "timeout") && $0.str("type") != "invoke-request" }
            // Complete when every send has its receive and every receive its send (records of different nodes
            // arrive in separate batches).
            let sends = Set(rows.filter { $0.event == "send" }.map { "\($0.str("messageId"))|\($0.node)>\($0.str("peer"))" })
            let recvs = Set(rows.filter { $0.event == "recv" }.map { "\($0.str("messageId"))|\($0.str("peer"))>\($0.node)" })
            if clientDone && sends == recvs { return rows }
            usleep(20_000)
        } while Date().timeIntervalSince(start) * 1000 < Double(timeoutMs)
        return rows
    }
}

enum HopTable {
    static func hops(_ rows: [TraceRow]) -> [[String: Any]] {
        let t0 = rows.first?.monoNs ?? 0
        return rows.map { r in
            var h: [String: Any] = [
                "node": r.node, "role": r.str("role"), "account": r.str("account"), "event": r.event,
                "tMs": Double(r.monoNs - t0) / 1e6,
            ]
            for k in ["peer", "peerAccount", "type", "decision", "reason", "messageId", "vpceId", "gate", "errorType"] where !r.str(k).isEmpty { h[k] = r.str(k) }
            if let b = r.json["bytes"] { h["bytes"] = b }
            if let l = r.json["layers"] { h["layers"] = l }
            if let c = r.json["crossesAccountBoundary"] { h["crossesAccountBoundary"] = c }
            return h
        }
    }

    static func render(_ rows: [TraceRow], accounts: [String: String]) -> String {
        guard let t0 = rows.first?.monoNs else { return "(no trace records for this request)\n" }
        var out = ""
        let header = ["#", "t(ms)", "node", "account", "event", "peer", "message", "bytes", "protection", "note"]
        var table: [[String]] = [header]
        for (i, r) in rows.enumerated() {
            let acct = r.str("account")
            let acctName = accounts[acct].map { "\($0) (\(acct))" } ?? acct
            var note = ""
            if r.json["crossesAccountBoundary"] as? Bool == true && (r.event == "send" || r.event == "recv") {
                let peerAcct = r.str("peerAccount")
                note = "⇄ account boundary \(accounts[acct] ?? acct) ↔ \(accounts[peerAcct] ?? peerAcct)"
            }
            let decision = r.str("decision")
            if !decision.isEmpty {
                let gate = r.str("gate")
                // A combined record of passing gates already names each gate in its reason.
                let prefix = gate.isEmpty || gate.contains(",") ? "" : "[\(gate)] "
                note += (note.isEmpty ? "" : "; ") + prefix + decision + (r.str("reason").isEmpty ? "" : ": " + r.str("reason"))
            }
            if !r.str("vpceId").isEmpty && r.event == "recv" && r.node.contains("frontend") { note += (note.isEmpty ? "" : "; ") + "via \(r.str("vpceId"))" }
            let layers = (r.json["layers"] as? [String])?.joined(separator: "+") ?? ""
            let bytes = (r.json["bytes"] as? NSNumber).map { "\($0)" } ?? ""
            table.append([String(i + 1), String(format: "%.3f", Double(r.monoNs - t0) / 1e6), "\(r.node) [\(r.str("role"))]", acctName,
                          r.event, r.str("peer"), r.str("type"), bytes, layers, note])
        }
        let widths = (0..<header.count).map { c in min(c == 9 ? 200 : 48, table.map { $0[c].count }.max() ?? 0) }
        for (ri, row) in table.enumerated() {
            var line = ""
            for (c, cell) in row.enumerated() {
                let clipped = cell.count > widths[c] ? String(cell.prefix(widths[c] - 1)) + "…" : cell
                line += clipped + String(repeating: " ", count: max(0, widths[c] - clipped.count)) + (c < row.count - 1 ? "  " : "")
            }
            out += line.trimmingCharacters(in: .whitespaces) + "\n"
            if ri == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        let crossings = rows.filter { $0.event == "send" && $0.json["crossesAccountBoundary"] as? Bool == true }.count
        out += "\(rows.count) records, \(crossings) account-boundary crossing(s)\n"
        return out
    }
}
