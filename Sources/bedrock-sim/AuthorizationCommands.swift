// `model-access`: list and change a run's model access (agreements, the Anthropic use-case form) directly in
// RUN_DIR/model-access.json; the front end picks the change up within 10 ms (the same state the control-plane
// operations CreateFoundationModelAgreement / DeleteFoundationModelAgreement / PutUseCaseForModelAccess change).
// `bench-engines`: the in-process engine benchmarks (IAM policy evaluation, SigV4 verification).
import ArgumentParser
import Foundation
import IAMPolicy
import NodeRuntime
import RoleKit
import SigV4

struct ModelAccessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-access", abstract: "List or change model access (agreements and the Anthropic use-case form) of a run.",
        subcommands: [List.self, Grant.self, Revoke.self, UseCase.self])

    struct Target: ParsableArguments {
        @OptionGroup var options: RunOptions
        @Option(help: "Account name or 12-digit id (default: every customer account for list).") var account: String?

        func resolve(_ manifest: RunManifest, required: Bool) throws -> [ManifestAccount] {
            guard let account else {
                if required { throw CLIError("give --account (customer accounts: \(manifest.accounts.filter { $0.kind == "customer" }.map(\.name).joined(separator: ", ")))") }
                return manifest.accounts.filter { $0.kind == "customer" }
            }
            guard let a = manifest.accounts.first(where: { $0.name == account || $0.id == account }) else {
                throw CLIError("unknown account '\(account)' (accounts: \(manifest.accounts.map(\.name).joined(separator: ", ")))")
            }
            return [a]
        }

        /// The run, its manifest and the account(s) a changing subcommand acts on (--account is required).
        func changing() throws -> (run: RunDirectory, manifest: RunManifest, accounts: [ManifestAccount]) {
            let run = options.run
            let manifest = try run.loadManifest()
            return (run, manifest, try resolve(manifest, required: true))
        }
    }

    static func update(_ run: RunDirectory, _ change: (inout ModelAccessState) -> Void) throws {
        let path = ModelAccessState.path(runDirectory: run.path)
        var state = try ModelAccessState.load(path: path)
        change(&state)
        try state.write(path: path)
    }

    static func modelId(_ text: String, region: String) throws -> CatalogEntry {
        guard let m = Catalog.lookup(text, region: region) else {
            throw CLIError("unknown model '\(text)' (known: \(Catalog.allModelIds.sorted().joined(separator: ", ")))")
        }
        return m
    }

    static func now() -> String { SimClock.iso8601(unixMs: SimClock.unixMilliseconds(), fractional: false) }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every model's access state per account.")
        @OptionGroup var target: Target
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            try runCLI {
                let run = target.options.run
                let manifest = try run.loadManifest()
                let state = try ModelAccessState.load(path: ModelAccessState.path(runDirectory: run.path))
                let models = Catalog.allModelIds.sorted().compactMap { Catalog.lookup($0, region: manifest.region) }
                var rows: [[String]] = [["account", "model", "agreement", "use case", "access"]]
                var out: [[String: Any]] = []
                for a in try target.resolve(manifest, required: false) {
                    let entry = state.entry(account: a.id, region: manifest.region)
                    for m in models {
                        let agreement = !ModelAccessState.requiresAgreement(provider: m.provider) ? "not needed"
                            : state.hasAgreement(account: a.id, region: manifest.region, modelId: m.modelId) ? "accepted" : "none"
                        let useCase = !ModelAccessState.requiresUseCase(provider: m.provider) ? "not needed"
                            : entry.useCaseSubmittedAt != nil ? "submitted" : "missing"
                        let missing = state.missing(account: a.id, region: manifest.region, modelId: m.modelId, provider: m.provider)
                        rows.append(["\(a.name) \(a.id)", m.modelId, agreement, useCase, missing == nil ? "yes" : "no"])
                        out.append(["account": a.id, "accountName": a.name, "modelId": m.modelId, "agreement": agreement,
                                    "useCase": useCase, "access": missing == nil])
                    }
                }
                if json {
                    print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
                    for row in rows {
                        print(row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }.joined(separator: "  "))
                    }
                }
            }
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept the agreement for a model (or '*' for every third-party model).")
        @OptionGroup var target: Target
        @Option(help: "Model id, or '*'.") var model: String
        @Flag(help: "Also submit the Anthropic use-case form.") var useCase = false
        func run() throws {
            try runCLI {
                let (run, manifest, accounts) = try target.changing()
                let id = model == "*" ? "*" : try ModelAccessCommand.modelId(model, region: manifest.region).modelId
                try ModelAccessCommand.update(run) { s in
                    for a in accounts {
                        s.grant(account: a.id, region: manifest.region, modelId: id, at: ModelAccessCommand.now())
                        if useCase { s.submitUseCase(account: a.id, region: manifest.region, formData: nil, at: ModelAccessCommand.now()) }
                    }
                }
                print("granted \(id) to \(accounts.map(\.name).joined(separator: ", ")) in \(manifest.region)\(useCase ? " (use-case form submitted)" : "")")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the agreement for a model (or '*' for all).")
        @OptionGroup var target: Target
        @Option(help: "Model id, or '*'.") var model: String
        func run() throws {
            try runCLI {
                let (run, manifest, accounts) = try target.changing()
                let id = model == "*" ? "*" : try ModelAccessCommand.modelId(model, region: manifest.region).modelId
                let catalogue = Catalog.allModelIds.sorted().compactMap { Catalog.lookup($0, region: manifest.region) }
                try ModelAccessCommand.update(run) { s in
                    for a in accounts { s.revoke(account: a.id, region: manifest.region, modelId: id, catalogue: catalogue) }
                }
                print("revoked \(id) for \(accounts.map(\.name).joined(separator: ", ")) in \(manifest.region)")
            }
        }
    }

    struct UseCase: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "use-case", abstract: "Submit (or --withdraw) the one-time Anthropic use-case form.")
        @OptionGroup var target: Target
        @Flag(help: "Withdraw the form instead.") var withdraw = false
        func run() throws {
            try runCLI {
                let (run, manifest, accounts) = try target.changing()
                try ModelAccessCommand.update(run) { s in
                    for a in accounts {
                        if withdraw { s.withdrawUseCase(account: a.id, region: manifest.region) }
                        else { s.submitUseCase(account: a.id, region: manifest.region, formData: nil, at: ModelAccessCommand.now()) }
                    }
                }
                print("\(withdraw ? "withdrew" : "submitted") the use-case form for \(accounts.map(\.name).joined(separator: ", ")) in \(manifest.region)")
            }
        }
    }
}

