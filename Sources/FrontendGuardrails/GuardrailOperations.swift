// The Guardrails control plane (CreateGuardrail, UpdateGuardrail, GetGuardrail, ListGuardrails,
// CreateGuardrailVersion, DeleteGuardrail) and the runtime's ApplyGuardrail, served by the front end as local
// operations on the caller's account's guardrails (GuardrailStore). Shapes and status codes follow the botocore
// models: the mutating control-plane calls answer 202, reads and ApplyGuardrail 200.
import Envelope
import FoundationEssentials
import Guardrails
import NodeRuntime
import RoleKit

enum GuardrailAPI {
    static func json(_ v: JSONValue, status: Int = 200) -> HTTPResponse { jsonResponse(v.serialized(), status: status) }

    static func patternError(_ value: String, _ field: String, _ pattern: String) -> BedrockError {
        .validation("1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: Member must satisfy regular expression pattern: \(pattern)")
    }

    static func notFound(_ identifier: String) -> BedrockError {
        .resourceNotFound("Guardrail \(identifier) was not found.")
    }

    static func versionNotFound(_ identifier: String, _ version: String) -> BedrockError {
        .resourceNotFound("Version \(version) of guardrail \(identifier) was not found.")
    }

    static func conflict(_ name: String) -> BedrockError {
        BedrockError("ConflictException", 400, "A guardrail with the name \(name) already exists in this account.")
    }

