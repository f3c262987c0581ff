// Throughput figures for the stand-ins, for a CLI to print (never asserted in tests).

public enum ModelStandInsBenchmark {
    public struct Figure: Sendable, CustomStringConvertible {
        public var name: String
        public var microsecondsPerOperation: Double
        public var iterations: Int
        public var description: String {
            let us = (microsecondsPerOperation * 10).rounded() / 10
            return "\(name): \(us) µs/op over \(iterations)"
        }
    }

    /// Times invoke, stream, embeddings, token counting and adapter training. `scale`
    /// multiplies the iteration counts (1 takes well under a second in a release build).
    public static func run(scale: Int = 1) -> [Figure] {
        let n = max(1, scale)
        var figures: [Figure] = []
        func time(_ name: String, _ iterations: Int, _ body: () -> Void) {
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<iterations { body() }
            let d = clock.now - start
            let us = Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
            figures.append(Figure(name: name, microsecondsPerOperation: us / Double(iterations), iterations: iterations))
        }
        guard let haiku = ModelCatalog.lookup("anthropic.claude-3-haiku-20240307-v1:0", region: "us-east-1"),
              let titan = ModelCatalog.lookup("amazon.titan-text-express-v1", region: "us-east-1"),
              let embed = ModelCatalog.lookup("amazon.titan-embed-text-v2:0", region: "us-east-1")
        else { return [] }
        let claudeBody = Array(#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,"messages":[{"role":"user","content":"Explain envelope encryption with KMS data keys in a few sentences."}]}"#.utf8)
        let titanBody = Array(#"{"inputText":"Explain envelope encryption with KMS data keys.","textGenerationConfig":{"maxTokenCount":512}}"#.utf8)
        let embedBody = Array(#"{"inputText":"Explain envelope encryption with KMS data keys.","dimensions":1024}"#.utf8)
        let text = String(repeating: "The quick brown fox jumps over the lazy dog, again and again. ", count: 100)
        // The simulator's benchmark shape: ~1 KiB prompts, 64 output tokens.
        let kib = String(repeating: "Explain how envelope encryption with KMS data keys protects prompts in an escrow host. ", count: 12)
        let kibJSON = JSONValue.string(kib).serializedString
        let claude1k = Array(#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":\#(kibJSON)}]}"#.utf8)
        let titan1k = Array(#"{"inputText":\#(kibJSON),"textGenerationConfig":{"maxTokenCount":64}}"#.utf8)
        time("TokenCounter.count (1 KiB ASCII)", 2000 * n) { _ = TokenCounter.count(kib) }
        time("invoke titan-text-express (1 KiB prompt, 64 tokens)", 2000 * n) {
            _ = try? ModelStandIn.invoke(model: titan, body: titan1k, contentType: "application/json", accept: "application/json")
        }
        time("invoke claude-3-haiku (1 KiB message, 64 tokens)", 2000 * n) {
            _ = try? ModelStandIn.invoke(model: haiku, body: claude1k, contentType: "application/json", accept: "application/json")
        }
        time("JSONValue.parse (1 KiB Claude body)", 2000 * n) { _ = try? JSONValue.parse(claude1k) }
        if let parsed = try? JSONValue.parse(claude1k) {
            time("JSONValue.serialized (1 KiB Claude body)", 2000 * n) { _ = parsed.serialized() }
        }
        time("TokenCounter.count (6.2 KB)", 200 * n) { _ = TokenCounter.count(text) }
        time("invoke claude-3-haiku", 500 * n) { _ = try? ModelStandIn.invoke(model: haiku, body: claudeBody, contentType: nil, accept: nil) }
        time("stream claude-3-haiku", 500 * n) { _ = try? ModelStandIn.stream(model: haiku, body: claudeBody, contentType: nil, accept: nil) }
        time("invoke titan-text-express", 500 * n) { _ = try? ModelStandIn.invoke(model: titan, body: titanBody, contentType: nil, accept: nil) }
        time("invoke titan-embed-text-v2 (1024)", 500 * n) { _ = try? ModelStandIn.invoke(model: embed, body: embedBody, contentType: nil, accept: nil) }
        var lines = ""
        for i in 0..<500 {
            lines += #"{"prompt":"What is item \#(i) of the catalogue?","completion":"Item \#(i) is a widget of colour \#(i % 7) and size \#(i % 5)."}"# + "\n"
        }
        let jsonl = Array(lines.utf8)
        time("train adapter (500 JSONL lines, 3 epochs)", 5 * n) { _ = try? TrainedAdapter.train(jsonl: jsonl, hyperParameters: ["epochCount": "3"]) }
        return figures
    }
}
