// Account boundaries and robustness, proven with real processes.
import Envelope
import Foundation
import NodeRuntime
import OperatorKit
import Testing
import ZMQ

extension RealProcessTests {
@Suite("Isolation and robustness (real processes)", .serialized)
struct IsolationTests {
    @Test(.timeLimit(.minutes(3)))
    func theEndpointNeverSeesThePromptButTheModelHostDoes() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up(["--zero-latency", "--wiretap", "vpce-a", "--wiretap", "escrow-anthropic-1", "--wiretap", "escrow-anthropic-2"]) else { return }
        let marker = "CANARY-\(UInt64.random(in: 1_000_000...9_999_999))-PROMPT"
        let body = #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":20,"messages":[{"role":"user","content":"\#(marker)"}]}"#
        let r = run.invoke(model: claude, body: body)
        run.check(r["status"] as? String == "ok", "invoke failed: \(r)")
        let endpointBytes = FileManager.default.contents(atPath: run.runDir + "/wiretap/vpce-a.frames") ?? Data()
        run.check(endpointBytes.count > 1000, "the endpoint wiretap recorded nothing (\(endpointBytes.count) bytes)")
        run.check(endpointBytes.range(of: Data(marker.utf8)) == nil, "the PrivateLink endpoint could read the prompt")
        // Positive control: the same wiretap on the model host (CURVE only, after the front end) does see it,
        // so the check above would catch a leak.
        let hostBytes = (FileManager.default.contents(atPath: run.runDir + "/wiretap/escrow-anthropic-1.frames") ?? Data())
            + (FileManager.default.contents(atPath: run.runDir + "/wiretap/escrow-anthropic-2.frames") ?? Data())
        run.check(hostBytes.range(of: Data(marker.utf8)) != nil, "positive control failed: the model host wiretap lacks the prompt")
    }

    @Test(.timeLimit(.minutes(3)))
    func noPromptOrCompletionIsRetainedAnywhereInTheRun() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up() else { return }
        let marker = "RETENTION-CANARY-\(UInt64.random(in: 1_000_000...9_999_999))"
        let r = run.invoke(model: claude, body: #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":30,"messages":[{"role":"user","content":"\#(marker) please"}]}"#)
        run.check(r["status"] as? String == "ok", "invoke failed: \(r)")
        let completion = ((r["body"] as? [String: Any])?["content"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        run.check(completion.count > 10, "no completion text")
        // A distinctive slice of the completion (it echoes prompt words, so take its tail).
        let completionSlice = String(completion.suffix(24))
        usleep(300_000)
        var scanned = 0
        let files = FileManager.default.enumerator(atPath: run.runDir)?.compactMap { $0 as? String } ?? []
        for f in files {
            var isDir: ObjCBool = false
            let path = run.runDir + "/" + f
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            scanned += 1
            run.check(data.range(of: Data(marker.utf8)) == nil, "\(f) contains the prompt")
            run.check(data.range(of: Data(completionSlice.utf8)) == nil, "\(f) contains the completion")
        }
        run.check(scanned >= 10, "scanned only \(scanned) files")
        // The front end and the hosts hold no open file other than their log and the audit trail.
        for name in ["runtime-frontend", "escrow-anthropic-1", "escrow-anthropic-2"] {
            guard let pid = run.pid(of: name) else { continue }
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            for fd in fds {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? ""
                guard target.hasPrefix("/"), !target.hasPrefix("/dev/"), !target.hasPrefix("/proc/") else { continue }
                run.check(target.hasSuffix(".log") || target.contains("/cloudtrail/"), "\(name) holds \(target) open")
            }
        }
    }

    /// Every thread of every node (the node's loop and libzmq's threads, which inherit the policy) runs under
    /// SCHED_BATCH; the supervisor and the operator's CLI keep the default policy.
    @Test(.timeLimit(.minutes(3)))
    func everyNodeThreadRunsUnderBatchScheduling() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up(["--zero-latency"]) else { return }
        let nodes = RunStatus.load(runDirectory: run.runDir)?.nodes ?? []
        run.check(nodes.count >= 10, "only \(nodes.count) nodes in status.json")
        for n in nodes {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(n.pid)/task")) ?? []
            run.check(tasks.count >= 2, "\(n.name): \(tasks.count) threads (expected the loop and libzmq's)")
            // The collector yields the CPU to the request path with every thread, libzmq's I/O thread included.
            let nice = n.name == "trace-collector" ? 5 : 0
            for tid in tasks {
                run.check(schedulingPolicy(pid: n.pid, tid: tid) == 3, "\(n.name) thread \(tid): policy \(schedulingPolicy(pid: n.pid, tid: tid) ?? -1), not SCHED_BATCH (3)")
                run.check(statField(pid: n.pid, tid: tid, 19) == nice, "\(n.name) thread \(tid): nice \(statField(pid: n.pid, tid: tid, 19) ?? -99), not \(nice)")
            }
        }
        if let supervisor = RunStatus.load(runDirectory: run.runDir)?.supervisorPid {
            run.check(schedulingPolicy(pid: supervisor, tid: String(supervisor)) == 0, "the supervisor is not under the default policy")
        }
    }

    /// The `policy` field (the 41st) of /proc/PID/task/TID/stat.
    private func schedulingPolicy(pid: Int32, tid: String) -> Int? { statField(pid: pid, tid: tid, 41) }

    /// Field `number` (from 3, counted as proc(5) does) of /proc/PID/task/TID/stat: 19 is nice, 41 the policy.
    private func statField(pid: Int32, tid: String, _ number: Int) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")   // from field 3 (state) on
        return fields.count > number - 3 ? Int(fields[number - 3]) : nil
    }

