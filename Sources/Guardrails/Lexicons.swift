// Token-sequence lexicon matching shared by content filters, word filters and profanity, plus the
// denied-topic similarity. All matching is whole-token and case-insensitive: "Scunthorpe",
// "class" and "assessment" are single tokens and never match the shorter words inside them.

/// Matches phrases (sequences of whole tokens) in one left-to-right pass. A phrase hash chains the
/// lowercase token hashes; a separate table of proper prefixes lets the scan stop after one lookup
/// for almost every token.
struct PhraseMatcher: Sendable {
    private var phrases = HashTable64<[Int32]>()
    private var prefixes = HashTable64<Bool>()
    private(set) var maxLength = 0

    /// Tokenizes `text` like runtime text and registers it under `id`. Returns false when the text has no word.
    @discardableResult
    mutating func add(_ text: String, id: Int) -> Bool {
        let bytes = Array(text.utf8)
        let toks = bytes.withBytes { Tokenizer.tokenize($0) }
        guard let first = toks.first else { return false }
        var h = first.hash
        for k in 1..<toks.count {
            prefixes.set(h, true)
            h = TokenHash.combine(h, toks[k].hash)
        }
        phrases.update(h, initial: []) { $0.append(Int32(id)) }
        maxLength = max(maxLength, toks.count)
        return true
    }

    var isEmpty: Bool { phrases.count == 0 }

    /// Calls `body(firstToken, endToken, ids)` for every phrase occurrence inside `range`.
    @inline(__always)
    func scan(_ tokens: UnsafeBufferPointer<Token>, _ range: Range<Int>, _ body: (Int, Int, [Int32]) -> Void) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            var h = tokens[i].hash
            var k = 1
            while true {
                if let ids = phrases.get(h) { body(i, i + k, ids) }
                if k >= maxLength || i + k >= end || !prefixes.contains(h) { break }
                h = TokenHash.combine(h, tokens[i + k].hash)
                k += 1
            }
            i += 1
        }
    }
}

/// Why a content filter reached its confidence: the terms that matched and their weights.
public struct GuardrailContentFilterExplanation: Sendable, Equatable, CustomStringConvertible {
    public var type: GuardrailContentFilterType
    public var confidence: GuardrailContentFilterConfidence
    /// Highest sentence score for this category.
    public var score: Double
    /// Matched lexicon entries (lowercase) with their weights, in order of first appearance.
    public var matches: [(term: String, weight: Double)]
    public static func == (a: Self, b: Self) -> Bool {
        a.type == b.type && a.confidence == b.confidence && a.score == b.score
            && a.matches.map(\.term) == b.matches.map(\.term)
    }
    public var description: String {
        "\(type.rawValue) \(confidence.rawValue) score=\(score) [" + matches.map { "\($0.term)=\($0.weight)" }.joined(separator: ", ") + "]"
    }
}

/// Deterministic lexicon classifier for the six content-filter categories (data: Data/content-filters.json).
/// A sentence's score per category is the sum of the weights of the distinct entries it contains;
/// score >= levels.HIGH gives HIGH confidence, >= MEDIUM gives MEDIUM, >= LOW gives LOW.
/// A text's confidence per category is that of its highest-scoring sentence.
struct ContentClassifier: Sendable {
    private var matcher = PhraseMatcher()
    private var entries: [(category: Int, weight: Double, term: String)] = []
    let levels: (low: Double, medium: Double, high: Double)
    static let categories = GuardrailContentFilterType.allCases

    init(lexicon: ContentLexicon) {
        levels = lexicon.levels
        for (ci, cat) in Self.categories.enumerated() {
            for (term, w) in lexicon.categories[cat] ?? [] {
                entries.append((ci, w, term))
                matcher.add(term, id: entries.count - 1)
            }
        }
    }

    func level(_ score: Double) -> GuardrailContentFilterConfidence {
        if score >= levels.high { return .high }
        if score >= levels.medium { return .medium }
        if score >= levels.low { return .low }
        return .none
    }

