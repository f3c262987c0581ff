// Deterministic text generation for the text-model stand-ins.
//
// The text is a few template sentences filled from a small built-in vocabulary by a
// SplitMix64 generator seeded with a hash of (model ID, everything that conditions the
// output). Key words of the prompt (its first distinct words of 4+ letters that are not
// stop words) are echoed so the answer visibly relates to the question. A fine-tuned
// model (TrainedAdapter) supplies its own text instead. The result is then cut at the
// earliest stop sequence and at the output-token cap, in that order of precedence by position.

import ASCIIText

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
        let seed = StableHash.seed(req.modelId, req.seedText)
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
        let cap = max(0, maxTokens)
        let (count, prefixBytes) = TokenCounter.count(text, cutAt: cap)
        if let prefixBytes {
            text = UTF8Text.withBytes(text) { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<prefixBytes]), as: UTF8.self) }
            return Generation(text: text, outputTokens: cap, stop: .maxTokens, matchedStopSequence: nil)
        }
        return Generation(text: text, outputTokens: count, stop: stop, matchedStopSequence: matched)
    }

    /// The text before the earliest occurrence of any stop sequence, and that sequence.
    /// Matching is by Unicode scalars, which for valid UTF-8 is matching bytes: a needle
    /// starts with a lead byte, so a byte match always starts on a scalar boundary.
    static func earliestStop(in text: String, _ sequences: [String]) -> (String, String)? {
        guard sequences.contains(where: { !$0.isEmpty }) else { return nil }
        return UTF8Text.withBytes(text) { hay -> (String, String)? in
            var best: (Int, String)?
            for seq in sequences where !seq.isEmpty {
                let limit = best?.0 ?? hay.count
                let found: Int? = UTF8Text.withBytes(seq) { needle in
                    let m = needle.count
                    guard m <= hay.count else { return nil }
                    var i = 0
                    // Later sequences win only when they start strictly earlier.
                    while i + m <= hay.count, i < limit {
                        if hay[i] == needle[0] {
                            var j = 1
                            while j < m, hay[i + j] == needle[j] { j += 1 }
                            if j == m { return i }
                        }
                        i += 1
                    }
                    return nil
                }
                if let f = found { best = (f, seq) }
            }
            guard let (pos, seq) = best else { return nil }
            return (String(decoding: UnsafeBufferPointer(rebasing: hay[0..<pos]), as: UTF8.self), seq)
        }
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
        if let fast = asciiKeywords(prompt, limit: limit) { return fast }
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

    /// `keywords` on bytes while the prompt is ASCII (every ASCII scalar is then its own
    /// Character, except CR LF, which is neither letter nor number either way). Returns nil at
    /// the first non-ASCII byte, before the answer could depend on it.
    static func asciiKeywords(_ prompt: String, limit: Int) -> [String]? {
        UTF8Text.withBytes(prompt) { p -> [String]? in
            var out: [String] = []
            var outLower: [String] = []   // the lowercase form of each keyword kept, for the duplicate check
            out.reserveCapacity(limit); outLower.reserveCapacity(limit)
            var start = 0
            // Words made only of ASCII letters and digits; lowercased straight into the String (a short word is
            // then a small string, with no allocation at all).
            func flush(_ end: Int) {
                let n = end - start
                guard n >= 4 else { return }
                var restIsLower = true
                let lower = String(unsafeUninitializedCapacity: n) { buf in
                    for k in 0..<n {
                        var b = p[start + k]
                        if b >= 0x41 && b <= 0x5A { b |= 0x20; if k > 0 { restIsLower = false } }
                        buf[k] = b
                    }
                    return n
                }
                guard !stopWords.contains(lower), !outLower.contains(lower) else { return }
                outLower.append(lower)
                out.append(restIsLower ? lower : String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self))
            }
            var i = 0
            while i < p.count {
                let b = p[i]
                if b >= 0x80 { return nil }
                let isWordByte = (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
                if !isWordByte {
                    flush(i)
                    start = i + 1
                    if out.count >= limit { return out }
                }
                i += 1
            }
            flush(p.count)
            return Array(out.prefix(limit))
        }
    }

    static func naturalText(promptKey: String, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        var keys = keywords(promptKey)
        if keys.isEmpty { keys = ["this topic"] }
        // The sentences are written one after another into one buffer, separated by a space (what joining them
        // gave), without a String per sentence.
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        var sentences: [Range<Int>] = []   // where each sentence is in `out`
        sentences.reserveCapacity(8)       // opener, 2-5 bodies, closer: one allocation, not four as it grows
        let vocabulary = Vocabulary.shared
        func write(_ template: [Vocabulary.Piece], key: String) {
            if !sentences.isEmpty { out.append(0x20) }   // joined by single spaces
            let start = out.count
            vocabulary.fill(template, key: key, &g, into: &out)
            sentences.append(start..<out.count)
        }
        write(g.pick(vocabulary.openers), key: keys[0])
        let bodyCount = 2 + g.below(4)
        for j in 0..<bodyCount { write(g.pick(vocabulary.bodies), key: keys[(j + 1) % keys.count]) }
        // A prompt that asks for a length ("in 500 tokens", "about 300 words") gets that many tokens of body
        // sentences before the closer (capped at 8,192), as a real model would write longer; other prompts are
        // unchanged. The max-token cap still applies afterwards. Each sentence is counted on its own, as before.
        if let wanted = requestedLength(promptKey) {
            var total = sentences.reduce(0) { $0 + TokenCounter.count(out, $1) }
            var j = bodyCount
            while total < wanted {
                write(g.pick(vocabulary.bodies), key: keys[(j + 1) % keys.count])
                total += TokenCounter.count(out, sentences[sentences.count - 1])
                j += 1
            }
        }
        write(g.pick(vocabulary.closers), key: keys.count > 1 ? keys[0] + " and " + keys[1] : keys[0])
        return String(decoding: out, as: UTF8.self)
    }

    /// "N tokens" or "N words" in the prompt (N from 1 to 8,192), the first one found.
    static func requestedLength(_ prompt: String) -> Int? {
        if let answer = UTF8Text.withBytes(prompt, { asciiRequestedLength($0) }) { return answer }
        return unicodeRequestedLength(prompt)
    }

    /// The definition: words are runs of letters and numbers (Unicode properties).
    static func unicodeRequestedLength(_ prompt: String) -> Int? {
        let words = prompt.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        for (i, w) in words.enumerated() where i + 1 < words.count {
            guard let n = Int(w), n >= 1, n <= 8192 else { continue }
            let unit = words[i + 1]
            if unit == "tokens" || unit == "token" || unit == "words" || unit == "word" { return n }
        }
        return nil
    }

    /// `requestedLength` over an ASCII prompt without Character/Unicode-property work (the hot path of every text
    /// invocation); `.none` when the prompt is not ASCII, so the general path decides.
    static func asciiRequestedLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int?? {
        @inline(__always) func isAlnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || ((b | 0x20) >= 97 && (b | 0x20) <= 122) }
        var i = 0
        let n = bytes.count
        var pending: Int?   // the number of the previous word, when it was one in range
        while i < n {
            if pending == nil {
                // Only a word of digits can start the phrase: skip, eight bytes a step, to the next digit (or
                // non-ASCII byte), then back to the start of its word. The words skipped hold no digit, so each
                // would have left `pending` nil.
                let d = SWAR.firstDigitOrHigh(bytes, from: i)
                if d == n { return .some(nil) }
                if bytes[d] >= 0x80 { return .none }
                var w = d
                while w > i, isAlnum(bytes[w - 1]) { w -= 1 }
                i = w
            }
            let b = bytes[i]
            if b >= 0x80 { return .none }
            guard isAlnum(b) else { i += 1; continue }
            let start = i
            var allDigits = true
            while i < n, isAlnum(bytes[i]) { if bytes[i] > 57 { allDigits = false }; i += 1 }
            if i < n, bytes[i] >= 0x80 { return .none }
            let len = i - start
            if let number = pending {
                // "token", "tokens", "word", "words", case-insensitively.
                func word(_ w: StaticString) -> Bool {
                    guard w.utf8CodeUnitCount == len else { return false }
                    for k in 0..<len where bytes[start + k] | 0x20 != w.utf8Start[k] { return false }
                    return true
                }
                if word("tokens") || word("token") || word("words") || word("word") {
                    // Finish the ASCII check so a non-ASCII prompt still takes the general path.
                    for j in i..<n where bytes[j] >= 0x80 { return .none }
                    return .some(number)
                }
            }
            pending = nil
            if allDigits {
                var v = 0
                for k in start..<i { v = v * 10 + Int(bytes[k] - 48); if v > 8192 { break } }
                if v >= 1 && v <= 8192 { pending = v }
            }
        }
        return .some(nil)
    }

    /// The slots of a template (`{NAME}`).
    enum Slot { case kc, k, n2, n, a2, a, v3b, v3, v, d, p, unknown }

    /// The vocabulary and the compiled templates as byte ranges of one buffer, fetched once per generation: a
    /// sentence is then appended range by range, with no String, no reference count and no lazy-global check per
    /// word (this runs for every text invocation).
    struct Vocabulary {
        enum Piece { case text(Range<Int>), slot(Slot) }
        private(set) var bytes: [UInt8] = []
        private(set) var nouns: [Range<Int>] = [], adjectives: [Range<Int>] = [], verbs: [Range<Int>] = []
        private(set) var adverbs: [Range<Int>] = [], prepositions: [Range<Int>] = []
        private(set) var openers: [[Piece]] = [], bodies: [[Piece]] = [], closers: [[Piece]] = []

        init() {
            func add(_ s: String) -> Range<Int> { let start = bytes.count; bytes.append(contentsOf: s.utf8); return start..<bytes.count }
            nouns = TextGenerator.nouns.map(add); adjectives = TextGenerator.adjectives.map(add)
            verbs = TextGenerator.verbs.map(add); adverbs = TextGenerator.adverbs.map(add)
            prepositions = TextGenerator.prepositions.map(add)
            /// A template split once into literal text and `{NAME}` slots: "{" opens a name, "}" closes an open one.
            func pieces(_ template: String) -> [Piece] {
                var out: [Piece] = []
                var literal = ""
                var name: String?
                for ch in template {
                    if ch == "{" { name = ""; continue }
                    if ch == "}", let n = name {
                        if !literal.isEmpty { out.append(.text(add(literal))); literal = "" }
                        let slots: [String: Slot] = ["KC": .kc, "K": .k, "N2": .n2, "N": .n, "A2": .a2, "A": .a, "V3b": .v3b, "V3": .v3, "V": .v, "D": .d, "P": .p]
                        out.append(.slot(slots[n] ?? .unknown))
                        name = nil
                        continue
                    }
                    if name != nil { name?.append(ch) } else { literal.append(ch) }
                }
                if !literal.isEmpty { out.append(.text(add(literal))) }
                return out
            }
            openers = TextGenerator.openers.map(pieces); bodies = TextGenerator.bodies.map(pieces)
            closers = TextGenerator.closers.map(pieces)
        }

        static let shared = Vocabulary()

        /// The sentence of `template` appended to `out` as UTF-8.
        func fill(_ template: [Piece], key: String, _ g: inout SeededGenerator, into out: inout [UInt8]) {
            // Draw order is part of the output contract: n1, n2, a1, a2, v, v3b, adverb, preposition; a second
            // noun (adjective) equal to the first is replaced by the next one in the list.
            let n1 = g.below(nouns.count)
            var n2 = g.below(nouns.count)
            if n2 == n1 { n2 = (n1 + 1) % nouns.count }
            let a1 = g.below(adjectives.count)
            var a2 = g.below(adjectives.count)
            if a2 == a1 { a2 = (a1 + 1) % adjectives.count }
            let v = verbs[g.below(verbs.count)]
            let v3b = verbs[g.below(verbs.count)]
            let adverb = adverbs[g.below(adverbs.count)]
            let p = prepositions[g.below(prepositions.count)]
            let noun1 = nouns[n1], noun2 = nouns[n2], adjective1 = adjectives[a1], adjective2 = adjectives[a2]
            out.reserveCapacity(out.count + 96 + 2 * key.utf8.count)
            bytes.withUnsafeBufferPointer { b in
                func put(_ r: Range<Int>) { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[r])) }
                for piece in template {
                    switch piece {
                    case .text(let r): put(r)
                    case .slot(let s):
                        switch s {
                        case .kc: out.append(contentsOf: TextGenerator.capitalized(key).utf8)
                        case .k: ASCII.append(key, to: &out)
                        case .n2: put(noun2)
                        case .n: put(noun1)
                        case .a2: put(adjective2)
                        case .a: put(adjective1)
                        case .v3b: put(v3b); out.append(UInt8(ascii: "s"))
                        case .v3: put(v); out.append(UInt8(ascii: "s"))
                        case .v: put(v)
                        case .d: put(adverb)
                        case .p: put(p)
                        case .unknown: break
                        }
                    }
                }
            }
        }
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
