// Failure, deadlines and process lifecycle with real processes.
import Foundation
import NodeRuntime
import OperatorKit
import Testing

extension RealProcessTests {
@Suite("Failure and lifecycle (real processes)", .serialized)
struct LifecycleTests {
    @Test(.timeLimit(.minutes(3)))
    func killingAnEscrowHostUnderLoadEndsEveryRequestWithinItsDeadline() throws {
        let run = SimRun(topology: Paths.fixtures + "/slow.yaml")
        defer { run.stop() }
        guard run.up([]) else { return }   // keep the latencies: requests are in flight when the host dies
        let deadlineMs = 4000
        let body = #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":20,"messages":[{"role":"user","content":"load"}]}"#
        nonisolated(unsafe) var reply: [String: Any] = [:]
        let dir = run.runDir
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            // The operator client is created and used on this thread only (blocking ZeroMQ calls, off the pool).
            let client = try? OperatorClient(manifest: RunManifest.load(path: dir + "/manifest.json"), keyDirectory: dir + "/keys")
            reply = (try? client?.request("client-a", json: ["command": "bench", "count": 120, "window": 16, "modelId": claude,
                                                             "body": body, "deadlineMs": deadlineMs], timeoutMs: 60_000)) ?? nil ?? [:]
            done.signal()
        }
        worker.start()
        usleep(400_000)
        guard let victim = run.pid(of: "escrow-anthropic-1") else { Issue.record("no pid for escrow-anthropic-1"); return }
        kill(victim, SIGKILL)
        run.check(done.wait(timeout: .now() + 60) == .success, "the load did not finish")
        let completed = reply["completed"] as? Int ?? 0
        let errors = reply["errors"] as? [String: Int] ?? [:]
        let maxEndMs = Double(reply["maxEndNs"] as? Int ?? Int.max) / 1e6
        run.check(completed == 120, "only \(completed) of 120 requests ended: \(reply)")
        run.check(maxEndMs <= Double(deadlineMs) + 500, "a request took \(maxEndMs) ms, past its \(deadlineMs) ms deadline")
        let allowed: Set<String> = ["ServiceUnavailableException", "ModelNotReadyException"]
        run.check(Set(errors.keys).isSubset(of: allowed), "unexpected error types: \(errors)")
        let successes = (reply["latenciesNs"] as? [Any])?.count ?? 0
        run.check(successes > 60, "the surviving host should have answered most requests (\(successes) ok, errors \(errors))")
        let retried = run.traceLines().contains { $0["decision"] as? String == "retry" && $0["peer"] as? String == "escrow-anthropic-1" }
        run.check(retried, "no retry on the other host was traced")
        // status reports the dead node.
        let status = run.sim(["status", "--json"])
        run.check(status.status == 3, "status should exit 3 with a dead node, got \(status.status)")
        let nodes = status.json?["nodes"] as? [[String: Any]] ?? []
        let victimState = nodes.first { $0["node"] as? String == "escrow-anthropic-1" }?["state"] as? String
        run.check(victimState == "killed" || victimState == "dead", "status shows escrow-anthropic-1 as \(victimState ?? "nil")")
    }

