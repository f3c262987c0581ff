// `up`: validate a topology, compile it into a run manifest (ports, keys, links), start the supervisor and wait
// until every node answers its health check.
import Foundation
import Synchronization
import NodeRuntime
import OperatorKit
import RoleKit
import SimCrypto
import Topology
import ZMQ

struct LaunchOptions {
    var topologyPath: String
    var runDirectory: RunDirectory
    var zeroLatency = false
    var healthTimeoutMs = 20_000
    var settings: [String: String] = [:]
    /// Nodes whose frames are recorded to RUN_DIR/wiretap (red-team and test use).
    var wiretap: Set<String> = []
    /// When set, the run stops by itself once this process is gone (test harnesses pass their own pid).
    var ownerPid: Int32?
    /// The SDK endpoints of the client nodes serve plain HTTP instead of HTTPS (aws:SecureTransport is then false).
    var plainHTTP = false
    /// The deadline the SDK endpoints give each request (ModelTimeoutException after it).
    var sdkDeadlineMs = 60_000
}

struct LaunchResult {
    var manifest: RunManifest
    var elapsedMs: Double
    var health: [String: [String: Any]]
}

enum Launcher {
    static let collectorName = "trace-collector"
    static let simulatorAccount = ManifestAccount(id: "000000000000", name: "simulator", kind: "simulator", provider: nil)

    static func loadTopology(_ path: String) throws -> Topology {
        let label = path
        let topology: Topology
        do {
            topology = try Topology.load(path: path, file: label, knownModelIds: Catalog.allModelIds)
        } catch {
            throw CLIError("topology refused; nothing was started:\n" + error.errors.map { "  " + $0.description }.joined(separator: "\n"), exitCode: 65)
        }
        // Principals, organization, model access and endpoint policies (every policy file parsed).
        for w in AuthorizationCompiler.warnings(topology, try AuthorizationCompiler.model(topology)) { printErr("warning: \(w)") }
        return topology
    }

    /// Ports already handed out by this process: separate reservations (node ports, SDK ports) must never overlap,
    /// and the kernel may give a just-released port again.
    static let handedOut = Mutex<Set<Int>>([])

