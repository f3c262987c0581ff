// A multi-process test kit in the spirit of swift-distributed-actors' MultiNodeTestKit: every node of a test run
// is a real OS process started by the real `bedrock-sim up`, in its own temporary run directory. Every command has
// a hard timeout; a failing check prints every node's log; `stop()` (called in `defer`) ends every process.
import Foundation
import NodeRuntime
import OperatorKit
import Testing

/// Every suite that launches real processes is nested here, so they run one at a time (each run is a dozen
/// processes; several at once on a 2-core machine would only make each slower and the timeouts flaky).
@Suite("Real processes", .serialized)
enum RealProcessTests {}

enum Paths {
    /// The build directory holding bedrock-sim and the role executables (next to the test bundle).
    static let bin: String = {
        if let b = ProcessInfo.processInfo.environment["BEDROCK_SIM_BIN"] { return b }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift test runs .build/debug/NAME.xctest; the executables sit beside it.
        for _ in 0..<3 where !FileManager.default.fileExists(atPath: dir.path + "/bedrock-sim") { dir.deleteLastPathComponent() }
        return dir.path
    }()
    static let repo: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures"
    static var sim: String { bin + "/bedrock-sim" }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] }
}

/// Runs a command with a hard timeout (SIGKILL when it passes).
func runCommand(_ exe: String, _ args: [String], timeoutSeconds: Double = 60) -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: Paths.repo)
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch { return CommandResult(status: -1, stdout: "", stderr: "cannot run \(exe): \(error)") }
    // Read both pipes on their own threads so a chatty command cannot block on a full pipe.
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    group.wait()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

final class SimRun {
    let runDir: String
    let topology: String
    private(set) var manifest: RunManifest?
    private var stopped = false

    init(topology: String = "Topologies/default.yaml", name: String = #function) {
        self.topology = topology
        let safe = name.filter { $0.isLetter || $0.isNumber }
        runDir = NSTemporaryDirectory() + "bedrock-sim-test-\(safe)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Starts the run; records an issue (with node logs) and returns false if it does not come up.
    @discardableResult
    func up(_ extra: [String] = ["--zero-latency"]) -> Bool {
        // --owner-pid: if this test process dies before stop(), the run stops by itself.
        let r = runCommand(Paths.sim, ["up", topology, "--run-dir", runDir, "--owner-pid", String(getpid())] + extra, timeoutSeconds: 60)
        guard r.status == 0 else {
            Issue.record("bedrock-sim up failed (\(r.status)):\n\(r.stdout)\n\(r.stderr)\n\(logs())")
            return false
        }
        manifest = try? RunManifest.load(path: runDir + "/manifest.json")
        return manifest != nil
    }

    func sim(_ args: [String], timeoutSeconds: Double = 60) -> CommandResult {
        runCommand(Paths.sim, args + ["--run-dir", runDir], timeoutSeconds: timeoutSeconds)
    }

    /// `bedrock-sim invoke --json`, parsed.
    func invoke(model: String, body: String, from: String = "client-a", extra: [String] = []) -> [String: Any] {
        let r = sim(["invoke", "--json", "--model", model, "--body", body, "--from", from] + extra, timeoutSeconds: 90)
        guard let j = r.json else {
            Issue.record("invoke printed no JSON (exit \(r.status)):\n\(r.stdout)\n\(r.stderr)\n\(logs())")
            return [:]
        }
        return j
    }

    func operatorClient() throws -> OperatorClient {
        try OperatorClient(manifest: try RunManifest.load(path: runDir + "/manifest.json"), keyDirectory: runDir + "/keys")
    }

    func node(_ name: String) -> ManifestNode? { manifest?.node(named: name) }

    func pid(of node: String) -> Int32? {
        RunStatus.load(runDirectory: runDir)?.nodes.first { $0.name == node }?.pid
    }

    var allPids: [Int32] {
        var pids = RunStatus.load(runDirectory: runDir)?.nodes.map(\.pid) ?? []
        if let s = RunStatus.load(runDirectory: runDir)?.supervisorPid { pids.append(s) }
        return pids
    }

    func traceLines() -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: runDir + "/trace.jsonl") else { return [] }
        return data.split(separator: 10).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    /// Every node's log, for failure reports.
    func logs() -> String {
        let dir = runDir + "/logs"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? []
        return files.map { f in
            let text = (try? String(contentsOfFile: dir + "/" + f, encoding: .utf8)) ?? ""
            return "---- \(f)\n" + text.split(separator: "\n").suffix(40).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Records an issue with the node logs attached when `condition` is false.
    func check(_ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
        if !condition { Issue.record("\(message())\n\(logs())", sourceLocation: sourceLocation) }
    }

    /// Stops the run and makes sure no process of it is left.
    func stop() {
        guard !stopped else { return }
        stopped = true
        let pids = allPids
        _ = runCommand(Paths.sim, ["down", "--run-dir", runDir], timeoutSeconds: 20)
        for pid in pids where ProcessProbe.isAlive(pid) { kill(pid, SIGKILL) }
        // The node loop waits on each socket's ZMQ_FD; a message found only by its idle re-check means a wake-up
        // was missed (the message waited up to a second). Every run of the suite checks that it never happens.
        let dir = runDir + "/logs"
        for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let text = (try? String(contentsOfFile: dir + "/" + f, encoding: .utf8)) ?? ""
            if text.contains("without its ZMQ_FD firing") { Issue.record("\(f) missed a ZMQ_FD wake-up:\n\(text)") }
        }
        try? FileManager.default.removeItem(atPath: runDir)
    }

    deinit { stop() }
}

func waitUntil(timeoutSeconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

let claude = "anthropic.claude-3-haiku-20240307-v1:0"
let claudeBody = #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":40,"messages":[{"role":"user","content":"hello"}]}"#

extension SimRun {
    /// The account's CloudTrail records, once the trail holds those of `requestIds` (the front end writes its trail
    /// a few milliseconds after a call; waited for up to 5 s).
    func cloudTrail(_ account: String = "111111111111", waitingFor requestIds: [String?] = []) -> [[String: Any]] {
        var text = ""
        _ = waitUntil(timeoutSeconds: 5) {
            text = (try? String(contentsOfFile: runDir + "/cloudtrail/\(account).jsonl", encoding: .utf8)) ?? ""
            return requestIds.allSatisfy { id in id.map { text.contains($0) } ?? true }
        }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
