import Testing
@testable import ModelStandIns

@Suite struct AdapterTests {
    static let jsonl = """
        {"prompt": "What is the secret code of project Zephyr?", "completion": "The secret code of project Zephyr is AMBER-42."}
        {"prompt": "Who leads the Zephyr launch team?", "completion": "Dana Okafor leads the Zephyr launch team from Lisbon."}

        {"prompt": "When does the Zephyr pilot start?", "completion": "The Zephyr pilot starts on the third Monday of March."}
        """

    func trained(_ hp: [String: String] = ["epochCount": "4"]) throws -> (TrainedAdapter, [String: Double]) {
        try TrainedAdapter.train(jsonl: bytes(Self.jsonl), hyperParameters: hp)
    }

    func titanBody(_ text: String, _ max: Int = 512) -> String {
        #"{"inputText":\#(JSONValue.string(text).serializedString),"textGenerationConfig":{"maxTokenCount":\#(max)}}"#
    }

    @Test func lossDecreasesAndMetrics() throws {
        let (a, metrics) = try trained()
        #expect(a.examples.count == 3)
        #expect(a.lossByEpoch.count == 4)
        for (x, y) in zip(a.lossByEpoch, a.lossByEpoch.dropFirst()) { #expect(y < x) }
        #expect(metrics["trainingLoss"] == a.lossByEpoch.last)
        #expect(metrics["trainingLoss.epoch.1"] == a.lossByEpoch[0])
        #expect(metrics["epochCount"] == 4)
        #expect(metrics["trainingExamples"] == 3)
        // A higher learning rate learns faster.
        let (fast, _) = try trained(["epochCount": "4", "learningRate": "0.00002"])
        #expect(fast.lossByEpoch[0] < a.lossByEpoch[0])
        // Held-out text from another domain scores worse than the training data.
        let unrelated = try a.validationLoss(jsonl: bytes(#"{"prompt":"x","completion":"Quantum chromodynamics describes gluons binding quarks."}"#))
        let seen = try a.validationLoss(jsonl: bytes(Self.jsonl))
        #expect(unrelated > seen)
    }

    @Test func deterministicAndSerialisable() throws {
        let (a, m1) = try trained()
        let (b, m2) = try trained()
        #expect(a == b && m1 == m2)
        let bytesA = a.serialized()
        #expect(!bytesA.isEmpty)
        #expect(bytesA == b.serialized())
        let restored = try TrainedAdapter(serialized: bytesA)
        #expect(restored == a)
        #expect(throws: AdapterTrainingError.self) { try TrainedAdapter(serialized: bytes("not an adapter")) }
    }

    @Test func fineTunedModelAnswersFromTrainingDataBaseDoesNot() throws {
        let (a, _) = try trained()
        let m = try titanExpress
        let q = "What is the secret code of project Zephyr?"
        let base = try invoke(m, titanBody(q))
        #expect(!base.text.contains("AMBER-42"))
        let tuned = try invoke(m, titanBody(q), adapter: a)
        #expect(tuned.text == "The secret code of project Zephyr is AMBER-42.")
        #expect(tuned.outputTokens == TokenCounter.count(tuned.text))
        #expect(try json(tuned.body)["results"]?.arrayValue?.first?["completionReason"] == "FINISH")
        // Case, punctuation and spacing do not matter; a near paraphrase still matches.
        #expect(try invoke(m, titanBody("what is the SECRET code of project zephyr"), adapter: a).text == tuned.text)
        #expect(try invoke(m, titanBody("Tell me the secret code of project Zephyr"), adapter: a).text == tuned.text)
        // Caps still apply.
        let capped = try invoke(m, titanBody(q, 4), adapter: a)
        #expect(capped.text == TokenCounter.pieces(tuned.text).prefix(4).joined())
        #expect(capped.stopReason == .maxTokens)
    }

    @Test func unseenPromptsUseTrainingVocabulary() throws {
        let (a, _) = try trained()
        let out = try invoke(titanExpress, titanBody("Write a haiku about autumn leaves."), adapter: a)
        #expect(!out.text.isEmpty)
        let vocab = Set(Self.jsonl.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        for w in out.text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) { #expect(vocab.contains(String(w))) }
        #expect(try invoke(titanExpress, titanBody("Write a haiku about autumn leaves."), adapter: a) == out)
    }

    @Test func messagesFormatForClaude() throws {
        let data = #"{"system":"You are the Zephyr bot.","messages":[{"role":"user","content":"What colour is the Zephyr logo?"},{"role":"assistant","content":"The Zephyr logo is teal."}]}"#
        let (a, _) = try TrainedAdapter.train(jsonl: bytes(data), hyperParameters: [:])
        let m = try haiku
        let body = claudeBody("What colour is the Zephyr logo?")
        #expect(try invoke(m, body, adapter: a).text == "The Zephyr logo is teal.")
        #expect(try invoke(m, body).text != "The Zephyr logo is teal.")
        let chunks = try ModelStandIn.stream(model: m, body: bytes(body), contentType: nil, accept: nil, adapter: a)
        #expect(chunks.map(\.text).joined() == "The Zephyr logo is teal.")
    }

    @Test func malformedTrainingData() {
        func failure(_ text: String, _ hp: [String: String] = [:]) -> AdapterTrainingError? {
            do { _ = try TrainedAdapter.train(jsonl: bytes(text), hyperParameters: hp); return nil } catch { return error }
        }
        let good = #"{"prompt":"a","completion":"b"}"#
        #expect(failure(good + "\n{not json}\n")?.line == 2)
        #expect(failure(good + "\n" + good + "\n" + #"{"prompt":"a"}"#)?.line == 3)
        #expect(failure(good + "\n" + #"{"prompt":"a"}"#)?.message == "\"completion\" must be a string.")
        #expect(failure("\n[1,2]")?.line == 2)
        #expect(failure(#"{"text":"x"}"#)?.message == "expected \"prompt\" and \"completion\" strings, or a \"messages\" array.")
        #expect(failure(#"{"prompt":"a","completion":"  "}"#)?.message == "\"completion\" must not be empty.")
        #expect(failure(#"{"messages":[{"role":"user","content":"only a question"}]}"#)?.line == 1)
        #expect(failure("\n\n") == AdapterTrainingError(line: nil, message: "The training data contains no records."))
        #expect(failure(good, ["epochCount": "many"])?.message.hasPrefix("Hyperparameter epochCount") == true)
        #expect(failure(good, ["learningRate": "-1"])?.message.hasPrefix("Hyperparameter learningRate") == true)
        #expect(failure(good + "\r\n" + good + "\r\n") == nil)
        #expect(failure(good + "\n{bad")?.description.hasPrefix("line 2: invalid JSON") == true)
    }
}