    /// The request body as a JSON object, or the service's error.
    static func body(_ call: FrontendCall, allowEmpty: Bool = false) -> Result<[String: JSONValue], BedrockError> {
        if call.request.body.isEmpty || call.request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return allowEmpty ? .success([:]) : .failure(.validation("Malformed input request, please reformat your input and try again."))
        }
        guard case .object(let o)? = try? JSONValue.parse(call.request.body) else {
            return .failure(.validation("Malformed input request, please reformat your input and try again."))
        }
        return .success(o)
    }

    /// Resolves `{guardrailIdentifier}` for the caller, with the pattern check first.
    static func resolve(_ call: FrontendCall, _ store: GuardrailStore) -> Result<StoredGuardrail, BedrockError> {
        let identifier = call.pathParameters["guardrailIdentifier"] ?? ""
        guard identifier.utf8.count <= 2048, GuardrailStore.parseIdentifier(identifier) != nil else {
            return .failure(patternError(identifier, "guardrailIdentifier", GuardrailStore.identifierPattern))
        }
        guard let g = store.find(identifier, account: call.callerAccount) else { return .failure(notFound(identifier)) }
        return .success(g)
    }

    /// Validates a CreateGuardrail / UpdateGuardrail body with the engine's own rules (the real service's messages).
    static func configuration(_ body: [String: JSONValue]) -> Result<(GuardrailConfiguration, JSONValue), BedrockError> {
        var stored = body
        stored["clientRequestToken"] = nil   // idempotency token, not configuration
        let value = JSONValue.object(stored)
        do {
            return .success((try GuardrailConfiguration.decode(json: value.serialized()), value))
        } catch {
            return .failure(BedrockError(error.code, 400, error.message))
        }
    }

    static func resourceArn(_ call: FrontendCall, region: String) -> String {
        let identifier = call.pathParameters["guardrailIdentifier"] ?? ""
        if identifier.hasPrefix("arn:") { return identifier }
        return "arn:aws:bedrock:\(region):\(call.callerAccount):guardrail/\(identifier)"
    }

    static func saved(_ store: GuardrailStore, _ account: String, _ call: FrontendCall, node: Node) -> BedrockError? {
        do { try store.save(account: account); return nil } catch {
            node.log("cannot persist guardrails of \(account): \(error)")
            return .internalFailure("The guardrail could not be saved.")
        }
    }

    // MARK: GetGuardrail shape

    static func directions<A: RawRepresentable>(_ d: GuardrailDirectional<A>) -> [String: JSONValue] where A.RawValue == String {
        ["inputAction": .string(d.inputAction.rawValue), "outputAction": .string(d.outputAction.rawValue),
         "inputEnabled": .bool(d.inputEnabled), "outputEnabled": .bool(d.outputEnabled)]
    }

    /// The GetGuardrail response for one version.
    static func getBody(_ g: StoredGuardrail, _ v: StoredGuardrailVersion, _ c: GuardrailConfiguration) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(c.name), "guardrailId": .string(g.id), "guardrailArn": .string(g.arn), "version": .string(v.version),
            "status": .string("READY"), "createdAt": .string(v.version == "DRAFT" ? g.createdAt : v.createdAt),
            "updatedAt": .string(v.updatedAt), "blockedInputMessaging": .string(c.blockedInputMessaging),
            "blockedOutputsMessaging": .string(c.blockedOutputsMessaging),
        ]
        if let d = v.description ?? c.description { o["description"] = .string(d) }
        if !c.topics.isEmpty {
            o["topicPolicy"] = .object(["topics": .array(c.topics.map { t in
                var e = directions(t.directions)
                e["name"] = .string(t.name); e["definition"] = .string(t.definition); e["type"] = .string(t.type)
                if !t.examples.isEmpty { e["examples"] = .array(t.examples.map { .string($0) }) }
                return .object(e)
            })])
        }
        if !c.contentFilters.isEmpty {
            o["contentPolicy"] = .object(["filters": .array(c.contentFilters.map { f in
                var e = directions(f.directions)
                e["type"] = .string(f.type.rawValue); e["inputStrength"] = .string(f.inputStrength.rawValue)
                e["outputStrength"] = .string(f.outputStrength.rawValue)
                e["inputModalities"] = .array([.string("TEXT")]); e["outputModalities"] = .array([.string("TEXT")])
                return .object(e)
            })])
        }
        if !c.words.isEmpty || !c.managedWordLists.isEmpty {
            o["wordPolicy"] = .object([
                "words": .array(c.words.map { w in var e = directions(w.directions); e["text"] = .string(w.text); return .object(e) }),
                "managedWordLists": .array(c.managedWordLists.map { m in var e = directions(m.directions); e["type"] = .string(m.type); return .object(e) }),
            ])
        }
        if !c.piiEntities.isEmpty || !c.regexes.isEmpty {
            o["sensitiveInformationPolicy"] = .object([
                "piiEntities": .array(c.piiEntities.map { p in
                    var e = directions(p.directions); e["type"] = .string(p.type.rawValue); e["action"] = .string(p.action.rawValue)
                    return .object(e)
                }),
                "regexes": .array(c.regexes.map { r in
                    var e = directions(r.directions)
                    e["name"] = .string(r.name); e["pattern"] = .string(r.pattern); e["action"] = .string(r.action.rawValue)
                    if let d = r.description { e["description"] = .string(d) }
                    return .object(e)
                }),
            ])
        }
        if !c.groundingFilters.isEmpty {
            o["contextualGroundingPolicy"] = .object(["filters": .array(c.groundingFilters.map { f in
                .object(["type": .string(f.type.rawValue), "threshold": .number(f.threshold), "action": .string(f.action.rawValue),
                         "enabled": .bool(f.enabled)])
            })])
        }
        return .object(o)
    }
}

/// Marks a control-plane call for CloudTrail: guardrail id (never configuration content) and whether it writes.
private func annotateControlPlane(_ call: inout FrontendCall, readOnly: Bool) {
    call.attributes["readOnly"] = readOnly ? "true" : "false"
    if let id = call.pathParameters["guardrailIdentifier"] { call.auditParameters["guardrailIdentifier"] = .string(id) }
}

public struct CreateGuardrailOperation: TemplatedOperation {
    public let name = "CreateGuardrail"
    public let template = PathTemplate("POST", "/guardrails")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        ("bedrock:CreateGuardrail", "arn:aws:bedrock:\(region):\(call.callerAccount):guardrail/*")
    }
    public func annotate(_ call: inout FrontendCall) { annotateControlPlane(&call, readOnly: false) }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let body = try GuardrailAPI.body(call).get()
        let (cfg, stored) = try GuardrailAPI.configuration(body).get()
        let account = call.callerAccount
        if store.guardrails(account: account).contains(where: { $0.name == cfg.name }) {
            return GuardrailAPI.conflict(cfg.name).httpResponse(requestId: rid)
        }
        let g = store.create(account: account, name: cfg.name, config: stored)
        if let e = GuardrailAPI.saved(store, account, call, node: node) { return e.httpResponse(requestId: rid) }
        node.log("CreateGuardrail \(g.id) (\(cfg.name)) in \(account)")
        return GuardrailAPI.json(.object(["guardrailId": .string(g.id), "guardrailArn": .string(g.arn), "version": .string("DRAFT"),
                                          "createdAt": .string(g.createdAt)]), status: 202)
    }
}

