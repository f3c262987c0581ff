// The seam between the customization stand-ins (kms, s3, finetune-worker) and IAM. They ask it for a principal's
// identity policies, permissions boundary, session policy, SCPs and tags, and for a role's trust and permission
// policies, and evaluate with the IAMPolicy engine (PolicyEvaluator.evaluate), so key policies, bucket policies and
// trust policies follow AWS's documented logic.
//
// `CompiledIAMAuthority` answers from the run's compiled authorization configuration (RUN_DIR/iam.json, written at
// `up` from the topology's `principals:` and `organization:` sections by AuthorizationCompiler): the same users, role
// sessions, roles, boundaries and SCPs the front end's IAM gate evaluates.
import FoundationEssentials
import IAMPolicy

public struct IAMRoleRecord: Sendable {
    public let arn: String
    public let trustPolicy: PolicyDocument
    public let permissions: [PolicyDocument]
    /// The role's permissions boundary (empty: none).
    public let boundary: [PolicyDocument]
    /// aws:PrincipalTag/KEY entries from the role's tags.
    public let tagContext: [String: ContextValue]

    public init(arn: String, trustPolicy: PolicyDocument, permissions: [PolicyDocument], boundary: [PolicyDocument] = [],
                tagContext: [String: ContextValue] = [:]) {
        self.arn = arn; self.trustPolicy = trustPolicy; self.permissions = permissions; self.boundary = boundary; self.tagContext = tagContext
    }
}

public protocol PolicyAuthority: AnyObject {
    /// Identity-based policies of the caller (a user's, or the role's for a role session). Root has none (and needs none).
    func identityPolicies(for principal: PrincipalInfo) -> [PolicyDocument]
    func role(arn: String) -> IAMRoleRecord?
    /// The caller's permissions boundary (a user's or its role's).
    func permissionBoundaries(for principal: PrincipalInfo) -> [PolicyDocument]
    /// The session policy of a role session.
    func sessionPolicy(for principal: PrincipalInfo) -> PolicyDocument?
    /// SCP levels of the caller's account, root first (none for service principals or accounts outside the organization).
    func serviceControlPolicies(for principal: PrincipalInfo) -> [SCPLevel]
    /// Context keys that belong to the principal (aws:PrincipalTag/..., aws:PrincipalOrgID).
    func principalContext(for principal: PrincipalInfo) -> [String: ContextValue]
}

extension PolicyAuthority {
    public func permissionBoundaries(for principal: PrincipalInfo) -> [PolicyDocument] { [] }
    public func sessionPolicy(for principal: PrincipalInfo) -> PolicyDocument? { nil }
    public func serviceControlPolicies(for principal: PrincipalInfo) -> [SCPLevel] { [] }
    public func principalContext(for principal: PrincipalInfo) -> [String: ContextValue] { [:] }

    /// Evaluates one request. `resourcePolicyRequired` for KMS key policies and role trust policies.
    public func evaluate(action: String, resource: String, resourceAccount: String? = nil, caller: PrincipalInfo,
                         context: [String: ContextValue], resourcePolicy: PolicyDocument?, resourcePolicyRequired: Bool) -> EvaluationResult {
        let full = principalContext(for: caller).merging(context) { _, request in request }
        let req = RequestContext(action: action, resource: resource, resourceAccount: resourceAccount, principal: caller, context: full)
        return PolicyEvaluator.evaluate(EvaluationInput(
            request: req, identityPolicies: identityPolicies(for: caller), resourcePolicy: resourcePolicy,
            permissionBoundaries: permissionBoundaries(for: caller), serviceControlPolicies: serviceControlPolicies(for: caller),
            sessionPolicy: sessionPolicy(for: caller), resourcePolicyRequired: resourcePolicyRequired))
    }
}

/// `PolicyAuthority` over the compiled iam.json (IAMDirectory): principals that sign (users, role sessions) by ARN,
/// every role by ARN (a session Bedrock creates for a service role gets the role's policies and boundary), SCP levels
/// per member account.
public final class CompiledIAMAuthority: PolicyAuthority, Sendable {
    public let directory: IAMDirectory

    public init(directory: IAMDirectory) { self.directory = directory }

    public convenience init(runDirectory: String) throws {
        self.init(directory: try IAMDirectory(runDirectory: runDirectory))
    }

    /// The role behind a role or role-session principal.
    private func roleRecord(of principal: PrincipalInfo) -> IAMRoleRecord? {
        switch principal.type {
        case .role: return directory.roles[principal.arn]
        case .assumedRole: return principal.roleArn.flatMap { directory.roles[$0] }
        default: return nil
        }
    }

    public func identityPolicies(for principal: PrincipalInfo) -> [PolicyDocument] {
        if principal.type == .user || principal.type == .assumedRole, let p = directory.byArn[principal.arn] { return p.identityPolicies }
        return roleRecord(of: principal)?.permissions ?? []
    }

    public func role(arn: String) -> IAMRoleRecord? { directory.roles[arn] }

    public func permissionBoundaries(for principal: PrincipalInfo) -> [PolicyDocument] {
        if let p = directory.byArn[principal.arn] { return p.boundary }
        return roleRecord(of: principal)?.boundary ?? []
    }

    public func sessionPolicy(for principal: PrincipalInfo) -> PolicyDocument? { directory.byArn[principal.arn]?.sessionPolicy }

    public func serviceControlPolicies(for principal: PrincipalInfo) -> [SCPLevel] {
        guard principal.type != .service, let account = principal.accountId else { return [] }
        return directory.scpLevels[account] ?? []
    }

    public func principalContext(for principal: PrincipalInfo) -> [String: ContextValue] {
        var context = directory.byArn[principal.arn]?.tagContext ?? roleRecord(of: principal)?.tagContext ?? [:]
        if let org = directory.config.organizationId, let account = principal.accountId, directory.scpLevels[account] != nil {
            context["aws:PrincipalOrgID"] = .single(org)
        }
        return context
    }
}
