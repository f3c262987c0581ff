// Offline engines, no topology running: `iam simulate` (like the AWS policy simulator) and `guardrail apply --config`.
import ArgumentParser
import Foundation
import Guardrails
import IAMPolicy

func readInput(_ path: String) throws -> (bytes: [UInt8], label: String) {
    if path == "-" { return (Array(FileHandle.standardInput.readDataToEndOfFile()), "<stdin>") }
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)", exitCode: 66) }
    return (Array(data), path)
}

struct IAM: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iam", abstract: "IAM policy tools.", subcommands: [Simulate.self])

    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate requests against policies offline, as AWS does, and print one JSON decision per request.",
            discussion: """
            Input: one JSON object or an array of them: {"request": {"action", "resource", "resourceAccount", "principal", \
            "context"}, "identityPolicies": [...], "resourcePolicy", "endpointPolicies", "permissionBoundaries", \
            "serviceControlPolicies": [{"orgIdentifier", "policies"}], "sessionPolicy"}. Every decision exits 0; \
            malformed input exits 65 with the file and JSON path.
            """)
        @Argument(help: "Input file, or - for standard input.") var file: String
        func run() throws {
            try runCLI {
                let (bytes, label) = try readInput(file)
                do {
                    for line in try IAMSimulation.run(json: bytes, source: label) { print(line) }
                } catch {
                    throw CLIError("\(error)", exitCode: 65)
                }
            }
        }
    }
}

struct GuardrailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guardrail", abstract: "Guardrail tools: offline apply, and the Guardrails API through a running topology.",
        subcommands: [Apply.self, Create.self, Update.self, Get.self, List.self, Version.self, Delete.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run ApplyGuardrail and print its response as JSON.",
            discussion: """
            With --guardrail ID:VERSION the call goes through a running topology (client -> PrivateLink endpoint -> front \
            end) as the client node's account. With --config FILE (a CreateGuardrail request body) the engine runs \
            offline, with no topology running.
            """)
        @Option(help: "A CreateGuardrail request body (JSON) to run offline.") var config: String?
        @Option(help: "ID:VERSION of a guardrail in the running topology (VERSION is DRAFT or a number).") var guardrail: String?
        @OptionGroup var target: GuardrailTarget
        @Option(help: "INPUT or OUTPUT.") var source = "INPUT"
        @Option(help: "INTERVENTIONS or FULL.") var outputScope: String?
        @Argument(help: "The text to assess, or - for standard input.") var text: String
        func run() throws {
            try runCLI {
                guard ["INPUT", "OUTPUT"].contains(source) else { throw CLIError("--source must be INPUT or OUTPUT, not '\(source)'", exitCode: 64) }
                let content = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
                if let guardrail {
                    guard config == nil else { throw CLIError("give either --guardrail ID:VERSION or --config FILE, not both", exitCode: 64) }
                    try OnlineApply.run(guardrail: guardrail, source: source, outputScope: outputScope, text: content, target: target)
                    return
                }
                guard let config else { throw CLIError("give --guardrail ID:VERSION (running topology) or --config FILE (offline)", exitCode: 64) }
                let (bytes, _) = try readInput(config)
                do {
                    let out = try GuardrailOffline.apply(configJSON: bytes, source: source, text: content, outputScope: outputScope)
                    print(String(decoding: out, as: UTF8.self))
                } catch {
                    throw CLIError("\(config): \(error)", exitCode: 65)
                }
            }
        }
    }
}