public struct UpdateGuardrailOperation: TemplatedOperation {
    public let name = "UpdateGuardrail"
    public let template = PathTemplate("PUT", "/guardrails/{guardrailIdentifier}")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        ("bedrock:UpdateGuardrail", GuardrailAPI.resourceArn(call, region: region))
    }
    public func annotate(_ call: inout FrontendCall) { annotateControlPlane(&call, readOnly: false) }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let g = try GuardrailAPI.resolve(call, store).get()
        let body = try GuardrailAPI.body(call).get()
        let (cfg, stored) = try GuardrailAPI.configuration(body).get()
        if store.guardrails(account: g.account).contains(where: { $0.name == cfg.name && $0.id != g.id }) {
            return GuardrailAPI.conflict(cfg.name).httpResponse(requestId: rid)
        }
        guard let u = store.updateDraft(account: g.account, id: g.id, name: cfg.name, config: stored) else {
            return GuardrailAPI.notFound(g.id).httpResponse(requestId: rid)
        }
        if let e = GuardrailAPI.saved(store, g.account, call, node: node) { return e.httpResponse(requestId: rid) }
        return GuardrailAPI.json(.object(["guardrailId": .string(u.id), "guardrailArn": .string(u.arn), "version": .string("DRAFT"),
                                          "updatedAt": .string(u.updatedAt)]), status: 202)
    }
}

public struct GetGuardrailOperation: TemplatedOperation {
    public let name = "GetGuardrail"
    public let template = PathTemplate("GET", "/guardrails/{guardrailIdentifier}")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        ("bedrock:GetGuardrail", GuardrailAPI.resourceArn(call, region: region))
    }
    public func annotate(_ call: inout FrontendCall) {
        annotateControlPlane(&call, readOnly: true)
        if let v = queryParameters(call.request)["guardrailVersion"] { call.auditParameters["guardrailVersion"] = .string(v) }
    }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let version = queryParameters(call.request)["guardrailVersion"] ?? "DRAFT"
        guard GuardrailStore.isVersion(version) else {
            return GuardrailAPI.patternError(version, "guardrailVersion", GuardrailStore.versionPattern).httpResponse(requestId: rid)
        }
        let g = try GuardrailAPI.resolve(call, store).get()
        guard let v = g.version(version) else { return GuardrailAPI.versionNotFound(g.id, version).httpResponse(requestId: rid) }
        guard let cfg = try? GuardrailConfiguration.decode(json: v.config.serialized()) else {
            return BedrockError.internalFailure("The stored guardrail configuration is unreadable.").httpResponse(requestId: rid)
        }
        return GuardrailAPI.json(GuardrailAPI.getBody(g, v, cfg))
    }
}

