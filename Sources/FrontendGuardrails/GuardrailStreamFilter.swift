// Guardrails on InvokeModelWithResponseStream: the input is assessed by the guardrail-input gate as for InvokeModel;
// the output is assessed as it streams, once per window of about 1,000 new characters and at the end, over all the
// text so far (synchronous mode: the front end holds each window's events until they pass). A block ends the stream
// with the guardrail's blocked output messaging and "amazon-bedrock-guardrailAction": "INTERVENED".
import Guardrails
import NodeRuntime
import RoleKit

public struct GuardrailStreamFilter: StreamOutputFilter {
    public let name = "guardrail-output-stream"
    let store: GuardrailStore
    let windowCharacters: Int
    public init(store: GuardrailStore, windowCharacters: Int = 1000) { self.store = store; self.windowCharacters = windowCharacters }

    final class Assessor: StreamTextAssessor {
        let engine: GuardrailEngine
        let tag: String
        let windowCharacters: Int
        init(engine: GuardrailEngine, tag: String, windowCharacters: Int) { self.engine = engine; self.tag = tag; self.windowCharacters = windowCharacters }

        func assess(accumulatedText: String) -> StreamVerdict {
            let result = engine.assess(source: .output, content: [GuardrailContentBlock(text: accumulatedText)], outputScope: .interventions)
            guard let a = result.assessments.first else { return .pass(reason: "\(tag): no assessment") }
            if result.action == .guardrailIntervened && GuardrailOutcome.blocked(a) {
                return .block(message: engine.configuration.blockedOutputsMessaging,
                              reason: "\(tag) blocked the streamed output after \(accumulatedText.count) characters: \(GuardrailOutcome.summary(a))")
            }
            return .pass(reason: "\(tag) passed \(accumulatedText.count) streamed characters: \(GuardrailOutcome.summary(a))")
        }
    }

    public func begin(_ call: FrontendCall, node: Node) -> StreamTextAssessor? {
        guard let id = call.attributes["guardrailId"], let version = call.attributes["guardrailVersion"],
              let g = store.find(id, account: call.callerAccount), let engine = try? store.engine(g, version: version) else { return nil }
        return Assessor(engine: engine, tag: "guardrail \(g.id):\(version)", windowCharacters: windowCharacters)
    }
}
