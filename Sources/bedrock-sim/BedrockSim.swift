// bedrock-sim: the orchestrator CLI. Launches a topology as separate processes, injects requests through a client
// node, prints their hops, and runs the offline engines (IAM simulation, guardrails) and the benchmark.
import ArgumentParser
import Foundation
import NodeRuntime
import OperatorKit
import RoleKit

@main
struct BedrockSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bedrock-sim",
        abstract: "A multi-process simulator of the Amazon Bedrock security architecture.",
        subcommands: [Up.self, Down.self, Status.self, Invoke.self, TraceCommand.self, Bench.self, IAM.self, GuardrailCommand.self, Supervise.self,
                      ModelAccessCommand.self, BenchEngines.self, BenchGuardrails.self, EnvCommand.self,
                      KMSCommand.self, S3Command.self, CustomizeCommand.self, ProvisionCommand.self, Restart.self])
}

struct RunOptions: ParsableArguments {
    @Option(name: .long, help: "Run directory (default: $BEDROCK_SIM_RUN_DIR or .bedrock-sim/run).")
    var runDir: String?
    var run: RunDirectory { RunDirectory.resolve(runDir) }
}

/// Maps CLIError to its message and exit code.
func runCLI(_ body: () throws -> Void) throws {
    do { try body() } catch let e as CLIError {
        printErr("bedrock-sim: \(e.message)")
        throw ExitCode(e.exitCode)
    }
}

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Launch a topology: one process per node, then wait until every node is healthy.")
    @Argument(help: "Topology YAML file, e.g. Topologies/default.yaml.") var topology: String
    @OptionGroup var options: RunOptions
    @Flag(help: "Set every model's latency to zero (tests, benchmarks).") var zeroLatency = false
    @Option(help: "How long to wait for every node to answer its health check, in ms.") var healthTimeoutMs = 20_000
    @Option(help: "Record every frame this node sees to RUN_DIR/wiretap/NODE.frames (repeatable; 'all' for every node).")
    var wiretap: [String] = []
    @Option(help: "Stop the run by itself when this process ends (test harnesses pass their pid).") var ownerPid: Int32?
    @Option(help: "On-demand quota: requests per second per account and model beyond which the front end answers ThrottlingException.")
    var onDemandRps: Int?
    @Flag(help: "Serve the SDK endpoints over plain HTTP instead of HTTPS (aws:SecureTransport is then false).") var plainHttp = false
    @Option(help: "Deadline of each SDK request in ms (ModelTimeoutException after it).") var sdkDeadlineMs = 60_000

    func run() throws {
        try runCLI {
            var launch = LaunchOptions(topologyPath: topology, runDirectory: options.run, zeroLatency: zeroLatency,
                                       healthTimeoutMs: healthTimeoutMs, wiretap: Set(wiretap), ownerPid: ownerPid,
                                       plainHTTP: plainHttp, sdkDeadlineMs: sdkDeadlineMs)
            if let rps = onDemandRps {
                guard rps > 0 else { throw CLIError("--on-demand-rps must be a positive number of requests per second", exitCode: 64) }
                launch.settings["onDemandRequestsPerSecond"] = String(rps)
            }
            let r = try Launcher.up(launch)
            print("run \(r.manifest.runId) is up: \(r.manifest.nodes.count) nodes healthy in \(Int(r.elapsedMs)) ms")
            print("  run directory  \(options.run.path)")
            print("  logs           \(options.run.logsPath)/NODE.log")
            print("  trace          \(options.run.tracePath)")
            print("  cloudtrail     \(options.run.cloudTrailPath)/ACCOUNT.jsonl")
            print(StatusTable.render(manifest: r.manifest, health: r.health, status: RunStatus.load(runDirectory: options.run.path)))
            print(SDKSetup.describe(r.manifest))
        }
    }
}

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the run: every node process ends.")
    @OptionGroup var options: RunOptions
    func run() throws {
        try runCLI {
            if try Launcher.down(options.run) { print("stopped the run in \(options.run.path)") } else { print("no live run in \(options.run.path)") }
        }
    }
}

