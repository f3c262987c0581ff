// Guardrails through a running topology: `bedrock-sim guardrail create|update|get|list|version|delete|apply` send
// the real API calls (CreateGuardrail ... ApplyGuardrail) from a client node, through its PrivateLink endpoint, to
// the front end, and print the response body. `up` seeds the guardrails a topology declares (GuardrailSeed).
import ArgumentParser
import Foundation
import NodeRuntime
import FrontendGuardrails
import RoleKit
import Topology

enum GuardrailSeed {
    /// Writes the topology's guardrails into RUN_DIR/guardrails before the front end starts.
    static func seed(_ topology: Topology, runDirectory: String) throws {
        let declared = topology.accounts.flatMap { a in
            a.guardrails.map { DeclaredGuardrail(account: a.id, id: $0.id, configJSON: $0.configJSON, versions: $0.versions) }
        }
        guard !declared.isEmpty else { return }
        do { try GuardrailStore(runDirectory: runDirectory, region: topology.region).seed(declared) } catch {
            throw CLIError("cannot write the topology's guardrails to \(runDirectory)/guardrails: \(error)")
        }
    }
}

/// One API call through a client node of a live run.
struct ClientCall {
    var requestId: String
    var status: String
    var httpStatus: Int
    var body: String
    var message: String?

    static func send(run: RunDirectory, from: String?, method: String, path: String, body: String = "",
                     headers: [String: String] = [:], timeoutMs: Int = 30_000) throws -> ClientCall {
        let manifest = try run.loadManifest()
        guard run.liveSupervisorPid != nil else { throw CLIError("the run in \(run.path) is not live; start it with `bedrock-sim up`") }
        let clients = manifest.nodes.filter { $0.role == "bedrock-client" }.map(\.name)
        let clientName = from ?? clients.first ?? ""
        guard clients.contains(clientName) else {
            throw CLIError("no bedrock-client node named '\(clientName)' (clients: \(clients.joined(separator: ", ")))")
        }
        let command: [String: Any] = ["command": "invoke", "method": method, "path": path, "body": body, "headers": headers,
                                      "deadlineMs": timeoutMs]
        let reply: [String: Any]
        do { reply = try run.operatorClient().request(clientName, json: command, timeoutMs: timeoutMs + 5000) } catch {
            throw CLIError("\(error)")
        }
        if let err = reply["error"] as? String { throw CLIError(err) }
        return ClientCall(requestId: reply["requestId"] as? String ?? "", status: reply["status"] as? String ?? "unknown",
                          httpStatus: (reply["httpStatus"] as? NSNumber)?.intValue ?? 0, body: reply["body"] as? String ?? "",
                          message: reply["message"] as? String)
    }

    /// Prints the response body (pretty JSON); an error becomes exit 4 with the service's error on stderr.
    func printAndCheck(pretty: Bool = true) throws {
        if status == "ok" {
            if pretty, let obj = try? JSONSerialization.jsonObject(with: Data(body.utf8)),
               let data = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(body)
            }
            return
        }
        printErr("bedrock-sim: \(status) (HTTP \(httpStatus)): \(message ?? body)  [requestId \(requestId)]")
        throw ExitCode(4)
    }
}

struct GuardrailTarget: ParsableArguments {
    @OptionGroup var run: RunOptions
    @Option(help: "The bedrock-client node to send from (default: the first one); its account owns the guardrails.")
    var from: String?
}

func percentEncode(_ s: String) -> String { RuntimeRouter.percentEncodeSegment(s) }

