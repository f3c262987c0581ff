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
    static let configuration = CommandConfiguration(commandName: "guardrail", abstract: "Guardrail tools.", subcommands: [Apply.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run ApplyGuardrail and print its response as JSON.",
            discussion: "With --config FILE (a CreateGuardrail request body) the engine runs offline, with no topology running.")
        @Option(help: "A CreateGuardrail request body (JSON) to run offline.") var config: String?
        @Option(help: "INPUT or OUTPUT.") var source = "INPUT"
        @Option(help: "INTERVENTIONS or FULL.") var outputScope: String?
        @Argument(help: "The text to assess, or - for standard input.") var text: String
        func run() throws {
            try runCLI {
                guard ["INPUT", "OUTPUT"].contains(source) else { throw CLIError("--source must be INPUT or OUTPUT, not '\(source)'", exitCode: 64) }
                let content = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
                guard let config else { throw CLIError("give --config FILE (offline); --guardrail ID:VERSION needs a running topology", exitCode: 64) }
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
