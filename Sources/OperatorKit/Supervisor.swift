// The supervisor: the one process `bedrock-sim up` leaves behind. It starts every node of the manifest as a child
// process (stdout and stderr to RUN_DIR/logs/NODE.log), records their pids and deaths in RUN_DIR/status.json, and
// on SIGTERM/SIGINT stops them all (SIGTERM, then SIGKILL after a grace period). Nodes ask the kernel for SIGTERM
// when the supervisor dies, so even `kill -9` of the supervisor leaves no orphans.
import Foundation
import NodeRuntime

public struct NodeStatus: Codable, Sendable {
    public var name: String
    public var pid: Int32
    public var state: String          // running | exited | killed
    public var exitCode: Int32?
    public var signal: Int32?
    public var startedAt: String
    public var endedAt: String?
}

public struct RunStatus: Codable, Sendable {
    public var supervisorPid: Int32
    public var state: String          // starting | running | stopping | stopped
    public var nodes: [NodeStatus]

    public static func load(runDirectory: String) -> RunStatus? {
        guard let data = FileManager.default.contents(atPath: runDirectory + "/status.json") else { return nil }
        return try? JSONDecoder().decode(RunStatus.self, from: data)
    }
}

public enum ProcessProbe {
    /// Whether a process with this pid exists (and is not a zombie we could reap).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix("Z") { return false }
        }
        return true
    }
    public static func residentBytes(_ pid: Int32) -> UInt64 { POSIX.residentBytes(pid) }
}

public final class Supervisor {
    private let manifest: RunManifest
    private let binDirectory: String
    private var status: RunStatus
    private var pids: [Int32: Int] = [:]
    private let runDirectory: String
    private let ownerPid: Int32?

    public init(manifest: RunManifest, binDirectory: String, ownerPid: Int32? = nil) {
        self.ownerPid = ownerPid
        self.manifest = manifest
        self.binDirectory = binDirectory
        runDirectory = manifest.runDirectory
        status = RunStatus(supervisorPid: getpid(), state: "starting", nodes: [])
    }

    private func writeStatus() {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? enc.encode(status) {
            try? data.write(to: URL(fileURLWithPath: runDirectory + "/status.json"), options: .atomic)
        }
    }

    private func log(_ s: String) {
        FileHandle.standardError.write(Data("\(SimClock.iso8601(unixMs: SimClock.unixMilliseconds())) supervisor \(s)\n".utf8))
    }

    private func spawn(_ node: ManifestNode) -> Int32? {
        let exe = binDirectory + "/" + node.executable
        let logPath = runDirectory + "/logs/\(node.name).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let args = [exe, "--manifest", runDirectory + "/manifest.json", "--node", node.name]
        var env = ProcessInfo.processInfo.environment
        env["BEDROCK_SIM_SUPERVISOR_PID"] = String(getpid())
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        var cArgs = args.map { strdup($0) } + [nil]
        var cEnv = envStrings.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attr, &cArgs, &cEnv)
        guard rc == 0 else { log("cannot start \(node.name) (\(exe)): \(String(cString: strerror(rc)))"); return nil }
        return pid
    }

    /// Runs until told to stop. Returns the exit status for the supervisor process.
    public func run() -> Int32 {
        let sfd = POSIX.shutdownSignalFD()
        try? FileManager.default.createDirectory(atPath: runDirectory + "/logs", withIntermediateDirectories: true)
        // The collector first, so the other nodes' first records have somewhere to go.
        let ordered = manifest.nodes.sorted { ($0.role == "trace-collector" ? 0 : 1) < ($1.role == "trace-collector" ? 0 : 1) }
        for node in ordered {
            let now = SimClock.iso8601(unixMs: SimClock.unixMilliseconds())
            if let pid = spawn(node) {
                pids[pid] = status.nodes.count
                status.nodes.append(NodeStatus(name: node.name, pid: pid, state: "running", startedAt: now))
            } else {
                status.nodes.append(NodeStatus(name: node.name, pid: 0, state: "failed-to-start", startedAt: now))
            }
        }
        status.state = "running"
        writeStatus()
        log("started \(pids.count) node(s)")
        var stopping = false
        while true {
            var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 200)
            if fds[0].revents & Int16(POLLIN) != 0 {
                let sig = POSIX.readSignal(sfd)
                log("signal \(sig): stopping all nodes")
                stopping = true
                break
            }
            reap()
            serveRequests()
            if !status.nodes.contains(where: { $0.state == "running" }) { log("every node has ended"); break }
            if let owner = ownerPid, !ProcessProbe.isAlive(owner) { log("owner process \(owner) is gone: stopping"); break }
        }
        status.state = "stopping"
        writeStatus()
        for n in status.nodes where n.state == "running" { kill(n.pid, SIGTERM) }
        let deadline = SimClock.monotonicMilliseconds() + 3000
        while status.nodes.contains(where: { $0.state == "running" }) && SimClock.monotonicMilliseconds() < deadline {
            reap(); usleep(20_000)
        }
        for n in status.nodes where n.state == "running" { kill(n.pid, SIGKILL) }
        while status.nodes.contains(where: { $0.state == "running" }) { reap(); usleep(10_000) }
        status.state = "stopped"
        writeStatus()
        log(stopping ? "stopped" : "stopped (no nodes left)")
        return 0
    }

    /// Operator requests dropped as files in RUN_DIR/supervisor-requests/ (`bedrock-sim restart NODE`):
    /// {"command":"restart","node":NAME} starts a node of the manifest again after it died (kill -9 recovery tests).
    private func serveRequests() {
        let dir = runDirectory + "/supervisor-requests"
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir), !files.isEmpty else { return }
        for f in files.sorted() where f.hasSuffix(".json") {
            let path = dir + "/" + f
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard let data = FileManager.default.contents(atPath: path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  obj["command"] as? String == "restart", let name = obj["node"] as? String,
                  let node = manifest.node(named: name), let i = status.nodes.firstIndex(where: { $0.name == name }) else {
                log("ignored malformed request \(f)"); continue
            }
            guard status.nodes[i].state != "running" else { log("restart \(name): still running"); continue }
            let now = SimClock.iso8601(unixMs: SimClock.unixMilliseconds())
            if let pid = spawn(node) {
                pids[pid] = i
                status.nodes[i] = NodeStatus(name: name, pid: pid, state: "running", startedAt: now)
                log("restarted \(name) (pid \(pid))")
            }
            writeStatus()
        }
    }

    private func reap() {
        while true {
            var st: Int32 = 0
            let pid = waitpid(-1, &st, WNOHANG)
            guard pid > 0 else { return }
            guard let i = pids[pid] else { continue }
            let now = SimClock.iso8601(unixMs: SimClock.unixMilliseconds())
            // WIFEXITED / WIFSIGNALED are macros; decode the status word directly.
            let termSig = st & 0x7f
            if termSig == 0 {
                status.nodes[i].state = "exited"; status.nodes[i].exitCode = (st >> 8) & 0xff
            } else {
                status.nodes[i].state = "killed"; status.nodes[i].signal = termSig
            }
            status.nodes[i].endedAt = now
            log("\(status.nodes[i].name) (pid \(pid)) ended: \(status.nodes[i].state) \(status.nodes[i].exitCode.map { "code \($0)" } ?? "signal \(termSig)")")
            writeStatus()
        }
    }
}
