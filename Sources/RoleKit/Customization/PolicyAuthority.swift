// The seam between the customization stand-ins (kms, s3, finetune-worker) and IAM. They ask it for a principal's
// identity policies and for a role's trust and permission policies, and evaluate with the IAMPolicy engine
// (PolicyEvaluator.evaluate), so key policies, bucket policies and trust policies follow AWS's documented logic.
//
// `FileIAMDirectory` reads RUN_DIR/iam/directory.json, which `bedrock-sim up` writes from the topology's
// `principals` section. When the authorization branch's principals (users, roles, access keys) land, an adapter
// over its model conforms to `PolicyAuthority` and nothing else here changes.
import Foundation
import IAMPolicy

public struct IAMRoleRecord: Sendable {
    public let arn: String
    public let trustPolicy: PolicyDocument
    public let permissions: [PolicyDocument]
}

public protocol PolicyAuthority: AnyObject {
    /// Identity-based policies of the caller (a user's, or the role's for a role session). Root has none (and needs none).
    func identityPolicies(for principal: PrincipalInfo) -> [PolicyDocument]
    func role(arn: String) -> IAMRoleRecord?
}

extension PolicyAuthority {
    /// Evaluates one request. `resourcePolicyRequired` for KMS key policies and role trust policies.
    public func evaluate(action: String, resource: String, resourceAccount: String? = nil, caller: PrincipalInfo,
                         context: [String: ContextValue], resourcePolicy: PolicyDocument?, resourcePolicyRequired: Bool) -> EvaluationResult {
        let req = RequestContext(action: action, resource: resource, resourceAccount: resourceAccount, principal: caller, context: context)
        return PolicyEvaluator.evaluate(EvaluationInput(request: req, identityPolicies: identityPolicies(for: caller),
                                                        resourcePolicy: resourcePolicy, resourcePolicyRequired: resourcePolicyRequired))
    }
}

public final class FileIAMDirectory: PolicyAuthority {
    private var roles: [String: IAMRoleRecord] = [:]
    private var users: [String: [PolicyDocument]] = [:]
    private let path: String
    private var loadedMtime: Double = -1

    public init(runDirectory: String) {
        path = runDirectory + "/iam/directory.json"
        reload()
    }

    /// Re-reads the directory when the file changed (the CLI may update it during a run).
    public func reload() {
        let mtime = ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        guard mtime != loadedMtime else { return }
        loadedMtime = mtime
        roles = [:]; users = [:]
        guard let data = FileManager.default.contents(atPath: path), let j = try? JSONValue.parse(Array(data)) else { return }
        if case .array(let rs)? = j["roles"] {
            for r in rs {
                guard let arn = r["arn"]?.stringValue, let t = r["trustPolicy"],
                      let trust = try? PolicyDocument(json: t.serialized(), source: "\(arn) trust policy", kind: .resourceBased) else { continue }
                var perms: [PolicyDocument] = []
                if case .array(let ps)? = r["policies"] {
                    for (i, p) in ps.enumerated() { if let d = try? PolicyDocument(json: p.serialized(), source: "\(arn) policy \(i)") { perms.append(d) } }
                }
                roles[arn] = IAMRoleRecord(arn: arn, trustPolicy: trust, permissions: perms)
            }
        }
        if case .array(let us)? = j["users"] {
            for u in us {
                guard let arn = u["arn"]?.stringValue else { continue }
                var perms: [PolicyDocument] = []
                if case .array(let ps)? = u["policies"] {
                    for (i, p) in ps.enumerated() { if let d = try? PolicyDocument(json: p.serialized(), source: "\(arn) policy \(i)") { perms.append(d) } }
                }
                users[arn] = perms
            }
        }
    }

    public func identityPolicies(for principal: PrincipalInfo) -> [PolicyDocument] {
        reload()
        switch principal.type {
        case .user: return users[principal.arn] ?? []
        case .role: return roles[principal.arn]?.permissions ?? []
        case .assumedRole: return principal.roleArn.flatMap { roles[$0]?.permissions } ?? []
        default: return []
        }
    }

    public func role(arn: String) -> IAMRoleRecord? {
        reload()
        return roles[arn]
    }
}
