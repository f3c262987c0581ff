// `bench`: launches its own run of a topology (zero model latency), drives InvokeModel through the full path from a
// client node (1 KiB prompts, at 1 and at 64 requests in flight), and runs the raw libzmq baseline of the same shape
// (client -> 2 relays -> echo server, CURVE on every link, 1 KiB payload) in the same invocation. It prints
// throughput and HdrHistogram latency percentiles side by side, each role's resident memory, how long `up` took,
// and finally `throughput_ratio=X latency_p50_ratio=Y` (simulator over baseline). A benchmark, not a test.
import ArgumentParser
import Foundation
import Histogram
import NodeRuntime
import OperatorKit

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark the full request path against a raw libzmq baseline of the same shape.")
    @Option(help: "Topology to launch.") var topology = "Topologies/default.yaml"
    @Option(help: "Requests at 1 in flight.") var requestsSerial = 3000
    @Option(help: "Requests at 64 in flight.") var requestsParallel = 60000
    @Option(help: "Model to invoke.") var model = "amazon.titan-text-express-v1"
    @Option(help: "Client node (default: the first bedrock-client).") var from: String?
    @Option(help: "Run directory for the benchmark's own run (kept afterwards; without it a temporary one is removed).") var runDir: String?
    @Option(help: "Trace level of the benchmark run: full (every hop journaled, the default) or off.") var trace = "full"
    @Option(help: "Path of the C reference bench source to compile and run too (skipped if missing).")
    var reference = "../shared/bench/zmq-chain-bench.c"
    /// Six rounds of 10,000 at 64 in flight: a single round's ratio moves by ±10 points on the shared 2-core machine, a
    /// run's by about ±2 over six rounds against ±2.6 over three (ten and twenty-six runs, eighth session).
    @Option(help: "Rounds per phase: the simulator and the baseline take turns, so a machine whose speed drifts (shared, virtualised) slows both alike.")
    var rounds = 6

    struct Figures { var rps: Double; var p50: Double; var p90: Double; var p99: Double; var errors: Int }

    /// The simulator's answers over one or more rounds of a phase: every latency, the time the rounds took, errors.
    struct SimSamples {
        var latenciesNs: [UInt64] = []
        var elapsedNs: Double = 0
        var errors = 0
        mutating func add(_ other: SimSamples) {
            latenciesNs += other.latenciesNs; elapsedNs += other.elapsedNs; errors += other.errors
        }
        var figures: Figures {
            var h = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            for l in latenciesNs { _ = h.record(max(1, l / 1000)) }
            return Figures(rps: Double(latenciesNs.count + errors) / (max(elapsedNs, 1) / 1e9), p50: Double(h.valueAtPercentile(50)),
                           p90: Double(h.valueAtPercentile(90)), p99: Double(h.valueAtPercentile(99)), errors: errors)
        }
    }

    /// The baseline over the rounds of a phase: throughput over the total time; p50 and p99 are the median of the
    /// rounds' (each round reports its own percentiles, not its latencies).
    static func combine(_ runs: [(count: Int, figures: Figures)]) -> Figures {
        let seconds = runs.reduce(0.0) { $0 + Double($1.count) / max($1.figures.rps, 1e-9) }
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
        return Figures(rps: Double(runs.reduce(0) { $0 + $1.count }) / max(seconds, 1e-9), p50: median(runs.map(\.figures.p50)),
                       p90: .nan, p99: median(runs.map(\.figures.p99)), errors: runs.reduce(0) { $0 + $1.figures.errors })
    }

    /// Requests at 64 in flight before that phase is measured: a tenth of the phase, between 64 and 3000.
    static func parallelWarmUp(_ measured: Int) -> Int { min(3000, max(64, measured / 10)) }

    /// Requests of round `r` of `rounds` (the remainder goes to the first rounds).
    static func share(_ total: Int, round r: Int, of rounds: Int) -> Int { total / rounds + (r < total % rounds ? 1 : 0) }

    static func prompt1KiB() -> String {
        let words = ["private", "link", "endpoint", "escrow", "account", "guardrail", "model", "request", "token", "policy"]
        var s = ""
        var i = 0
        while s.utf8.count < 1024 - 24 { s += words[i % words.count] + " "; i += 1 }
        return String(s.prefix(1000))
    }

    func runSim(_ client: OperatorClient, node: String, count: Int, window: Int) throws -> SimSamples {
        let body = #"{"inputText":"\#(Bench.prompt1KiB())","textGenerationConfig":{"maxTokenCount":64}}"#
        let reply = try client.request(node, json: ["command": "bench", "count": count, "window": window, "modelId": model, "body": body],
                                       timeoutMs: 600_000)
        if let e = reply["error"] as? String { throw CLIError("bench: \(e)") }
        let errorTypes = reply["errors"] as? [String: NSNumber] ?? [:]
        let errors = errorTypes.values.reduce(0) { $0 + $1.intValue }
        if errors > 0 { print("  (window \(window): errors \(errorTypes.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")))") }
        return SimSamples(latenciesNs: (reply["latenciesNs"] as? [NSNumber] ?? []).map { $0.uint64Value },
                          elapsedNs: (reply["elapsedNs"] as? NSNumber)?.doubleValue ?? 1, errors: errors)
    }

    static func parseBaseline(_ line: String) -> Figures? {
        var kv: [String: Double] = [:]
        for part in line.split(separator: " ") {
            let p = part.split(separator: "=")
            if p.count == 2, let v = Double(p[1]) { kv[String(p[0])] = v }
        }
        guard let rps = kv["rps"], let p50 = kv["p50_us"], let p99 = kv["p99_us"] else { return nil }
        return Figures(rps: rps, p50: p50, p90: .nan, p99: p99, errors: 0)
    }

    /// Runs a benchmark program to completion, killed (with its whole process group) after `timeoutSeconds`: the
    /// C reference has no timeout of its own and waits forever if a message is lost.
    static func runProcess(_ exe: String, _ args: [String], timeoutSeconds: Int = 300) -> String {
        let p = Process()
        let timeout = "/usr/bin/timeout"
        if FileManager.default.isExecutableFile(atPath: timeout) {
            p.executableURL = URL(fileURLWithPath: timeout)
            p.arguments = ["-k", "5", String(timeoutSeconds), exe] + args
        } else {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
        }
        // Output to a file, read once the program has exited: a pipe would wait for EOF, which a child the program
        // left behind could hold off forever.
        let outPath = NSTemporaryDirectory() + "bench-out-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: outPath, contents: nil), let out = FileHandle(forWritingAtPath: outPath) else { return "" }
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        p.standardOutput = out
        do { try p.run() } catch { return "" }
        p.waitUntilExit()
        try? out.close()
        let data = FileManager.default.contents(atPath: outPath) ?? Data()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func baseline(window: Int, count: Int, port: Int) -> Figures? {
        Bench.parseBaseline(Bench.runProcess(binDirectory() + "/zmq-chain-baseline", ["2", "1", "1024", String(window), String(count), String(port)]))
    }

    /// Every node's ping answer (resident memory, CPU time so far).
    static func pingAll(_ client: OperatorClient, _ manifest: RunManifest) -> [String: [String: Any]] {
        let ping = Array(#"{"command":"ping"}"#.utf8)
        var out: [String: [String: Any]] = [:]
        for (name, r) in client.requestAll(manifest.nodes.map { ($0.name, ping) }, timeoutMs: 3000) {
            if case .success(let b) = r, let o = try? JSONSerialization.jsonObject(with: Data(b)) as? [String: Any] { out[name] = o }
        }
        return out
    }

    /// CPU time (user + system, µs) of waited-for children so far: the baseline's processes once it has exited.
    static func childrenCPUMicros() -> Double {
        var u = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec)
    }

    func run() throws {
        try runCLI {
            let run = RunDirectory.resolve(runDir ?? ".bedrock-sim/bench-\(getpid())")
            print("bench: launching \(topology) in \(run.path) (zero model latency)")
            let launch = try Launcher.up(LaunchOptions(topologyPath: topology, runDirectory: run, zeroLatency: true, settings: ["trace": trace]))
            defer {
                _ = try? Launcher.down(run)
                // Its trace holds hundreds of MB per run: a run directory the user did not ask for is not kept.
                if runDir == nil { try? FileManager.default.removeItem(atPath: run.path) }
            }
            let client = try run.operatorClient()
            guard let node = from ?? launch.manifest.nodes.first(where: { $0.role == "bedrock-client" })?.name else {
                throw CLIError("the topology has no bedrock-client")
            }
            _ = try runSim(client, node: node, count: 500, window: 8)   // warm-up
            // Below the ephemeral range (32768+), so no outgoing connection of another process holds the port.
            let port = 20_000 + Int(getpid() % 12_000)
            let rounds = max(1, self.rounds)
            // Each phase in rounds, the simulator's and the baseline's taking turns. The simulator's nodes stay up
            // (idle, they wake once a second) while the baseline runs.
            // The C reference, when it compiles, runs in every round right after the baseline (not once at the end,
            // where the machine's drift would make its one figure incomparable).
            var referenceExe: String?
            let referencePath = NSTemporaryDirectory() + "zmq-chain-bench-\(getpid())"
            if FileManager.default.fileExists(atPath: self.reference) {
                let cc = Bench.runProcess("/bin/sh", ["-c", "cc -O2 -o \(referencePath) \(self.reference) $(pkg-config --cflags --libs libzmq) && echo ok"])
                if cc.hasSuffix("ok") { referenceExe = referencePath }
            }
            defer { try? FileManager.default.removeItem(atPath: referencePath) }
            var refSerialRuns: [(count: Int, figures: Figures)] = [], refParallelRuns: [(count: Int, figures: Figures)] = []
            func runReference(window: Int, count: Int, port: Int, into runs: inout [(count: Int, figures: Figures)]) {
                guard let exe = referenceExe else { return }
                if let f = Bench.parseBaseline(Bench.runProcess(exe, ["2", "1", "1024", String(window), String(count), "tcp", String(port)])) {
                    runs.append((count, f))
                } else {
                    referenceExe = nil   // it did not run: leave it out rather than show a partial figure
                }
            }
            var simSerial = SimSamples()
            var baseSerialRuns: [(count: Int, figures: Figures)] = []
            for r in 0..<rounds {
                let n = Bench.share(requestsSerial, round: r, of: rounds)
                simSerial.add(try runSim(client, node: node, count: n, window: 1))
                guard let b = baseline(window: 1, count: n, port: port + 10 * r) else { throw CLIError("the baseline (zmq-chain-baseline) did not run") }
                baseSerialRuns.append((n, b))
                runReference(window: 1, count: n, port: port + 10 * (2 * rounds + r), into: &refSerialRuns)
            }
            // Warm-up at the measured window, right before it is measured: without it the first round ran a few
            // points below the next ones (four runs in six), as the nodes' buffers, caches and socket buffers grew
            // to their size under load. Not counted, as the warm-up at 8 in flight above.
            _ = try runSim(client, node: node, count: Bench.parallelWarmUp(requestsParallel), window: 64)
            var simParallel = SimSamples()
            var baseParallelRuns: [(count: Int, figures: Figures)] = []
            var roundRatios: [Double] = []
            var rss: [String: Double] = [:]
            var cpuByRole: [String: Double] = [:]   // CPU µs per request at 64 in flight, all nodes of the role
            var baselineCPU = 0.0
            for r in 0..<rounds {
                let n = Bench.share(requestsParallel, round: r, of: rounds)
                let before = Bench.pingAll(client, launch.manifest)
                let round = try runSim(client, node: node, count: n, window: 64)
                let after = Bench.pingAll(client, launch.manifest)
                simParallel.add(round)
                for (name, o) in after {
                    guard let role = launch.manifest.node(named: name)?.role else { continue }
                    if let bytes = (o["residentBytes"] as? NSNumber)?.doubleValue { rss[role] = max(rss[role] ?? 0, bytes / 1_048_576) }
                    if let a = (o["cpuMicros"] as? NSNumber)?.doubleValue, let b = (before[name]?["cpuMicros"] as? NSNumber)?.doubleValue {
                        cpuByRole[role, default: 0] += (a - b) / Double(max(1, requestsParallel))
                    }
                }
                let cpuBefore = Bench.childrenCPUMicros()
                guard let b = baseline(window: 64, count: n, port: port + 10 * (rounds + r)) else {
                    throw CLIError("the baseline (zmq-chain-baseline) did not run")
                }
                baselineCPU += (Bench.childrenCPUMicros() - cpuBefore) / Double(max(1, requestsParallel))
                baseParallelRuns.append((n, b))
                roundRatios.append(round.figures.rps / b.rps)
                runReference(window: 64, count: n, port: port + 10 * (3 * rounds + r), into: &refParallelRuns)
            }
            _ = try? Launcher.down(run)
            let serial = simSerial.figures, parallel = simParallel.figures
            let b1 = Bench.combine(baseSerialRuns), b64 = Bench.combine(baseParallelRuns)

            var reference: (Figures, Figures)?
            if refSerialRuns.count == rounds, refParallelRuns.count == rounds {
                reference = (Bench.combine(refSerialRuns), Bench.combine(refParallelRuns))
            }
            func row(_ name: String, _ f: Figures) -> String {
                String(format: "%-44@ %10.0f %10.1f %10@ %10.1f %7d", name as NSString, f.rps, f.p50,
                       (f.p90.isNaN ? "-" : String(format: "%.1f", f.p90)) as NSString, f.p99, f.errors)
            }
            print("")
            print(String(format: "%-44@ %10@ %10@ %10@ %10@ %7@", "path (1 KiB, CURVE on every link)" as NSString, "req/s" as NSString,
                         "p50 µs" as NSString, "p90 µs" as NSString, "p99 µs" as NSString, "errors" as NSString))
            print(row("simulator, 1 in flight", serial))
            print(row("baseline zmq-chain-baseline, 1 in flight", b1))
            if let r = reference { print(row("reference zmq-chain-bench.c, 1 in flight", r.0)) }
            print(row("simulator, 64 in flight", parallel))
            print(row("baseline zmq-chain-baseline, 64 in flight", b64))
            if let r = reference { print(row("reference zmq-chain-bench.c, 64 in flight", r.1)) }
            print("")
            print(String(format: "up: %.0f ms until all %d nodes were healthy (target < 3000 ms)", launch.elapsedMs, launch.manifest.nodes.count))
            for (role, mb) in rss.sorted(by: { $0.key < $1.key }) { print(String(format: "rss %-22@ %6.1f MB (target < 30 MB)", role as NSString, mb)) }
            // CPU per request is steadier than throughput on a shared machine: it is what the throughput ratio
            // comes down to when both runs are CPU-bound on the same cores.
            let simCPU = cpuByRole.values.reduce(0, +)
            for (role, us) in cpuByRole.sorted(by: { $0.value > $1.value }) where us >= 0.5 {
                print(String(format: "cpu %-22@ %6.1f µs per request at 64 in flight", role as NSString, us))
            }
            print(String(format: "cpu per request at 64 in flight: simulator %.0f µs (all nodes, I/O threads included), baseline %.0f µs (ratio %.1fx)",
                         simCPU, baselineCPU, baselineCPU > 0 ? simCPU / baselineCPU : .nan))
            print("rounds: \(rounds) per phase, simulator and baseline taking turns; throughput ratio by round at 64 in flight: "
                  + roundRatios.map { String(format: "%.3f", $0) }.joined(separator: " "))
            if let r = reference {
                print(String(format: "against the C reference (run in the same rounds): baseline %.0f%% of its throughput and %.2fx its p50; simulator %.0f%% and %.2fx",
                             100 * b64.rps / r.1.rps, b1.p50 / r.0.p50, 100 * parallel.rps / r.1.rps, serial.p50 / r.0.p50))
            }
            print(String(format: "throughput at 64 in flight: %.0f%% of baseline (target >= 40%%); p50 at 1 in flight: %.2fx baseline (target <= 2x)",
                         100 * parallel.rps / b64.rps, serial.p50 / b1.p50))
            print(String(format: "throughput_ratio=%.3f latency_p50_ratio=%.3f", parallel.rps / b64.rps, serial.p50 / b1.p50))
        }
    }
}