extension GuardrailCommand {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "CreateGuardrail from a request body (JSON file or -) and print the response.")
        @OptionGroup var target: GuardrailTarget
        @Option(help: "A CreateGuardrail request body (JSON), or - for standard input.") var config: String
        func run() throws {
            try runCLI {
                let (bytes, _) = try readInput(config)
                try ClientCall.send(run: target.run.run, from: target.from, method: "POST", path: "/guardrails",
                                    body: String(decoding: bytes, as: UTF8.self)).printAndCheck()
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "UpdateGuardrail: replace the DRAFT of a guardrail.")
        @OptionGroup var target: GuardrailTarget
        @Argument(help: "Guardrail id or ARN.") var guardrail: String
        @Option(help: "An UpdateGuardrail request body (JSON), or - for standard input.") var config: String
        func run() throws {
            try runCLI {
                let (bytes, _) = try readInput(config)
                try ClientCall.send(run: target.run.run, from: target.from, method: "PUT", path: "/guardrails/\(percentEncode(guardrail))",
                                    body: String(decoding: bytes, as: UTF8.self)).printAndCheck()
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "GetGuardrail: print one version (default DRAFT).")
        @OptionGroup var target: GuardrailTarget
        @Argument(help: "Guardrail id or ARN.") var guardrail: String
        @Option(name: .customLong("version"), help: "DRAFT or a version number.") var guardrailVersion: String?
        func run() throws {
            try runCLI {
                var path = "/guardrails/\(percentEncode(guardrail))"
                if let v = guardrailVersion { path += "?guardrailVersion=\(percentEncode(v))" }
                try ClientCall.send(run: target.run.run, from: target.from, method: "GET", path: path).printAndCheck()
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "ListGuardrails: every guardrail of the account, or every version of one.")
        @OptionGroup var target: GuardrailTarget
        @Option(name: .customLong("guardrail"), help: "List the versions of this guardrail.") var guardrail: String?
        func run() throws {
            try runCLI {
                var path = "/guardrails"
                if let g = guardrail { path += "?guardrailIdentifier=\(percentEncode(g))" }
                try ClientCall.send(run: target.run.run, from: target.from, method: "GET", path: path).printAndCheck()
            }
        }
    }

    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "CreateGuardrailVersion: snapshot the DRAFT as the next numbered version.")
        @OptionGroup var target: GuardrailTarget
        @Argument(help: "Guardrail id or ARN.") var guardrail: String
        @Option(help: "The version's description.") var description: String?
        func run() throws {
            try runCLI {
                var body: [String: String] = [:]
                if let d = description { body["description"] = d }
                let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                try ClientCall.send(run: target.run.run, from: target.from, method: "POST", path: "/guardrails/\(percentEncode(guardrail))",
                                    body: text).printAndCheck()
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "DeleteGuardrail: the whole guardrail, or one numbered version.")
        @OptionGroup var target: GuardrailTarget
        @Argument(help: "Guardrail id or ARN.") var guardrail: String
        @Option(name: .customLong("version"), help: "Delete only this numbered version.") var guardrailVersion: String?
        func run() throws {
            try runCLI {
                var path = "/guardrails/\(percentEncode(guardrail))"
                if let v = guardrailVersion { path += "?guardrailVersion=\(percentEncode(v))" }
                try ClientCall.send(run: target.run.run, from: target.from, method: "DELETE", path: path).printAndCheck()
            }
        }
    }
}

/// ApplyGuardrail through the running topology (`guardrail apply --guardrail ID:VERSION`).
enum OnlineApply {
    static func run(guardrail: String, source: String, outputScope: String?, text: String, target: GuardrailTarget) throws {
        guard let colon = guardrail.lastIndex(of: ":"), colon != guardrail.startIndex else {
            throw CLIError("--guardrail must be ID:VERSION (e.g. abc123def456:1 or abc123def456:DRAFT), not '\(guardrail)'", exitCode: 64)
        }
        let id = String(guardrail[..<colon]), version = String(guardrail[guardrail.index(after: colon)...])
        var body: [String: Any] = ["source": source, "content": [["text": ["text": text]]]]
        if let s = outputScope { body["outputScope"] = s }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        try ClientCall.send(run: target.run.run, from: target.from, method: "POST",
                            path: "/guardrail/\(percentEncode(id))/version/\(percentEncode(version))/apply", body: json).printAndCheck(pretty: false)
    }
}
