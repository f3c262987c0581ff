// `bedrock-sim bench-guardrails [--presidio]`: the Guardrails performance figures (issue 4, item 5). Runs the
// engine's benchmark (PII scan and full guardrail throughput, per-entity recall) on the seeded corpus and, with
// --presidio, writes that corpus and runs Microsoft Presidio's pattern recognizers over it
// (Scripts/guardrail-bench-presidio.py, in a virtual environment it creates with `pip install presidio-analyzer`
// when missing), printing the two reports side by side. Figures are printed, never asserted.
import ArgumentParser
import Foundation
import Guardrails

struct BenchGuardrails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-guardrails",
        abstract: "Benchmark the Guardrails engine (single core), optionally side by side with Microsoft Presidio.")
    @Flag(help: "Also run Presidio's pattern recognizers (no_op NLP engine) over the same corpus.") var presidio = false
    @Option(help: "Corpus size in bytes (Presidio scans it at about 0.25 MB/s).") var bytes = GuardrailBenchmark.defaultBytes
    @Option(help: "Corpus seed.") var seed = GuardrailBenchmark.defaultSeed
    @Option(help: "Virtual environment for Presidio (created when missing).") var venv = ".venv-bench"
    @Option(help: "The Presidio benchmark script.") var script = "Scripts/guardrail-bench-presidio.py"

    func run() throws {
        try runCLI {
            guard bytes >= 10_000, bytes <= 1_000_000_000 else { throw CLIError("--bytes must be between 10000 and 1000000000", exitCode: 64) }
            let corpus = GuardrailBenchmark.corpus(seed: seed, bytes: bytes)
            let swiftReport = GuardrailBenchmark.run(corpus: corpus)
            guard presidio else { print(swiftReport); return }
            let presidioReport = try runPresidio(corpus: corpus)
            print(Self.sideBySide(swiftReport, presidioReport))
        }
    }

    func locateScript() throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: script) { return script }
        // From the build directory (.build/debug) back to the repository.
        let fromBin = URL(fileURLWithPath: binDirectory()).deletingLastPathComponent().deletingLastPathComponent().path + "/" + script
        if fm.fileExists(atPath: fromBin) { return fromBin }
        throw CLIError("cannot find \(script); run from the repository or pass --script", exitCode: 66)
    }

    @discardableResult
    static func execute(_ exe: String, _ args: [String], capture: Bool, quiet: Bool = false) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = capture ? out : FileHandle.standardError
        p.standardError = quiet ? FileHandle.nullDevice : FileHandle.standardError
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw CLIError("cannot run \(exe): \(error)") }
        var data = Data()
        if capture { data = out.fileHandleForReading.readDataToEndOfFile() }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func runPresidio(corpus: [UInt8]) throws -> String {
        let scriptPath = try locateScript()
        let python = venv + "/bin/python"
        let fm = FileManager.default
        if !fm.isExecutableFile(atPath: python) {
            printErr("creating the virtual environment \(venv) ...")
            guard try Self.execute("/usr/bin/env", ["python3", "-m", "venv", venv], capture: false).status == 0 else {
                throw CLIError("python3 -m venv \(venv) failed (is python3-venv installed?)")
            }
        }
        if try Self.execute(python, ["-c", "import presidio_analyzer"], capture: true, quiet: true).status != 0 {
            printErr("installing presidio-analyzer into \(venv) ...")
            guard try Self.execute(venv + "/bin/pip", ["install", "--quiet", "presidio-analyzer"], capture: false).status == 0 else {
                throw CLIError("pip install presidio-analyzer failed in \(venv)")
            }
        }
        let corpusPath = NSTemporaryDirectory() + "guardrail-corpus-\(getpid()).jsonl"
        guard fm.createFile(atPath: corpusPath, contents: Data(corpus)) else { throw CLIError("cannot write \(corpusPath)") }
        defer { try? fm.removeItem(atPath: corpusPath) }
        printErr("running Presidio over the same corpus (\(corpus.count) bytes) ...")
        let r = try Self.execute(python, [scriptPath, "--corpus", corpusPath], capture: true)
        guard r.status == 0 else { throw CLIError("\(scriptPath) failed (exit \(r.status))") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Header lines one under the other; the recall table as one row per entity with both columns.
    static func sideBySide(_ a: String, _ b: String) -> String {
        let la = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lb = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let split = { (lines: [String]) -> ([String], [String]) in
            let i = lines.firstIndex { $0.hasPrefix("recall by entity") } ?? lines.count
            return (Array(lines[..<i]), Array(lines[min(lines.count, i + 1)...]))
        }
        let (ha, ta) = split(la), (hb, tb) = split(lb)
        var out: [String] = []
        for (x, y) in zip(ha, hb) {
            let label = x.prefix { $0 != ":" }
            out.append(x)
            if y.hasPrefix(label) { out.append(String(repeating: " ", count: label.count) + "  " + y.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)) }
            else { out.append(y) }
        }
        out.append("recall by entity (found/injected; extra = detections that match no injected value of that type):")
        out.append("  " + "entity".padding(toLength: 40, withPad: " ", startingAt: 0) + " " + "bedrock-sim".padding(toLength: 30, withPad: " ", startingAt: 0) + " presidio")
        let rowsB = Dictionary(tb.map { l -> (String, String) in
            let t = l.trimmingCharacters(in: .whitespaces)
            let name = String(t.prefix { $0 != " " })
            return (name, String(t.dropFirst(name.count)).trimmingCharacters(in: .whitespaces))
        }, uniquingKeysWith: { x, _ in x })
        for l in ta {
            let t = l.trimmingCharacters(in: .whitespaces)
            let name = String(t.prefix { $0 != " " })
            guard !name.isEmpty else { continue }
            let mine = String(t.dropFirst(name.count)).trimmingCharacters(in: .whitespaces)
            out.append("  " + name.padding(toLength: 40, withPad: " ", startingAt: 0) + " " + mine.padding(toLength: 30, withPad: " ", startingAt: 0)
                       + " " + (rowsB[name] ?? "n/a"))
        }
        return out.joined(separator: "\n")
    }
}