    @Test(.timeLimit(.minutes(2)))
    func aPassedDeadlineEndsInModelTimeoutExceptionWithinTheDeadline() throws {
        let run = SimRun(topology: Paths.fixtures + "/slow.yaml")
        defer { run.stop() }
        guard run.up([]) else { return }
        let started = Date()
        let r = run.invoke(model: "meta.llama3-8b-instruct-v1:0", body: #"{"prompt":"slow","max_gen_len":50}"#, extra: ["--deadline-ms", "500"])
        let elapsed = Date().timeIntervalSince(started)
        run.check(r["status"] as? String == "ModelTimeoutException" && r["httpStatus"] as? Int == 408, "slow model: \(r)")
        run.check(elapsed < 3.0, "the timeout took \(elapsed) s for a 0.5 s deadline")
        let r2 = run.invoke(model: claude, body: claudeBody, extra: ["--deadline-ms", "5000"])
        run.check(r2["status"] as? String == "ok", "the front end did not recover after a timeout: \(r2)")
    }

    @Test(.timeLimit(.minutes(2)))
    func aBadTopologyIsRefusedWithFileLineAndKeyAndNothingStarts() throws {
        let run = SimRun(topology: Paths.fixtures + "/bad-topology.yaml")
        defer { run.stop() }
        let r = runCommand(Paths.sim, ["up", run.topology, "--run-dir", run.runDir], timeoutSeconds: 30)
        #expect(r.status == 65)
        for fragment in ["bad-topology.yaml:4:", "accounts[1].id", "duplicate", "nodes[0].account", "nodes[1].account",
                         "customer-z", "nodes[2].name", "nodes[2].colour"] {
            #expect(r.stderr.contains(fragment), "missing '\(fragment)' in:\n\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/status.json"), "a supervisor was started")
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/manifest.json"), "a manifest was written")
    }

    @Test(.timeLimit(.minutes(3)))
    func runsDoNotCollideUpRefusesALiveRunAndStoppingLeavesNoProcess() throws {
        let a = SimRun(), b = SimRun()
        defer { a.stop(); b.stop() }
        guard a.up(), b.up() else { return }
        let portsA = Set(a.manifest?.nodes.flatMap { [$0.controlPort] + ($0.servicePort.map { [$0] } ?? []) } ?? [])
        let portsB = Set(b.manifest?.nodes.flatMap { [$0.controlPort] + ($0.servicePort.map { [$0] } ?? []) } ?? [])
        #expect(portsA.isDisjoint(with: portsB))
        #expect(a.invoke(model: claude, body: claudeBody)["status"] as? String == "ok")
        #expect(b.invoke(model: claude, body: claudeBody)["status"] as? String == "ok")
        let again = runCommand(Paths.sim, ["up", "Topologies/default.yaml", "--run-dir", a.runDir], timeoutSeconds: 30)
        #expect(again.status == 2 && again.stderr.contains("already live"), "\(again.stderr)")
        #expect(a.invoke(model: claude, body: claudeBody)["status"] as? String == "ok", "the refused up disturbed the live run")

        // SIGTERM to the supervisor stops every node.
        let pidsA = a.allPids
        #expect(pidsA.count == 12)
        if let sup = RunStatus.load(runDirectory: a.runDir)?.supervisorPid { kill(sup, SIGTERM) }
        #expect(waitUntil(timeoutSeconds: 10) { pidsA.allSatisfy { !ProcessProbe.isAlive($0) } }, "processes left after SIGTERM")
        // kill -9 of the supervisor: the nodes follow it (PR_SET_PDEATHSIG).
        let pidsB = b.allPids
        if let sup = RunStatus.load(runDirectory: b.runDir)?.supervisorPid { kill(sup, SIGKILL) }
        #expect(waitUntil(timeoutSeconds: 10) { pidsB.allSatisfy { !ProcessProbe.isAlive($0) } }, "orphans left after kill -9 of the supervisor")
    }

    /// `bedrock-sim bench` end to end, small: its own run of the default topology, each phase in rounds that take
    /// turns with the baseline, every request answered, the figures and the final ratio line, nothing left running.
    @Test(.timeLimit(.minutes(3)))
    func theBenchmarkAlternatesRoundsWithTheBaselineAndPrintsTheRatios() throws {
        let runDir = NSTemporaryDirectory() + "bedrock-sim-test-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer {
            _ = runCommand(Paths.sim, ["down", "--run-dir", runDir], timeoutSeconds: 20)
            try? FileManager.default.removeItem(atPath: runDir)
        }
        let r = runCommand(Paths.sim, ["bench", "--requests-serial", "20", "--requests-parallel", "300", "--rounds", "2",
                                       "--reference", "/nonexistent", "--run-dir", runDir], timeoutSeconds: 150)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(!r.stdout.contains("errors "), "every benchmark request was answered: \(r.stdout)")
        let rounds = try #require(lines.first { $0.hasPrefix("rounds: 2 per phase") }, "\(r.stdout)")
        let ratios = rounds.split(separator: ":").last?.split(separator: " ").compactMap { Double($0) } ?? []
        #expect(ratios.count == 2 && ratios.allSatisfy { $0 > 0 }, "\(rounds)")
        for row in ["simulator, 1 in flight", "baseline zmq-chain-baseline, 1 in flight", "simulator, 64 in flight",
                    "baseline zmq-chain-baseline, 64 in flight"] {
            #expect(lines.contains { $0.hasPrefix(row) }, "\(row) missing: \(r.stdout)")
        }
        let last = try #require(lines.last)
        let values = last.split(separator: " ").compactMap { $0.split(separator: "=").last.flatMap { Double($0) } }
        #expect(last.hasPrefix("throughput_ratio=") && last.contains(" latency_p50_ratio=") && values.count == 2
                && values.allSatisfy { $0 > 0 && $0.isFinite }, "\(last)")
        // The run was brought down: no node of it answers any more.
        if let status = RunStatus.load(runDirectory: runDir) {
            #expect(waitUntil(timeoutSeconds: 10) { status.nodes.allSatisfy { !ProcessProbe.isAlive($0.pid) } }, "nodes left running")
        }
    }
}
}