    @Test(.timeLimit(.minutes(3)))
    func aKeyNotOnTheAllowListIsRefusedAndTraced() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up(), let frontend = run.node("runtime-frontend"), let endpoint = frontend.serviceEndpoint else { return }
        // An outsider that knows the front end's public key (it is not secret) but holds no admitted key.
        let context = try Context()
        defer { context.terminate() }
        let s = try Socket(context: context, type: .dealer)
        defer { s.close() }
        let keys = try ZMQ.curveKeypair()
        try s.makeCurveClient(serverPublicKey: frontend.curvePublicKey, publicKey: keys.publicKey, secretKey: keys.secretKey)
        try s.monitor(endpoint: "inproc://outsider", events: MonitorEvent.mask)
        let monitor = try Socket(context: context, type: .pair)
        defer { monitor.close() }
        try monitor.connect("inproc://outsider")
        try s.connect(endpoint)
        var refused = false
        let deadline = Date().addingTimeInterval(10)
        while !refused && Date() < deadline {
            if (try? Poller.poll([.socket(monitor)], timeoutMs: 200))?.first == true, let m = try? monitor.receive(),
               let (event, _) = MonitorEvent.decode(m), case .handshakeFailedAuth = event { refused = true }
        }
        run.check(refused, "the front end admitted a key that is not on its allow-list")
        let traced = waitUntil(timeoutSeconds: 5) {
            run.traceLines().contains { $0["node"] as? String == "runtime-frontend" && $0["event"] as? String == "refused"
                && ($0["peer"] as? String ?? "").hasPrefix("unknown key") }
        }
        run.check(traced, "the refusal was not traced")
        // A client node is not admitted directly on the front end either: only PrivateLink endpoints are.
        run.check(!(frontend.admits.contains("client-a")), "client-a is on the front end's allow-list")
    }

    @Test(.timeLimit(.minutes(3)))
    func theModelProviderNodeCannotReachAnyEscrowHostAndReceivesNothing() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up() else { return }
        _ = run.invoke(model: claude, body: claudeBody)
        let hosts = run.manifest?.nodes.filter { $0.role == "escrow-host" && $0.accountId == run.node("escrow-anthropic-1")?.accountId }.map(\.name) ?? []
        let refusedBy = { Set(run.traceLines().filter { $0["event"] as? String == "refused" && $0["peer"] as? String == "anthropic-corp" }
            .compactMap { $0["node"] as? String }) }
        run.check(waitUntil(timeoutSeconds: 8) { refusedBy().isSuperset(of: hosts) }, "refusals seen from \(refusedBy()), hosts \(hosts)")
        let received = run.traceLines().filter { $0["node"] as? String == "anthropic-corp" && $0["event"] as? String == "recv" }
        run.check(received.isEmpty, "the model-provider node received \(received.count) message(s)")
        var stats: [String: Any] = [:]
        _ = waitUntil(timeoutSeconds: 8) {
            stats = (try? run.operatorClient().request("anthropic-corp", json: ["command": "stats"], timeoutMs: 3000)) ?? [:]
            return (stats["probes"] as? Int ?? 0) > 0
        }
        run.check((stats["received"] as? Int) == 0 && (stats["linksUp"] as? [String])?.isEmpty == true, "provider stats: \(stats)")
        run.check((stats["probes"] as? Int ?? 0) > 0, "the provider node never tried")
    }

    @Test(.timeLimit(.minutes(4)))
    func malformedFramesOnEveryListeningSocketLeaveEveryNodeUp() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up(), let manifest = run.manifest else { return }
        signal(SIGPIPE, SIG_IGN)   // the nodes close garbage connections; writing on them must not kill the test
        let context = try Context()
        defer { context.terminate() }
        var garbage: [[UInt8]] = [[], [0], Array("GET / HTTP/1.1\r\n\r\n".utf8), Array("BSE".utf8) + [1, 1, 0, 0], [UInt8](repeating: 0xff, count: 4096)]
        var e = Envelope(type: .invokeRequest, messageId: "x", requestId: "r", traceparent: "", source: NodeAddress(node: "client-a", account: "1"),
                         destination: NodeAddress(node: "runtime-frontend", account: "2"), deadlineUnixMs: 0, body: [1, 2, 3])
        garbage.append(e.encode())                                      // well-formed envelope, garbage sealed body
        e.body = []; var big = e.encode(); big[big.count - 2] = 0x7f      // claims a huge body
        garbage.append(big)
        for node in manifest.nodes {
            for (port, name) in [(node.servicePort, "service"), (Optional(node.controlPort), "control")] {
                guard let port else { continue }
                // 1. Raw bytes that are not ZMTP at all.
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_in(); addr.sin_family = sa_family_t(AF_INET); addr.sin_port = UInt16(port).bigEndian
                addr.sin_addr.s_addr = inet_addr(node.host)
                if withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0 {
                    for g in garbage { _ = g.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
                }
                close(fd)
                // 2. Authenticated garbage: frames from a peer that passes ZAP (the operator on control sockets,
                //    an admitted node's key on service sockets).
                let s = try Socket(context: context, type: .dealer)
                defer { s.close() }
                let peerName = name == "control" ? nil : node.admits.first
                let (pub, sec): (String, String)
                if let peerName, let peer = manifest.node(named: peerName) {
                    pub = peer.curvePublicKey
                    sec = try String(contentsOfFile: peer.curveSecretKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                    try s.setOption(5, bytes: Array(peerName.utf8))
                } else if name == "control" {
                    pub = manifest.operatorPublicKey
                    sec = try String(contentsOfFile: run.runDir + "/keys/operator.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                } else { continue }
                try s.makeCurveClient(serverPublicKey: node.curvePublicKey, publicKey: pub, secretKey: sec)
                try s.setOption(17 /* ZMQ_LINGER */, 3000)   // deliver the frames before the socket closes
                try s.connect("tcp://\(node.host):\(port)")
                for g in garbage { try? s.send([g.isEmpty ? [0] : g], dontWait: false) }
                try? s.send([[1], [2], [3]], dontWait: false)             // unexpected multipart
            }
        }
        usleep(500_000)
        let status = run.sim(["status", "--json"])
        run.check(status.status == 0, "not every node survived malformed frames:\n\(status.stdout)\n\(status.stderr)")
        let r = run.invoke(model: claude, body: claudeBody)
        run.check(r["status"] as? String == "ok", "the path no longer works after malformed frames: \(r)")
        let rejections = run.traceLines().filter { $0["event"] as? String == "rejected" }.count
        run.check(rejections >= 5, "malformed frames were not traced (\(rejections) rejected records)")

        // 3. Authenticated garbage on service sockets, decoded there. A ROUTER takes one connection per routing id,
        //    and each admitted peer is connected already: the step above cannot reach a service socket's decoder.
        //    Here the peer is stopped first and its key and name used: client-b's on vpce-b, then vpce-b's on the
        //    front end. Besides the garbage, a well-formed frame whose claims are out of key order, which the
        //    endpoint forwards as it came.
        e.body = [1, 2, 3]; e.claims = ["a": "1", "b": "2"]; e.source = NodeAddress(node: "client-b", account: "2")
        let sorted: [UInt8] = [0, 1, 0x61, 0, 1, 0x31, 0, 1, 0x62, 0, 1, 0x32], swapped: [UInt8] = [0, 1, 0x62, 0, 1, 0x32, 0, 1, 0x61, 0, 1, 0x31]
        var unordered = e.encode()
        if let at = (0...(unordered.count - sorted.count)).first(where: { Array(unordered[$0..<($0 + sorted.count)]) == sorted }) {
            unordered.replaceSubrange(at..<(at + sorted.count), with: swapped)
        }
        func records(at target: String, from peerName: String) -> [[String: Any]] {
            run.traceLines().filter {
                $0["node"] as? String == target && $0["peer"] as? String == peerName
                    && ($0["event"] as? String == "rejected" || $0["event"] as? String == "recv")
            }
        }
        for (peerName, target) in [("client-b", "vpce-b"), ("vpce-b", "runtime-frontend")] {
            guard let peer = manifest.node(named: peerName), let node = manifest.node(named: target), let port = node.servicePort,
                  let pid = run.pid(of: peerName) else { Issue.record("no \(peerName) or \(target) in the run"); continue }
            kill(pid, SIGKILL)
            _ = waitUntil(timeoutSeconds: 5) { kill(pid, 0) != 0 }
            let s = try Socket(context: context, type: .dealer)
            try s.setOption(5, bytes: Array(peerName.utf8))
            let sec = try String(contentsOfFile: peer.curveSecretKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            try s.makeCurveClient(serverPublicKey: node.curvePublicKey, publicKey: peer.curvePublicKey, secretKey: sec)
            try s.setOption(17 /* ZMQ_LINGER */, 3000)
            try s.connect("tcp://\(node.host):\(port)")
            for g in garbage + [unordered] { try? s.send([g.isEmpty ? [0] : g], dontWait: false) }
            s.close()
            // Each frame is decoded there: a rejection or, for the well-formed ones, a receive.
            run.check(waitUntil(timeoutSeconds: 8) { records(at: target, from: peerName).count >= garbage.count },
                      "\(target)'s service socket decoded \(records(at: target, from: peerName).count) of \(garbage.count + 1) frames from \(peerName)")
            if target == "vpce-b" {
                let forwarded = waitUntil(timeoutSeconds: 5) {
                    run.traceLines().contains { $0["node"] as? String == "vpce-b" && $0["event"] as? String == "send" && $0["peer"] as? String == "runtime-frontend" }
                }
                run.check(forwarded, "vpce-b did not forward the well-formed frame with unordered claims")
            }
        }
        let after = run.sim(["status", "--json"]).json?["nodes"] as? [[String: Any]] ?? []
        let down = after.filter { $0["state"] as? String != "running" }.compactMap { $0["node"] as? String }
        run.check(!after.isEmpty && Set(down) == ["client-b", "vpce-b"], "only the stopped peers may be down after authenticated garbage: \(down)")
        let again = run.invoke(model: claude, body: claudeBody)
        run.check(again["status"] as? String == "ok", "the path no longer works after authenticated garbage: \(again)")
    }
}
}
