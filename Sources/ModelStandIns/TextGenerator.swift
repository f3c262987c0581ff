// Deterministic text generation for the text-model stand-ins.
//
// The text is a few template sentences filled from a small built-in vocabulary by a
// SplitMix64 generator seeded with a hash of (model ID, everything that conditions the
// output). Key words of the prompt (its first distinct words of 4+ letters that are not
// stop words) are echoed so the answer visibly relates to the question. A fine-tuned
// model (TrainedAdapter) supplies its own text instead. The result is then cut at the
// earliest stop sequence and at the output-token cap, in that order of precedence by position.

/// Why generation ended. Raw values are the Converse spellings.
public enum StopReason: String, Sendable, Codable, Equatable {
    case endTurn = "end_turn"
    case maxTokens = "max_tokens"
    case stopSequence = "stop_sequence"

    /// The model-native spelling.
    public func native(for family: ModelFamily) -> String {
        switch family {
        case .anthropicMessages, .titanEmbedding: return rawValue
        case .titanText:
            switch self {
            case .endTurn: return "FINISH"
            case .maxTokens: return "LENGTH"
            case .stopSequence: return "STOP_CRITERIA_MET"
            }
        case .llamaText, .mistralText:
            return self == .maxTokens ? "length" : "stop"
        }
    }
}

/// What conditions one generation.
struct GenerationRequest {
    var modelId: String
    /// The text a user would call "the prompt": the last user turn. Used for key words and
    /// for adapter lookup.
    var promptKey: String
    /// Everything that conditions the output (system, all turns); seeds the generator.
    var seedText: String
    var maxTokens: Int
    var stopSequences: [String]
}

struct Generation: Equatable {
    var text: String
    var outputTokens: Int
    var stop: StopReason
    var matchedStopSequence: String?
}

enum TextGenerator {
    static func generate(_ req: GenerationRequest, adapter: TrainedAdapter?) -> Generation {
        let seed = StableHash.of(parts: [req.modelId, req.seedText])
        let full: String
        if let adapter {
            full = adapter.respond(to: req.promptKey, seed: seed)
        } else {
            full = naturalText(promptKey: req.promptKey, seed: seed)
        }
        return finish(full, maxTokens: req.maxTokens, stopSequences: req.stopSequences)
    }

    /// Applies stop sequences (earliest match wins; the sequence itself is not included),
    /// then the token cap.
    static func finish(_ full: String, maxTokens: Int, stopSequences: [String]) -> Generation {
        var text = full
        var stop = StopReason.endTurn
        var matched: String?
        if let (cut, seq) = earliestStop(in: full, stopSequences) {
            text = cut
            stop = .stopSequence
            matched = seq
        }
        let pieces = TokenCounter.pieces(text)
        if pieces.count > max(0, maxTokens) {
            text = pieces.prefix(max(0, maxTokens)).joined()
            return Generation(text: text, outputTokens: max(0, maxTokens), stop: .maxTokens, matchedStopSequence: nil)
        }
        return Generation(text: text, outputTokens: pieces.count, stop: stop, matchedStopSequence: matched)
    }

