// Writes RUN_DIR/iam/directory.json, the IAM view the kms, s3 and finetune-worker nodes read through
// RoleKit.FileIAMDirectory (the PolicyAuthority seam), from the topology's `principals` section:
//
//   principals:
//     - account: customer-a               # account name or id
//       role: BedrockCustomizationRole    # or `user: alice`
//       trustPolicy: policies/trust.json  # roles only: a file (relative to the topology) or an inline mapping
//       policies: [policies/s3-read.json, {Version: "2012-10-17", Statement: [...]}]
//
// This is a stop-gap until the authorization branch's principals (users, roles, access keys) land: its parsed model
// then feeds the same directory (or a PolicyAuthority adapter) and this file goes away. Bad entries refuse `up`.
import Foundation
import IAMPolicy
import RoleKit
import Topology

enum CustomizationIAM {
    static func json(_ y: RawYAML) -> JSONValue {
        switch y.value {
        case .mapping(let entries):
            var o: [String: JSONValue] = [:]
            for e in entries { o[e.key.string ?? ""] = json(e.value) }
            return .object(o)
        case .sequence(let items): return .array(items.map(json))
        case .scalar(let text, let tag):
            if tag.hasSuffix(":int") || tag.hasSuffix(":float"), let d = Double(text) { return .number(d) }
            if tag.hasSuffix(":bool") { return .bool(["true", "yes", "on"].contains(text.lowercased())) }
            if tag.hasSuffix(":null") { return .null }
            return .string(text)
        }
    }

    static func export(_ topology: Topology, runDirectory: String) throws {
        var roles: [JSONValue] = []
        var users: [JSONValue] = []
        let baseDir = (topology.file as NSString).deletingLastPathComponent
        for (i, p) in topology.principals.enumerated() {
            let at = "\(topology.file):\(p.line):\(p.column): principals[\(i)]"
            // Entries of another shape (the authorization branch's) are left to that branch.
            guard p["role"] != nil || p["user"] != nil else { continue }
            guard let accountName = p["account"]?.string, let account = topology.account(named: accountName) else {
                throw CLIError("\(at).account: expected the name or id of an account of the topology", exitCode: 65)
            }
            func policy(_ y: RawYAML, _ path: String, kind: PolicyKind) throws -> JSONValue {
                var bytes: [UInt8]
                var label = path
                if let file = y.string {
                    let full = file.hasPrefix("/") ? file : (baseDir.isEmpty ? file : baseDir + "/" + file)
                    guard let d = FileManager.default.contents(atPath: full) else { throw CLIError("\(at).\(path): cannot read policy file \(full)", exitCode: 65) }
                    bytes = Array(d); label = full
                } else {
                    bytes = json(y).serialized()
                }
                do { _ = try PolicyDocument(json: bytes, source: label, kind: kind) } catch {
                    throw CLIError("\(at).\(path): \(error)", exitCode: 65)
                }
                guard let v = try? JSONValue.parse(bytes) else { throw CLIError("\(at).\(path): not JSON", exitCode: 65) }
                return v
            }
            var policies: [JSONValue] = []
            if let list = p["policies"] {
                guard let items = list.sequence else { throw CLIError("\(at).policies: expected a list", exitCode: 65) }
                for (j, item) in items.enumerated() { policies.append(try policy(item, "policies[\(j)]", kind: .identity)) }
            }
            if let name = p["role"]?.string {
                guard let t = p["trustPolicy"] else { throw CLIError("\(at).trustPolicy: a role needs a trust policy", exitCode: 65) }
                roles.append(.object(["arn": .string("arn:aws:iam::\(account.id):role/\(name)"), "trustPolicy": try policy(t, "trustPolicy", kind: .resourceBased),
                                      "policies": .array(policies)]))
            } else if let name = p["user"]?.string {
                users.append(.object(["arn": .string("arn:aws:iam::\(account.id):user/\(name)"), "policies": .array(policies)]))
            }
        }
        let dir = runDirectory + "/iam"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let doc = JSONValue.object(["roles": .array(roles), "users": .array(users)])
        try Data(doc.serialized(pretty: true)).write(to: URL(fileURLWithPath: dir + "/directory.json"), options: .atomic)
    }
}