    /// Confidence per category (indexed like `GuardrailContentFilterType.allCases`), with explanations when asked.
    func classify(_ tokens: [Token], explain: Bool = false) -> (confidence: [GuardrailContentFilterConfidence], explanations: [GuardrailContentFilterExplanation]) {
        let nc = Self.categories.count
        var best = [Double](repeating: 0, count: nc)
        var sentence = [Double](repeating: 0, count: nc)
        var seen: [Int32] = []
        var explained: [[Int]] = Array(repeating: [], count: nc)
        tokens.withUnsafeBufferPointer { tp in
            for r in Tokenizer.sentences(tokens) {
                for c in 0..<nc { sentence[c] = 0 }
                seen.removeAll(keepingCapacity: true)
                matcher.scan(tp, r) { _, _, ids in
                    for id in ids where !seen.contains(id) {
                        seen.append(id)
                        let e = entries[Int(id)]
                        sentence[e.category] += e.weight
                        if explain, !explained[e.category].contains(Int(id)) { explained[e.category].append(Int(id)) }
                    }
                }
                for c in 0..<nc where sentence[c] > best[c] { best[c] = sentence[c] }
            }
        }
        let conf = best.map(level)
        var ex: [GuardrailContentFilterExplanation] = []
        if explain {
            for (c, cat) in Self.categories.enumerated() where !explained[c].isEmpty {
                ex.append(GuardrailContentFilterExplanation(
                    type: cat, confidence: conf[c], score: best[c],
                    matches: explained[c].map { (entries[$0].term, entries[$0].weight) }))
            }
        }
        return (conf, ex)
    }
}

/// Denied-topic similarity.
///
/// Each topic becomes a weighted bag of stemmed content words: words of its name and examples
/// weigh 1.0, words of its definition 0.5 (stopwords dropped; a word keeps its highest weight).
/// Every sentence of the text is scored against every topic as
///
///     score = (sum of the topic weights of the sentence's content words) / (number of content words)
///
/// and the topic is detected when, for some sentence, `score >= TopicMatcher.threshold` (0.5) and the
/// sentence shares at least one name/example word with the topic or its matched weight reaches 1.5.
/// The ratio rewards short on-topic questions ("Where should I invest my money?") and dilutes
/// passing mentions in long off-topic sentences; the second condition stops a sentence from being
/// denied on generic definition words alone.
struct TopicMatcher: Sendable {
    static let threshold = 0.5
    static let strongWeight = 1.0
    static let definitionWeight = 0.5
    static let minimumMatchedWeight = 1.5

    private var table = HashTable64<[(topic: Int32, weight: Float)]>()
    private let stopwords: HashTable64<Bool>
    let topicCount: Int

    init(topics: [GuardrailTopicConfig], stopwords: HashTable64<Bool>) {
        self.stopwords = stopwords
        topicCount = topics.count
        for (ti, t) in topics.enumerated() {
            var weights: [UInt64: Double] = [:]
            func addText(_ s: String, _ w: Double) {
                let bytes = Array(s.utf8)
                bytes.withBytes { p in
                    for tok in Tokenizer.tokenize(p) where tok.length >= 2 && !stopwords.contains(tok.hash) {
                        let st = Stemmer.stemHash(p, Int(tok.start), Int(tok.end))
                        weights[st] = max(weights[st] ?? 0, w)
                    }
                }
            }
            addText(t.definition, Self.definitionWeight)
            addText(String(String.UnicodeScalarView(t.name.unicodeScalars.map { $0 == "_" || $0 == "-" ? " " : $0 })), Self.strongWeight)
            for e in t.examples { addText(e, Self.strongWeight) }
            for (k, w) in weights.sorted(by: { $0.key < $1.key }) {
                table.update(k, initial: []) { $0.append((Int32(ti), Float(w))) }
            }
        }
    }

    /// Best sentence score per topic, and whether the topic is detected.
    func assess(_ p: UnsafeBufferPointer<UInt8>, _ tokens: [Token]) -> [(score: Double, detected: Bool)] {
        var result = [(score: Double, detected: Bool)](repeating: (0, false), count: topicCount)
        guard topicCount > 0 else { return result }
        var sum = [Double](repeating: 0, count: topicCount)
        var strong = [Bool](repeating: false, count: topicCount)
        var touched: [Int] = []
        for r in Tokenizer.sentences(tokens) {
            var content = 0
            touched.removeAll(keepingCapacity: true)
            for i in r {
                let t = tokens[i]
                if t.length < 2 || stopwords.contains(t.hash) { continue }
                content += 1
                guard let hits = table.get(Stemmer.stemHash(p, Int(t.start), Int(t.end))) else { continue }
                for h in hits {
                    let ti = Int(h.topic)
                    if sum[ti] == 0 { touched.append(ti) }
                    sum[ti] += Double(h.weight)
                    if Double(h.weight) >= Self.strongWeight { strong[ti] = true }
                }
            }
            for ti in touched {
                let score = content > 0 ? sum[ti] / Double(content) : 0
                let det = score >= Self.threshold && (strong[ti] || sum[ti] >= Self.minimumMatchedWeight)
                if score > result[ti].score { result[ti].score = score }
                if det { result[ti].detected = true }
                sum[ti] = 0
                strong[ti] = false
            }
        }
        return result
    }
}
