// Where a run lives on disk: manifest.json, status.json, keys/ (0700, secret keys 0600), logs/, trace.jsonl and
// cloudtrail/ACCOUNT.jsonl. Two runs in different directories never share ports or files.
import Foundation
import NodeRuntime
import OperatorKit

struct CLIError: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = 1) { self.message = message; self.exitCode = exitCode }
    var description: String { message }
}

struct RunDirectory {
    let path: String

    static func resolve(_ option: String?) -> RunDirectory {
        let raw = option ?? ProcessInfo.processInfo.environment["BEDROCK_SIM_RUN_DIR"] ?? ".bedrock-sim/run"
        let absolute = raw.hasPrefix("/") ? raw : FileManager.default.currentDirectoryPath + "/" + raw
        return RunDirectory(path: URL(fileURLWithPath: absolute).standardizedFileURL.path)
    }

    var manifestPath: String { path + "/manifest.json" }
    var keysPath: String { path + "/keys" }
    var logsPath: String { path + "/logs" }
    var tracePath: String { path + "/trace.jsonl" }
    var cloudTrailPath: String { path + "/cloudtrail" }

    func loadManifest() throws -> RunManifest {
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw CLIError("no run in \(path) (no manifest.json); start one with `bedrock-sim up TOPOLOGY`")
        }
        do { return try RunManifest.load(path: manifestPath) } catch {
            throw CLIError("cannot read \(manifestPath): \(error)")
        }
    }

    /// The supervisor pid of a live run here, if any.
    var liveSupervisorPid: Int32? {
        guard let status = RunStatus.load(runDirectory: path), status.state != "stopped",
              ProcessProbe.isAlive(status.supervisorPid) else { return nil }
        return status.supervisorPid
    }

    func operatorClient() throws -> OperatorClient {
        let manifest = try loadManifest()
        do { return try OperatorClient(manifest: manifest, keyDirectory: keysPath) } catch {
            throw CLIError("cannot open the operator key in \(keysPath): \(error)")
        }
    }
}

/// Directory holding this executable and its sibling role executables.
func binDirectory() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().path
}

func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
