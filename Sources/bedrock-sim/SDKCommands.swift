// The SDK endpoints of the client nodes (issue 6): `up` gives every bedrock-client node a loopback port and, unless
// --plain-http, the run's own CA (RUN_DIR/tls/ca.pem, for AWS_CA_BUNDLE) and a server certificate for
// bedrock-runtime.REGION.amazonaws.com, bedrock.REGION.amazonaws.com, localhost and 127.0.0.1 (key 0600 in keys/).
// `bedrock-sim env` prints the export lines that point an unchanged boto3 script or aws CLI command at one of them.
import ArgumentParser
import Foundation
import NodeRuntime
import RoleKit
import TLSServer

enum SDKSetup {
    struct Prepared { var settings: [String: [String: String]] }

    static func caPath(_ run: RunDirectory) -> String { run.path + "/tls/ca.pem" }

    static func prepare(run: RunDirectory, region: String, clients: [String], plainHTTP: Bool, deadlineMs: Int) throws -> Prepared {
        guard !clients.isEmpty else { return Prepared(settings: [:]) }
        let ports = try Launcher.freePorts(clients.count, host: "127.0.0.1")
        var common: [String: String] = ["sdkTLS": plainHTTP ? "0" : "1", "sdkDeadlineMs": String(deadlineMs)]
        if !plainHTTP {
            let tlsDir = run.path + "/tls"
            try FileManager.default.createDirectory(atPath: tlsDir, withIntermediateDirectories: true)
            do {
                let ca = try TLSCertificateAuthority(commonName: "bedrock-sim run CA")
                let names = TLSCertificateAuthority.bedrockServerNames(region: region)
                let server = try ca.issueServerCertificate(dnsNames: names.dnsNames, ipAddresses: names.ipAddresses)
                try Data(try ca.certificatePEM.utf8).write(to: URL(fileURLWithPath: caPath(run)))
                let certFile = run.keysPath + "/sdk-server.crt"
                let keyFile = run.keysPath + "/sdk-server.key"
                try Data(try server.certificatePEM.utf8).write(to: URL(fileURLWithPath: certFile))
                try Launcher.writeSecret(try server.privateKeyPEM, to: keyFile)
                common["sdkCertFile"] = certFile
                common["sdkKeyFile"] = keyFile
            } catch let e as TLSError {
                throw CLIError("cannot create the run's TLS certificate authority: \(e.message)")
            }
        }
        var out: [String: [String: String]] = [:]
        for (name, port) in zip(clients, ports) {
            var s = common
            s["sdkPort"] = String(port)
            out[name] = s
        }
        return Prepared(settings: out)
    }

    static func url(_ n: ManifestNode) -> String? {
        guard n.role == "bedrock-client", let port = n.settings["sdkPort"] else { return nil }
        return "\(n.settings["sdkTLS"] == "0" ? "http" : "https")://127.0.0.1:\(port)"
    }

    static func describe(_ manifest: RunManifest) -> String {
        let lines = manifest.nodes.compactMap { n in url(n).map { "  \(n.name)  \($0)" } }
        guard !lines.isEmpty else { return "" }
        let tls = manifest.nodes.first { $0.role == "bedrock-client" }?.settings["sdkTLS"] != "0"
        return "SDK endpoints (AWS_ENDPOINT_URL_BEDROCK_RUNTIME; `eval \"$(bedrock-sim env)\"`)\(tls ? ", CA " + manifest.runDirectory + "/tls/ca.pem" : ", plain HTTP"):\n"
            + lines.joined(separator: "\n")
    }
}

struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print export lines that point boto3 and the aws CLI at a client node's SDK endpoint, as a principal.",
        discussion: "Use: eval \"$(bedrock-sim env --principal claude-dev)\"; then python my_script.py or aws bedrock-runtime ...")
    @OptionGroup var options: RunOptions
    @Option(help: "The principal: user or session name, ROLE/SESSION, ARN or access key id (default: the first principal of the client's account).")
    var principal: String?
    @Option(help: "The bedrock-client node whose SDK endpoint to use (default: the first one).") var client: String?

    func run() throws {
        try runCLI {
            let run = options.run
            let manifest = try run.loadManifest()
            let clients = manifest.nodes.filter { $0.role == "bedrock-client" }
            guard let node = client.map({ c in clients.first { $0.name == c } }) ?? clients.first else {
                throw CLIError("no bedrock-client node named '\(client ?? "")' (clients: \(clients.map(\.name).joined(separator: ", ")))")
            }
            guard let url = SDKSetup.url(node) else { throw CLIError("\(node.name) has no SDK endpoint in this run (started by an older bedrock-sim?)") }
            let config = try IAMConfig.load(runDirectory: run.path)
            let credentials = try CredentialStore.load(runDirectory: run.path)
            let ps = config.principals
            let chosen: IAMConfig.Principal?
            if let wanted = principal {
                chosen = ps.first { $0.arn == wanted } ?? ps.first { $0.name == wanted && $0.accountId == node.accountId }
                    ?? ps.first { $0.name == wanted } ?? ps.first { p in p.roleName.map { "\($0)/\(p.name)" } == wanted }
                    ?? ps.first { $0.accessKeyIds.contains(wanted) }
            } else {
                chosen = ps.first { $0.accountId == node.accountId }
            }
            guard let p = chosen else {
                throw CLIError(principal.map { "no principal '\($0)' in this run (principals: \(ps.map(\.arn).joined(separator: ", ")))" }
                               ?? "no principal in account \(node.accountId) of \(node.name); name one with --principal")
            }
            let keyId = principal.flatMap { w in p.accessKeyIds.contains(w) ? w : nil } ?? p.accessKeyIds.first
            guard let keyId, let c = credentials.keys[keyId] else { throw CLIError("\(p.arn) has no access key in this run") }
            func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            print("# \(p.arn) through \(node.name)'s SDK endpoint (run \(run.path))")
            print("export AWS_ACCESS_KEY_ID=\(q(keyId))")
            print("export AWS_SECRET_ACCESS_KEY=\(q(c.secretAccessKey))")
            if let token = c.sessionToken { print("export AWS_SESSION_TOKEN=\(q(token))") } else { print("unset AWS_SESSION_TOKEN") }
            print("export AWS_REGION=\(q(manifest.region))")
            print("export AWS_DEFAULT_REGION=\(q(manifest.region))")
            print("export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=\(q(url))")
            print("export AWS_ENDPOINT_URL_BEDROCK=\(q(url))")
            if node.settings["sdkTLS"] != "0" { print("export AWS_CA_BUNDLE=\(q(SDKSetup.caPath(run)))") } else { print("unset AWS_CA_BUNDLE") }
            // Anything else that would make the SDK sign differently or go elsewhere.
            print("unset AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK AWS_ENDPOINT_URL")
        }
    }
}