    /// Reserves distinct free TCP ports on `host` by binding to port 0 and holding every socket until all are chosen.
    static func freePorts(_ count: Int, host: String) throws -> [Int] {
        var fds: [Int32] = []
        var ports: [Int] = []
        defer { for fd in fds { close(fd) } }
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts <= count * 20 + 100 else { throw CLIError("cannot reserve \(count) distinct ports on \(host)") }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw CLIError("cannot create a socket to reserve ports") }
            fds.append(fd)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = 0
            addr.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
            let ok = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { throw CLIError("cannot reserve a port on \(host): \(String(cString: strerror(errno)))") }
            var bound = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &bound) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            }
            let port = Int(UInt16(bigEndian: bound.sin_port))
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh { ports.append(port) }   // a port given out before stays bound here until the end: not reused
        }
        return ports
    }

    static func writeSecret(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(path)")
        }
        chmod(path, 0o600)
    }

    /// Compiles the topology into the manifest every node reads.
    static func compile(_ topology: Topology, options: LaunchOptions) throws -> RunManifest {
        let run = options.runDirectory
        let fm = FileManager.default
        try fm.createDirectory(atPath: run.keysPath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(run.keysPath, 0o700)
        try fm.createDirectory(atPath: run.logsPath, withIntermediateDirectories: true)

        let operatorKeys = try ZMQ.curveKeypair()
        try writeSecret(operatorKeys.secretKey, to: run.keysPath + "/operator.key")
        try writeSecret(operatorKeys.publicKey, to: run.keysPath + "/operator.pub")

        let links = topology.links()
        var nodes: [ManifestNode] = []
        let byHost = Dictionary(grouping: topology.nodes, by: \.host)
        var ports: [String: (control: Int, service: Int)] = [:]
        if byHost[topology.defaultHost] == nil { ports[collectorName] = (0, 0) }
        for (host, hostNodes) in byHost {
            // The collector lives on the default host; its two ports are reserved with that host's.
            let withCollector = host == topology.defaultHost
            let p = try freePorts(hostNodes.count * 2 + (withCollector ? 2 : 0), host: host)
            for (i, n) in hostNodes.enumerated() { ports[n.name] = (p[2 * i], p[2 * i + 1]) }
            if withCollector { ports[collectorName] = (p[p.count - 2], p[p.count - 1]) }
        }
        if ports[collectorName]! == (0, 0) {
            let p = try freePorts(2, host: topology.defaultHost)
            ports[collectorName] = (p[0], p[1])
        }
        let collectorService = ports[collectorName]!.service

        var frontendKeys: [String: String] = [:]
        // The SDK endpoint of every client node: a port each, and (unless plain HTTP) the run's CA and server certificate.
        let sdk = try SDKSetup.prepare(run: run, region: topology.region, clients: topology.nodes.filter { $0.role == "bedrock-client" }.map(\.name),
                                       plainHTTP: options.plainHTTP, deadlineMs: options.sdkDeadlineMs)
        for n in topology.nodes {
            guard let spec = topology.roleSpec(of: n) else { throw CLIError("no role spec for \(n.name)") }
            let keys = try ZMQ.curveKeypair()
            let keyFile = run.keysPath + "/\(n.name).key"
            try writeSecret(keys.secretKey, to: keyFile)
            var settings: [String: String] = n.extra.merging(n.references) { a, _ in a }
            var connects = links.filter { $0.from == n.name }.map(\.to)
            if n.role == "runtime-frontend" {
                let e2e = try X25519PrivateKey()
                let e2eFile = run.keysPath + "/\(n.name).e2e.key"
                try writeSecret(hexString(e2e.rawRepresentation), to: e2eFile)
                settings["e2eSecretKeyFile"] = e2eFile
                settings["e2ePublicKey"] = hexString(e2e.publicKey)
                frontendKeys[n.name] = settings["e2ePublicKey"]
            }
            if options.wiretap.contains(n.name) || options.wiretap.contains("all") { settings["wiretap"] = "1" }
            if let extra = sdk.settings[n.name] { settings.merge(extra) { _, b in b } }
            if n.role == "model-provider" {
                settings["linksOptional"] = "1"
                // It has no link anywhere; it dials its provider's escrow hosts so their refusal is observable.
                connects = topology.nodes.filter { $0.role == "escrow-host" && $0.account.provider == n.account.provider }.map(\.name)
            }
            if n.role == "bedrock-client", let endpoint = n.endpoint, let ep = topology.node(named: endpoint) {
                settings["frontend"] = ep.frontend
            }
            nodes.append(ManifestNode(
                name: n.name, role: n.role, executable: spec.executable, accountId: n.account.id, vpc: n.vpc?.id,
                host: n.host, servicePort: spec.listens ? ports[n.name]!.service : nil, controlPort: ports[n.name]!.control,
                curvePublicKey: keys.publicKey, curveSecretKeyFile: keyFile,
                admits: links.filter { $0.to == n.name }.map(\.from), connects: connects,
                models: n.models.map { ManifestModel(id: $0.id, firstTokenMs: options.zeroLatency ? 0 : $0.latency.firstTokenMs,
                                                     tokensPerSecond: options.zeroLatency ? 0 : $0.latency.tokensPerSecond) },
                settings: settings))
        }
        try AuthorizationCompiler.write(topology, runDirectory: run)
        let ck = try ZMQ.curveKeypair()
        let collectorKey = run.keysPath + "/\(collectorName).key"
        try writeSecret(ck.secretKey, to: collectorKey)
        nodes.append(ManifestNode(
            name: collectorName, role: "trace-collector", executable: "trace-collector", accountId: simulatorAccount.id,
            vpc: nil, host: topology.defaultHost, servicePort: collectorService, controlPort: ports[collectorName]!.control,
            curvePublicKey: ck.publicKey, curveSecretKeyFile: collectorKey, admits: [], connects: [], models: [],
            settings: ["serviceSocket": "role"]))
        var accounts = topology.accounts.map { ManifestAccount(id: $0.id, name: $0.name, kind: $0.kind.rawValue, provider: $0.provider) }
        accounts.append(simulatorAccount)
        return RunManifest(
            runId: SimIds.uuid(), runDirectory: run.path, region: topology.region, topologyFile: topology.file,
            createdAt: SimClock.iso8601(unixMs: SimClock.unixMilliseconds()), operatorPublicKey: operatorKeys.publicKey,
            accounts: accounts, nodes: nodes, settings: options.settings)
    }

    /// Removes what an earlier, stopped run left in the directory.
    static func clean(_ run: RunDirectory) throws {
        let fm = FileManager.default
        for item in ["manifest.json", "status.json", "trace.jsonl", "keys", "logs", "cloudtrail", "wiretap", "iam.json", "model-access.json",
                     "iam", "state", "model-store", "tls"] {
            let p = run.path + "/" + item
            if fm.fileExists(atPath: p) { try fm.removeItem(atPath: p) }
        }
        try fm.createDirectory(atPath: run.path, withIntermediateDirectories: true)
    }

    static func up(_ options: LaunchOptions) throws -> LaunchResult {
        let run = options.runDirectory
        if let pid = run.liveSupervisorPid {
            throw CLIError("a run is already live in \(run.path) (supervisor pid \(pid)); stop it with `bedrock-sim down` or use another --run-dir", exitCode: 2)
        }
        let topology = try loadTopology(options.topologyPath)
        for w in topology.warnings { printErr("warning: \(w)") }
        let started = SimClock.monotonicNanoseconds()
        try clean(run)
        let manifest = try compile(topology, options: options)
        try manifest.write(path: run.manifestPath)
        try GuardrailSeed.seed(topology, runDirectory: run.path)

        let supervisor = Process()
        supervisor.executableURL = URL(fileURLWithPath: binDirectory() + "/bedrock-sim")
        supervisor.arguments = ["supervise", "--run-dir", run.path] + (options.ownerPid.map { ["--owner-pid", String($0)] } ?? [])
        _ = FileManager.default.createFile(atPath: run.logsPath + "/supervisor.log", contents: nil)
        let log = FileHandle(forWritingAtPath: run.logsPath + "/supervisor.log")
        supervisor.standardOutput = log
        supervisor.standardError = log
        supervisor.standardInput = FileHandle.nullDevice
        do { try supervisor.run() } catch { throw CLIError("cannot start the supervisor: \(error)") }

        let client = try run.operatorClient()
        let names = manifest.nodes.map(\.name)
        var healthy: [String: [String: Any]] = [:]
        let deadline = SimClock.monotonicMilliseconds() + UInt64(options.healthTimeoutMs)
        while healthy.count < names.count {
            if let status = RunStatus.load(runDirectory: run.path) {
                let failed = status.nodes.filter { $0.state != "running" }
                if !failed.isEmpty {
                    let detail = failed.map { n in
                        "  \(n.name): \(n.state)\(n.exitCode.map { " (exit \($0))" } ?? "")\n" + tail(run.logsPath + "/\(n.name).log", lines: 5)
                    }.joined(separator: "\n")
                    _ = try? down(run, timeoutMs: 5000)
                    throw CLIError("node(s) failed to start; the run was stopped:\n\(detail)")
                }
            }
            guard SimClock.monotonicMilliseconds() < deadline else {
                let missing = names.filter { healthy[$0] == nil }
                _ = try? down(run, timeoutMs: 5000)
                throw CLIError("nodes not healthy within \(options.healthTimeoutMs) ms: \(missing.joined(separator: ", ")); see \(run.logsPath)")
            }
            let pending = names.filter { healthy[$0] == nil }
            let ping = Array(#"{"command":"ping"}"#.utf8)
            let results = client.requestAll(pending.map { ($0, ping) }, timeoutMs: 300)
            if results.values.contains(where: { if case .success = $0 { return true } else { return false } }) { usleep(10_000) }
            for (name, r) in results {
                // Healthy means answering and with every needed link's CURVE handshake done.
                if case .success(let bytes) = r, let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                   obj["ready"] as? Bool != false {
                    healthy[name] = obj
                }
            }
        }
        let elapsed = Double(SimClock.monotonicNanoseconds() - started) / 1e6
        return LaunchResult(manifest: manifest, elapsedMs: elapsed, health: healthy)
    }

    /// Stops the run: SIGTERM to the supervisor, which stops every node; waits until all are gone.
    @discardableResult
    static func down(_ run: RunDirectory, timeoutMs: Int = 10_000) throws -> Bool {
        guard let status = RunStatus.load(runDirectory: run.path) else { return false }
        let pid = status.supervisorPid
        guard ProcessProbe.isAlive(pid) else { return false }
        kill(pid, SIGTERM)
        let deadline = SimClock.monotonicMilliseconds() + UInt64(timeoutMs)
        while ProcessProbe.isAlive(pid) && SimClock.monotonicMilliseconds() < deadline { usleep(20_000) }
        if ProcessProbe.isAlive(pid) { kill(pid, SIGKILL) }
        // Whatever the supervisor did not reap, end now (nodes also die with their supervisor).
        for n in (RunStatus.load(runDirectory: run.path)?.nodes ?? status.nodes) where ProcessProbe.isAlive(n.pid) { kill(n.pid, SIGKILL) }
        return true
    }

    static func tail(_ path: String, lines: Int) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "    (no log)" }
        return text.split(separator: "\n").suffix(lines).map { "    " + $0 }.joined(separator: "\n")
    }
}
