// Guardrail resources and the native-body helpers, in-process (no node runs): versions are immutable snapshots of
// the DRAFT, the store survives a reload from the run directory, and topology seeding is idempotent.
import Foundation
import Testing
@testable import FrontendGuardrails
import Guardrails
import RoleKit

private func tempRunDir() -> String {
    let d = NSTemporaryDirectory() + "guardrail-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private typealias JSONValue = RoleKit.JSONValue

private func config(_ word: String) throws -> JSONValue {
    try JSONValue.parse(Array(#"{"name":"g","blockedInputMessaging":"in","blockedOutputsMessaging":"out","wordPolicyConfig":{"wordsConfig":[{"text":"\#(word)"}]}}"#.utf8))
}

@Suite struct GuardrailStoreTests {
    @Test func versionsAreSnapshotsAndSurviveAReload() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = GuardrailStore(runDirectory: dir, region: "us-east-1")
        let g = store.create(account: "111111111111", name: "g", config: try config("banana"))
        #expect(g.arn == "arn:aws:bedrock:us-east-1:111111111111:guardrail/\(g.id)")
        #expect(g.id.count == 12 && g.id.allSatisfy { $0.isLowercase || $0.isNumber })
        #expect(store.createVersion(account: "111111111111", id: g.id, description: "v1")?.version == "1")
        _ = store.updateDraft(account: "111111111111", id: g.id, name: "g", config: try config("cherry"))
        try store.save(account: "111111111111")

        let reloaded = GuardrailStore(runDirectory: dir, region: "us-east-1")
        let r = try #require(reloaded.find(g.id, account: "111111111111"))
        let v1 = try #require(try reloaded.engine(r, version: "1"))
        let draft = try #require(try reloaded.engine(r, version: "DRAFT"))
        #expect(v1.assess(source: .input, content: [.init(text: "a banana")]).action == .guardrailIntervened)
        #expect(v1.assess(source: .input, content: [.init(text: "a cherry")]).action == .none)
        #expect(draft.assess(source: .input, content: [.init(text: "a cherry")]).action == .guardrailIntervened)
        #expect(r.version("1")?.description == "v1")
        #expect(try reloaded.engine(r, version: "2") == nil)
        // By ARN too, but only in the owning account and Region.
        #expect(reloaded.find(g.arn, account: "111111111111")?.id == g.id)
        #expect(reloaded.find(g.arn, account: "222222222222") == nil)
        #expect(reloaded.find("arn:aws:bedrock:eu-west-1:111111111111:guardrail/\(g.id)", account: "111111111111") == nil)
    }

    @Test func seedingIsIdempotentAndRefreshesChangedConfigurations() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = String(decoding: try config("banana").serialized(), as: UTF8.self)
        try GuardrailStore(runDirectory: dir, region: "us-east-1").seed([DeclaredGuardrail(account: "111111111111", id: "fixed1", configJSON: body, versions: 2)])
        let first = try #require(GuardrailStore(runDirectory: dir, region: "us-east-1").find("fixed1", account: "111111111111"))
        #expect(first.versions.map(\.version) == ["1", "2"])
        try GuardrailStore(runDirectory: dir, region: "us-east-1").seed([DeclaredGuardrail(account: "111111111111", id: "fixed1", configJSON: body, versions: 2)])
        #expect(GuardrailStore(runDirectory: dir, region: "us-east-1").find("fixed1", account: "111111111111") == first)
        let changed = String(decoding: try config("cherry").serialized(), as: UTF8.self)
        try GuardrailStore(runDirectory: dir, region: "us-east-1").seed([DeclaredGuardrail(account: "111111111111", id: "fixed1", configJSON: changed, versions: 1)])
        let after = try #require(GuardrailStore(runDirectory: dir, region: "us-east-1").find("fixed1", account: "111111111111"))
        #expect(after.versions.map(\.version) == ["1"])
        #expect(after.draft.config == (try config("cherry")))
    }

    @Test func identifiersAndVersions() {
        #expect(GuardrailStore.parseIdentifier("abc123")?.id == "abc123")
        #expect(GuardrailStore.parseIdentifier("arn:aws:bedrock:us-east-1:111111111111:guardrail/abc123")?.account == "111111111111")
        #expect(GuardrailStore.parseIdentifier("ABC") == nil)
        #expect(GuardrailStore.parseIdentifier("arn:aws:bedrock:us-east-1:111111111111:model/abc") == nil)
        #expect(GuardrailStore.isVersion("DRAFT") && GuardrailStore.isVersion("12345678"))
        #expect(!GuardrailStore.isVersion("0") && !GuardrailStore.isVersion("123456789") && !GuardrailStore.isVersion("v1"))
        #expect(!GuardrailStore.isVersion("DRAFT", allowDraft: false))
    }

    @Test func inputTagsSplitTheText() {
        let parts = NativeText.tagged("a <amazon-bedrock-guardrails-guardContent_x1>b</amazon-bedrock-guardrails-guardContent_x1> c", suffix: "x1")
        #expect(parts.map(\.text) == ["a ", "b", " c"])
        #expect(parts.map(\.tagged) == [false, true, false])
        // Another suffix is not a tag (the caller's suffix guards against prompt injection of tags).
        #expect(NativeText.tagged("<amazon-bedrock-guardrails-guardContent_zz>b</amazon-bedrock-guardrails-guardContent_zz>", suffix: "x1").map(\.tagged) == [false])
    }
}