    /// The text before the earliest occurrence of any stop sequence, and that sequence.
    static func earliestStop(in text: String, _ sequences: [String]) -> (String, String)? {
        let hay = Array(text.unicodeScalars)
        var best: (Int, String)?
        for seq in sequences where !seq.isEmpty {
            let needle = Array(seq.unicodeScalars)
            guard needle.count <= hay.count else { continue }
            var i = 0
            while i + needle.count <= hay.count {
                if hay[i] == needle[0], Array(hay[i..<(i + needle.count)]) == needle {
                    if let b = best, b.0 <= i { break }
                    best = (i, seq)
                    break
                }
                i += 1
            }
        }
        guard let (pos, seq) = best else { return nil }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: hay[0..<pos])
        return (String(v), seq)
    }

    // MARK: Built-in text

    static let stopWords: Set<String> = [
        "about", "above", "after", "again", "also", "been", "before", "being", "below", "between", "both",
        "could", "does", "doing", "down", "during", "each", "from", "further", "have", "having", "here",
        "into", "just", "like", "more", "most", "much", "only", "other", "over", "please", "same", "should",
        "some", "such", "tell", "than", "that", "their", "them", "then", "there", "these", "they", "this",
        "those", "through", "under", "until", "very", "want", "what", "when", "where", "which", "while",
        "will", "with", "would", "your", "yours", "explain", "describe", "give", "make", "write", "know",
    ]

    static let adjectives = [
        "clear", "simple", "careful", "robust", "practical", "steady", "modest", "reliable", "flexible",
        "useful", "precise", "layered", "gradual", "balanced", "consistent", "secure", "efficient", "thoughtful",
    ]
    static let nouns = [
        "system", "process", "result", "design", "model", "method", "signal", "pattern", "context", "structure",
        "outcome", "detail", "boundary", "request", "record", "principle", "factor", "framework", "step", "plan",
    ]
    static let verbs = [
        "review", "improve", "shape", "guide", "measure", "support", "protect", "explain", "organize", "balance",
        "test", "compare", "refine", "track",
    ]
    static let adverbs = ["quickly", "carefully", "steadily", "reliably", "clearly", "gradually", "consistently", "naturally"]
    static let prepositions = ["around", "within", "for", "behind", "across"]

    static let openers = [
        "Here is a brief overview of {K}.",
        "Good question about {K}.",
        "Let me walk through {K} step by step.",
        "In short, {K} comes down to a few key ideas.",
        "{KC} is a topic worth unpacking carefully.",
    ]
    static let bodies = [
        "The {A} {N} {V3} the {N2} {P} {K}.",
        "In practice, {K} {V3} a {A} {N} that {V3b} {D}.",
        "A {A} approach {V3} the {N} and keeps the {N2} {A2}.",
        "Most teams find that {K} {V3} the {N} {D}.",
        "It also helps to {V} the {N} before the {N2} {V3}.",
        "When the {N} {V3}, the {A} {N2} {V3b} as well.",
        "Each {N} should {V} the {A} {N2} {P} {K}.",
    ]
    static let closers = [
        "Overall, {K} {V3} a {A} {N}.",
        "I hope this helps clarify {K}.",
        "Let me know if you would like more detail on {K}.",
    ]

    /// Distinct key words of a prompt, in order of first appearance (at most `limit`).
    static func keywords(_ prompt: String, limit: Int = 4) -> [String] {
        var out: [String] = []
        var word = ""
        func flush() {
            defer { word = "" }
            let lower = word.lowercased()
            guard lower.unicodeScalars.count >= 4, !stopWords.contains(lower), !out.contains(where: { $0.lowercased() == lower })
            else { return }
            // Keep names as written ("PrivateLink", "KMS"); lowercase plain capitalised words.
            let rest = word.dropFirst()
            out.append(rest == rest.lowercased() ? lower : word)
        }
        for ch in prompt {
            if ch.isLetter || ch.isNumber { word.append(ch) } else { flush() }
            if out.count >= limit { return out }
        }
        flush()
        return Array(out.prefix(limit))
    }

    static func naturalText(promptKey: String, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        var keys = keywords(promptKey)
        if keys.isEmpty { keys = ["this topic"] }
        var sentences: [String] = []
        sentences.append(fill(g.pick(openers), key: keys[0], &g))
        let bodyCount = 2 + g.below(4)
        for j in 0..<bodyCount {
            sentences.append(fill(g.pick(bodies), key: keys[(j + 1) % keys.count], &g))
        }
        sentences.append(fill(g.pick(closers), key: keys.count > 1 ? keys[0] + " and " + keys[1] : keys[0], &g))
        return sentences.joined(separator: " ")
    }

    static func fill(_ template: String, key: String, _ g: inout SeededGenerator) -> String {
        let n1 = g.pick(nouns)
        var n2 = g.pick(nouns)
        if n2 == n1 { n2 = nouns[(nouns.firstIndex(of: n1)! + 1) % nouns.count] }
        let a1 = g.pick(adjectives)
        var a2 = g.pick(adjectives)
        if a2 == a1 { a2 = adjectives[(adjectives.firstIndex(of: a1)! + 1) % adjectives.count] }
        let v = g.pick(verbs)
        let v3b = g.pick(verbs) + "s"
        let values: [String: String] = [
            "KC": capitalized(key), "K": key, "N2": n2, "N": n1, "A2": a2, "A": a1,
            "V3b": v3b, "V3": v + "s", "V": v, "D": g.pick(adverbs), "P": g.pick(prepositions),
        ]
        // One pass over the template: "{NAME}" is replaced by its value.
        var out = ""
        var name: String?
        for ch in template {
            if ch == "{" { name = ""; continue }
            if ch == "}", let n = name { out += values[n] ?? ""; name = nil; continue }
            if name != nil { name?.append(ch) } else { out.append(ch) }
        }
        return out
    }

    static func capitalized(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst()
    }

    /// Plain substring replacement without Foundation.
    static func replace(_ s: String, _ target: String, _ with: String) -> String {
        guard !target.isEmpty else { return s }
        var out = ""
        var rest = Substring(s)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += with
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