public struct ListGuardrailsOperation: TemplatedOperation {
    public let name = "ListGuardrails"
    public let template = PathTemplate("GET", "/guardrails")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:ListGuardrails", "*") }
    public func annotate(_ call: inout FrontendCall) { call.attributes["readOnly"] = "true" }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let q = queryParameters(call.request)
        var maxResults = 1000
        if let m = q["maxResults"] {
            guard let n = Int(m), (1...1000).contains(n) else {
                return BedrockError.validation("1 validation error detected: Value '\(m)' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000").httpResponse(requestId: rid)
            }
            maxResults = n
        }
        let start = q["nextToken"].flatMap { Int($0) } ?? 0
        if let t = q["nextToken"], Int(t) == nil {
            return BedrockError.validation("The nextToken '\(t)' is invalid.").httpResponse(requestId: rid)
        }
        // Without an identifier: the DRAFT of every guardrail; with one: every version of that guardrail.
        var rows: [(StoredGuardrail, StoredGuardrailVersion)] = []
        if let identifier = q["guardrailIdentifier"] {
            guard GuardrailStore.parseIdentifier(identifier) != nil else {
                return GuardrailAPI.patternError(identifier, "guardrailIdentifier", GuardrailStore.identifierPattern).httpResponse(requestId: rid)
            }
            guard let g = store.find(identifier, account: call.callerAccount) else { return GuardrailAPI.notFound(identifier).httpResponse(requestId: rid) }
            rows = [(g, g.draft)] + g.versions.map { (g, $0) }
        } else {
            rows = store.guardrails(account: call.callerAccount).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map { ($0, $0.draft) }
        }
        let page = rows.dropFirst(start).prefix(maxResults)
        var out: [String: JSONValue] = ["guardrails": .array(page.map { g, v in
            var s: [String: JSONValue] = ["id": .string(g.id), "arn": .string(g.arn), "status": .string("READY"), "name": .string(g.name),
                                          "version": .string(v.version), "createdAt": .string(v.version == "DRAFT" ? g.createdAt : v.createdAt),
                                          "updatedAt": .string(v.updatedAt)]
            if let d = v.description { s["description"] = .string(d) }
            return .object(s)
        })]
        if start + page.count < rows.count { out["nextToken"] = .string(String(start + page.count)) }
        return GuardrailAPI.json(.object(out))
    }
}

public struct CreateGuardrailVersionOperation: TemplatedOperation {
    public let name = "CreateGuardrailVersion"
    public let template = PathTemplate("POST", "/guardrails/{guardrailIdentifier}")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        ("bedrock:CreateGuardrailVersion", GuardrailAPI.resourceArn(call, region: region))
    }
    public func annotate(_ call: inout FrontendCall) { annotateControlPlane(&call, readOnly: false) }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let g = try GuardrailAPI.resolve(call, store).get()
        let body = try GuardrailAPI.body(call, allowEmpty: true).get()
        var description: String?
        if let d = body["description"] {
            guard let s = d.stringValue, (1...200).contains(s.utf16.count) else {
                return BedrockError.validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length between 1 and 200").httpResponse(requestId: rid)
            }
            description = s
        }
        guard g.nextVersion <= 99_999_999, let v = store.createVersion(account: g.account, id: g.id, description: description) else {
            return BedrockError("ServiceQuotaExceededException", 400, "The number of versions of guardrail \(g.id) exceeds the quota.").httpResponse(requestId: rid)
        }
        if let e = GuardrailAPI.saved(store, g.account, call, node: node) { return e.httpResponse(requestId: rid) }
        return GuardrailAPI.json(.object(["guardrailId": .string(g.id), "version": .string(v.version)]), status: 202)
    }
}

public struct DeleteGuardrailOperation: TemplatedOperation {
    public let name = "DeleteGuardrail"
    public let template = PathTemplate("DELETE", "/guardrails/{guardrailIdentifier}")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        ("bedrock:DeleteGuardrail", GuardrailAPI.resourceArn(call, region: region))
    }
    public func annotate(_ call: inout FrontendCall) {
        annotateControlPlane(&call, readOnly: false)
        if let v = queryParameters(call.request)["guardrailVersion"] { call.auditParameters["guardrailVersion"] = .string(v) }
    }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let version = queryParameters(call.request)["guardrailVersion"]
        // Only numbered versions can be deleted one by one; deleting the guardrail removes the DRAFT with it.
        if let version, !GuardrailStore.isVersion(version, allowDraft: false) {
            return GuardrailAPI.patternError(version, "guardrailVersion", GuardrailStore.numericalVersionPattern).httpResponse(requestId: rid)
        }
        let g = try GuardrailAPI.resolve(call, store).get()
        guard store.delete(account: g.account, id: g.id, version: version) else {
            return GuardrailAPI.versionNotFound(g.id, version ?? "DRAFT").httpResponse(requestId: rid)
        }
        if let e = GuardrailAPI.saved(store, g.account, call, node: node) { return e.httpResponse(requestId: rid) }
        return GuardrailAPI.json(.object([:]), status: 202)
    }
}