struct BenchEngines: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-engines",
        abstract: "Benchmark the pure engines in-process: IAM policy evaluation (20 statements with conditions), SigV4 verification and the journal's wire format.")
    @Option(help: "Policy evaluations to time.") var iamIterations = 100_000
    @Option(help: "SigV4 verifications to time.") var sigv4Iterations = 20_000
    @Option(help: "Journal records to append and render.") var traceRecords = 200_000
    func run() throws {
        print(IAMPolicyBenchmark.run(iterations: iamIterations))
        print(SigV4Benchmark.run(iterations: sigv4Iterations))
        print(TraceWireBenchmark.run(records: traceRecords))
    }
}

/// `invoke --principal`: the name must exist in the run, so a typo is an error, not an unsigned request.
enum PrincipalChoice {
    static func check(_ wanted: String, run: RunDirectory) throws {
        let config = try IAMConfig.load(runDirectory: run.path)
        let found = config.principals.contains { p in
            p.arn == wanted || p.name == wanted || p.roleName.map { "\($0)/\(p.name)" } == wanted || p.accessKeyIds.contains(wanted)
        }
        if !found {
            throw CLIError("no principal '\(wanted)' in this run (principals: \(config.principals.map(\.arn).joined(separator: ", ")))")
        }
    }
}