enum StatusTable {
    static func render(manifest: RunManifest, health: [String: [String: Any]], status: RunStatus?) -> String {
        let accounts = Dictionary(uniqueKeysWithValues: manifest.accounts.map { ($0.id, $0.name) })
        var rows: [[String]] = [["node", "role", "account", "state", "pid", "rss", "control", "service"]]
        for n in manifest.nodes {
            let st = status?.nodes.first { $0.name == n.name }
            var state = "unknown"
            if let h = health[n.name] { state = "healthy"; _ = h } else if let st {
                state = st.state == "running" ? (ProcessProbe.isAlive(st.pid) ? "not answering" : "dead") : "dead (\(st.state)\(st.exitCode.map { " \($0)" } ?? "")\(st.signal.map { " signal \($0)" } ?? ""))"
            }
            let rss = (health[n.name]?["residentBytes"] as? NSNumber).map { String(format: "%.1f MB", $0.doubleValue / 1_048_576) } ?? ""
            let pid = (health[n.name]?["pid"] as? NSNumber).map { "\($0)" } ?? st.map { "\($0.pid)" } ?? ""
            rows.append([n.name, n.role, "\(accounts[n.accountId] ?? "") \(n.accountId)", state, pid, rss,
                         String(n.controlPort), n.servicePort.map(String.init) ?? "-"])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Report every node of the run: healthy, not answering, or dead.")
    @OptionGroup var options: RunOptions
    @Flag(help: "Print JSON.") var json = false
    func run() throws {
        try runCLI {
            let run = options.run
            let manifest = try run.loadManifest()
            let status = RunStatus.load(runDirectory: run.path)
            var health: [String: [String: Any]] = [:]
            if run.liveSupervisorPid != nil {
                let client = try run.operatorClient()
                let ping = Array(#"{"command":"ping"}"#.utf8)
                for (name, r) in client.requestAll(manifest.nodes.map { ($0.name, ping) }, timeoutMs: 1500) {
                    if case .success(let b) = r, let obj = try? JSONSerialization.jsonObject(with: Data(b)) as? [String: Any] { health[name] = obj }
                }
            }
            let live = run.liveSupervisorPid != nil
            if json {
                let nodes: [[String: Any]] = manifest.nodes.map { n in
                    var o: [String: Any] = ["node": n.name, "role": n.role, "account": n.accountId, "healthy": health[n.name] != nil,
                                            "controlPort": n.controlPort]
                    if let p = n.servicePort { o["servicePort"] = p }
                    if let st = status?.nodes.first(where: { $0.name == n.name }) {
                        o["pid"] = Int(st.pid); o["state"] = st.state == "running" && !ProcessProbe.isAlive(st.pid) ? "dead" : st.state
                    }
                    if let rss = health[n.name]?["residentBytes"] { o["residentBytes"] = rss }
                    if let url = SDKSetup.url(n) { o["sdkEndpoint"] = url }
                    return o
                }
                let out: [String: Any] = ["runDirectory": run.path, "live": live, "nodes": nodes]
                print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            } else {
                print(live ? "run \(manifest.runId) in \(run.path) is live" : "run \(manifest.runId) in \(run.path) is stopped")
                print(StatusTable.render(manifest: manifest, health: health, status: status))
                print(SDKSetup.describe(manifest))
            }
            let unhealthy = manifest.nodes.filter { health[$0.name] == nil }
            if live && !unhealthy.isEmpty { throw CLIError("\(unhealthy.count) node(s) not healthy: \(unhealthy.map(\.name).joined(separator: ", "))", exitCode: 3) }
        }
    }
}

struct Invoke: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send one InvokeModel request from a client node and print the response and its hops.")
    @OptionGroup var options: RunOptions
    @Option(help: "Model id, e.g. anthropic.claude-3-haiku-20240307-v1:0.") var model: String?
    @Option(help: "The model-native JSON body, or @FILE.") var body: String = ""
    @Option(help: "Call another API operation by HTTP method and path instead (e.g. --method GET --path /foundation-models).")
    var path: String?
    @Option(help: "HTTP method with --path.") var method = "POST"
    @Option(help: "The bedrock-client node to send from (default: the first one).") var from: String?
    @Option(help: "Deadline in milliseconds.") var deadlineMs = 30_000
    @Option(name: .customLong("header"), help: "Extra HTTP header NAME=VALUE (repeatable).") var headers: [String] = []
    @Option(name: .customLong("option"), help: "Client option KEY=VALUE (repeatable), e.g. tamper=body, replay=1, sigv4-skew=-900.") var clientOptions: [String] = []
    @Option(help: "The principal that signs the request: user or session name, ROLE/SESSION, ARN or access key id (default: the first principal of the client's account).")
    var principal: String?
    @Flag(help: "Print one JSON object: requestId, status, httpStatus, body, hops.") var json = false

    func run() throws {
        try runCLI {
            let run = options.run
            let manifest = try run.loadManifest()
            guard run.liveSupervisorPid != nil else { throw CLIError("the run in \(run.path) is not live; start it with `bedrock-sim up`") }
            let clientName = from ?? manifest.nodes.first { $0.role == "bedrock-client" }?.name ?? ""
            guard let clientNode = manifest.node(named: clientName), clientNode.role == "bedrock-client" else {
                throw CLIError("no bedrock-client node named '\(clientName)' (clients: \(manifest.nodes.filter { $0.role == "bedrock-client" }.map(\.name).joined(separator: ", ")))")
            }
            guard model != nil || path != nil else { throw CLIError("give --model (InvokeModel) or --path (any other operation)") }
            var payload = body
            if body.hasPrefix("@") {
                let path = String(body.dropFirst())
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read body file \(path)") }
                payload = text
            }
            func pairs(_ list: [String], _ what: String) throws -> [String: String] {
                var out: [String: String] = [:]
                for h in list {
                    guard let eq = h.firstIndex(of: "=") else { throw CLIError("\(what) '\(h)' is not NAME=VALUE") }
                    out[String(h[..<eq])] = String(h[h.index(after: eq)...])
                }
                return out
            }
            var clientOpts = try pairs(clientOptions, "option")
            if let principal {
                try PrincipalChoice.check(principal, run: run)
                clientOpts["principal"] = principal
            }
            var command: [String: Any] = ["command": "invoke", "body": payload, "deadlineMs": deadlineMs, "method": method,
                                          "headers": try pairs(headers, "header"), "options": clientOpts]
            if let model { command["modelId"] = model }
            if let path { command["path"] = path }
            let client = try run.operatorClient()
            let reply: [String: Any]
            do { reply = try client.request(clientName, json: command, timeoutMs: deadlineMs + 5000) } catch {
                throw CLIError("\(error)")
            }
            if let err = reply["error"] as? String { throw CLIError(err) }
            let requestId = reply["requestId"] as? String ?? ""
            let rows = TraceReader.waitForCompletion(requestId: requestId, client: clientName, tracePath: run.tracePath, timeoutMs: 3000)
            let status = reply["status"] as? String ?? "unknown"
            let bodyText = reply["body"] as? String ?? ""
            if json {
                var out: [String: Any] = ["requestId": requestId, "status": status, "httpStatus": reply["httpStatus"] ?? 0,
                                          "hops": HopTable.hops(rows), "client": clientName]
                out["body"] = (try? JSONSerialization.jsonObject(with: Data(bodyText.utf8), options: [.fragmentsAllowed])) ?? bodyText
                if let m = reply["message"] { out["message"] = m }
                if let h = reply["headers"] { out["headers"] = h }
                print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("requestId \(requestId)  status \(status) (HTTP \(reply["httpStatus"] ?? ""))")
                if let m = reply["message"] as? String { print("message   \(m)") }
                print(prettyJSON(bodyText))
                print("")
                let accounts = Dictionary(uniqueKeysWithValues: manifest.accounts.map { ($0.id, $0.name) })
                print(HopTable.render(rows, accounts: accounts), terminator: "")
            }
            if status != "ok" { throw ExitCode(4) }
        }
    }
}

func prettyJSON(_ text: String) -> String {
    guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
          let data = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed]) else { return text }
    return String(decoding: data, as: UTF8.self)
}

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trace", abstract: "Print the hops of a request again, from the run's trace.jsonl.")
    @OptionGroup var options: RunOptions
    @Argument(help: "The request id (x-amzn-RequestId) printed by invoke.") var requestId: String
    @Flag(help: "Print JSON.") var json = false
    func run() throws {
        try runCLI {
            let run = options.run
            let manifest = try run.loadManifest()
            let rows = TraceReader.records(for: requestId, tracePath: run.tracePath)
            guard !rows.isEmpty else { throw CLIError("no trace records for request \(requestId) in \(run.tracePath)") }
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: ["requestId": requestId, "hops": HopTable.hops(rows)], options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(HopTable.render(rows, accounts: Dictionary(uniqueKeysWithValues: manifest.accounts.map { ($0.id, $0.name) })), terminator: "")
            }
        }
    }
}

struct Supervise: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(internal) Run the supervisor of a run directory.", shouldDisplay: false)
    @OptionGroup var options: RunOptions
    @Option(help: "Stop when this process ends.") var ownerPid: Int32?
    func run() throws {
        let manifest = try options.run.loadManifest()
        let code = Supervisor(manifest: manifest, binDirectory: binDirectory(), ownerPid: ownerPid).run()
        throw ExitCode(code)
    }
}