/// ApplyGuardrail (POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply): the engine on the
/// caller's guardrail, authorized as bedrock:ApplyGuardrail on the guardrail ARN, a CloudTrail data event.
public struct ApplyGuardrailOperation: TemplatedOperation {
    public let name = "ApplyGuardrail"
    public let template = PathTemplate("POST", "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply")
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        ("bedrock:ApplyGuardrail", GuardrailAPI.resourceArn(call, region: region))
    }
    public func annotate(_ call: inout FrontendCall) {
        call.attributes["eventCategory"] = "Data"
        if let id = call.pathParameters["guardrailIdentifier"] { call.auditParameters["guardrailIdentifier"] = .string(id) }
        if let v = call.pathParameters["guardrailVersion"] { call.auditParameters["guardrailVersion"] = .string(v) }
    }

    static func enumError(_ value: String, _ field: String, _ allowed: [String]) -> BedrockError {
        .validation("1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
    }

    /// Decodes the ApplyGuardrail request body.
    static func request(_ o: [String: JSONValue]) -> Result<(GuardrailContentSource, [GuardrailContentBlock], GuardrailOutputScope), BedrockError> {
        guard let s = o["source"] else { return .failure(.validation("1 validation error detected: Value null at 'source' failed to satisfy constraint: Member must not be null")) }
        guard let sv = s.stringValue, let source = GuardrailContentSource(rawValue: sv) else {
            return .failure(enumError(s.stringValue ?? "\(s)", "source", ["INPUT", "OUTPUT"]))
        }
        var scope = GuardrailOutputScope.interventions
        if let sc = o["outputScope"] {
            guard let v = sc.stringValue, let x = GuardrailOutputScope(rawValue: v) else {
                return .failure(enumError(sc.stringValue ?? "\(sc)", "outputScope", ["INTERVENTIONS", "FULL"]))
            }
            scope = x
        }
        guard case .array(let items)? = o["content"] else {
            return .failure(.validation("1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null"))
        }
        var blocks: [GuardrailContentBlock] = []
        for (i, item) in items.enumerated() {
            if item["image"] != nil {
                return .failure(.validation("Image content at 'content.\(i + 1).member.image' is not supported by this simulator; send text blocks."))
            }
            guard let t = item["text"], let text = t["text"]?.stringValue else {
                return .failure(.validation("1 validation error detected: Value null at 'content.\(i + 1).member.text.text' failed to satisfy constraint: Member must not be null"))
            }
            var qualifiers: [GuardrailContentQualifier] = []
            if case .array(let qs)? = t["qualifiers"] {
                for q in qs {
                    guard let qv = q.stringValue, let x = GuardrailContentQualifier(rawValue: qv) else {
                        return .failure(enumError(q.stringValue ?? "\(q)", "content.\(i + 1).member.text.qualifiers", GuardrailContentQualifier.allCases.map(\.rawValue)))
                    }
                    qualifiers.append(x)
                }
            }
            blocks.append(GuardrailContentBlock(text: text, qualifiers: qualifiers))
        }
        return .success((source, blocks, scope))
    }

    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let rid = call.requestId
        let version = call.pathParameters["guardrailVersion"] ?? ""
        guard GuardrailStore.isVersion(version) else {
            return GuardrailAPI.patternError(version, "guardrailVersion", GuardrailStore.versionPattern).httpResponse(requestId: rid)
        }
        let g = try GuardrailAPI.resolve(call, store).get()
        let body = try GuardrailAPI.body(call).get()
        let req = try Self.request(body).get()
        let engine: GuardrailEngine?
        do { engine = try store.engine(g, version: version) } catch {
            return BedrockError.internalFailure("The stored guardrail configuration is unreadable.").httpResponse(requestId: rid)
        }
        guard let engine else { return GuardrailAPI.versionNotFound(g.id, version).httpResponse(requestId: rid) }
        let result = engine.assess(source: req.0, content: req.1, outputScope: req.2)
        return jsonResponse(result.jsonBytes())
    }
}

extension GuardrailStore {
    /// Every guardrail operation the front end serves, sharing this store.
    public func operations() -> [LocalOperation] {
        [CreateGuardrailOperation(store: self), UpdateGuardrailOperation(store: self), GetGuardrailOperation(store: self),
         ListGuardrailsOperation(store: self), CreateGuardrailVersionOperation(store: self), DeleteGuardrailOperation(store: self),
         ApplyGuardrailOperation(store: self)]
    }
}
