import FoundationEssentials

/// Qualifiers of an ApplyGuardrail text block.
public enum GuardrailContentQualifier: String, Sendable, CaseIterable {
    case groundingSource = "grounding_source", query = "query", guardContent = "guard_content"
}

/// One ApplyGuardrail content block (text only; image blocks are not simulated).
public struct GuardrailContentBlock: Sendable, Equatable {
    public var text: String
    public var qualifiers: [GuardrailContentQualifier]
    public init(text: String, qualifiers: [GuardrailContentQualifier] = []) {
        self.text = text
        self.qualifiers = qualifiers
    }
}

/// A user regex compiled once per engine (Swift `Regex`, so no Foundation/ICU is needed). `Regex<AnyRegexOutput>` is
/// not declared Sendable only because AnyRegexOutput is not; the regex is an immutable value whose compiled program
/// is built once (forced in `init`, before the engine is shared) and is only read while matching.
struct CompiledRegex: @unchecked Sendable {
    let config: GuardrailRegexConfig
    let regex: Regex<AnyRegexOutput>?
    /// UTF-8 bytes every match starts with (empty when unknown): a text without them cannot match.
    let requiredPrefix: [UInt8]

    init(config: GuardrailRegexConfig) {
        self.config = config
        regex = try? UserRegex.compile(config.pattern)
        if let regex { _ = "".firstMatch(of: regex) }   // builds the matching program now
        requiredPrefix = UserRegex.literalPrefix(config.pattern)
    }
}

/// Custom regexes (sensitiveInformationPolicyConfig.regexesConfig) with Swift's `Regex` instead of ICU's
/// (NSRegularExpression, which needs full Foundation). Matching stays on grapheme clusters, Swift's default: the
/// engine only ever reported ICU matches that fall on character boundaries, and Swift's scalar-level matching
/// mishandles digits at simple word boundaries. \b uses ICU's default "simple" word boundaries (\w to \W).
enum UserRegex {
    static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try Regex(pattern).wordBoundaryKind(.simple)
    }

    /// The pattern's leading run of plain literal ASCII characters that every match must start with, as bytes.
    /// Conservative: none when the pattern has an alternation anywhere, and a literal followed by a quantifier is
    /// not counted. Only characters with no canonically equivalent other character are used (not K, ';' or '`').
    /// This lets the engine skip the regex for texts that cannot match, as ICU does with its required start string.
    static func literalPrefix(_ pattern: String) -> [UInt8] {
        let p = Array(pattern.utf8)
        guard !p.contains(UInt8(ascii: "|")) else { return [] }
        func plain(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c != UInt8(ascii: "K")
            default: return "-_:/@=,!%&~<>\"'".utf8.contains(c)
            }
        }
        var n = 0
        while n < p.count, plain(p[n]) { n += 1 }
        if n < p.count, "?*+{".utf8.contains(p[n]) { n -= 1 }
        return n > 0 ? Array(p[..<n]) : []
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` (non-empty) occurs in the array.
    func containsBytes(_ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= count else { return needle.isEmpty }
        var i = 0
        let last = count - needle.count
        while i <= last {
            if self[i] == first {
                var k = 1
                while k < needle.count, self[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// Tables shared by every engine in the process (built once from the bundled data).
enum SharedTables {
    static let stopwords: HashTable64<Bool> = {
        var t = HashTable64<Bool>(capacity: 256)
        for w in GuardrailData.shared.stopwords { t.set(TokenHash.lowercased(w.utf8), true) }
        return t
    }()
    static let content = ContentClassifier(lexicon: GuardrailData.shared.content)
    static let profanity: (matcher: PhraseMatcher, words: [String]) = {
        var m = PhraseMatcher()
        let words = GuardrailData.shared.profanity
        for (i, w) in words.enumerated() { m.add(w, id: i) }
        return (m, words)
    }()
    static let scanner = PIIScanner()
}

/// Evaluates a guardrail configuration the way ApplyGuardrail does. All lexicons, phrase tables
/// and user regexes are compiled in `init`; `assess` is then a pure function of its input
/// (apart from the measured `guardrailProcessingLatency`) and safe to call from any thread.
public struct GuardrailEngine: Sendable {
    public let configuration: GuardrailConfiguration
    private let customWords: PhraseMatcher
    private let topics: TopicMatcher
    private let regexes: [CompiledRegex]
    private let grounding: GroundingScorer

    public init(configuration: GuardrailConfiguration) {
        self.configuration = configuration
        var cw = PhraseMatcher()
        for (i, w) in configuration.words.enumerated() { cw.add(w.text, id: i) }
        customWords = cw
        topics = TopicMatcher(topics: configuration.topics, stopwords: SharedTables.stopwords)
        regexes = configuration.regexes.map { CompiledRegex(config: $0) }
        grounding = GroundingScorer(stopwords: SharedTables.stopwords)
        _ = SharedTables.content.levels  // force the shared tables now, not on the first request
        _ = SharedTables.scanner
        _ = SharedTables.profanity
    }

    /// Content-filter explanation for `text`: every category with matched terms, the best sentence
    /// score, the resulting confidence and the terms that produced it.
    public static func explainContent(_ text: String) -> [GuardrailContentFilterExplanation] {
        let bytes = Array(text.utf8)
        let toks = bytes.withBytes { Tokenizer.tokenize($0) }
        return SharedTables.content.classify(toks, explain: true).explanations
    }

    /// Confidence per content category for `text` (all six categories).
    public static func contentConfidence(_ text: String) -> [GuardrailContentFilterType: GuardrailContentFilterConfidence] {
        let bytes = Array(text.utf8)
        let toks = bytes.withBytes { Tokenizer.tokenize($0) }
        let conf = SharedTables.content.classify(toks).confidence
        var out: [GuardrailContentFilterType: GuardrailContentFilterConfidence] = [:]
        for (i, t) in ContentClassifier.categories.enumerated() { out[t] = conf[i] }
        return out
    }

    /// Built-in PII detections in `text` (all 31 types, regardless of configuration).
    public static func detectPII(_ text: String) -> [(type: GuardrailPiiEntityType, match: String)] {
        let bytes = Array(text.utf8)
        return SharedTables.scanner.scan(text).map { ($0.type, String(decoding: bytes[$0.start..<$0.end], as: UTF8.self)) }
    }

    /// Whether a filter of `strength` acts on a classification of `confidence`:
    /// LOW blocks HIGH, MEDIUM blocks MEDIUM and HIGH, HIGH blocks LOW, MEDIUM and HIGH.
    public static func strength(_ strength: GuardrailFilterStrength, blocks confidence: GuardrailContentFilterConfidence) -> Bool {
        strength != .none && confidence != .none && confidence.rank >= 4 - strength.rank
    }

    private static func units(_ chars: Int) -> Int { (chars + 999) / 1000 }

    // MARK: assess

    /// Applies the guardrail to `content` from `source`, producing the ApplyGuardrail response.
    public func assess(source: GuardrailContentSource, content: [GuardrailContentBlock],
                       outputScope: GuardrailOutputScope = .interventions) -> ApplyGuardrailResult {
        let clock = ContinuousClock()
        let started = clock.now
        let cfg = configuration
        let full = outputScope == .full

        // Which blocks are assessed: tagged guard_content blocks when any exist, otherwise every
        // block that is not grounding source or query.
        let tagged = content.contains { $0.qualifiers.contains(.guardContent) }
        let assessed = content.filter { b in
            tagged ? b.qualifiers.contains(.guardContent)
                : !b.qualifiers.contains(.groundingSource) && !b.qualifiers.contains(.query)
        }
        let sources = content.filter { $0.qualifiers.contains(.groundingSource) }.map(\.text)
        let queries = content.filter { $0.qualifiers.contains(.query) }.map(\.text)

        // Entries active for this source.
        let contentFilters = cfg.contentFilters.compactMap { f -> (GuardrailContentFilterConfig, GuardrailBlockAction)? in
            guard let a = f.directions.action(for: source), f.strength(for: source) != .none else { return nil }
            if f.type == .promptAttack, source == .output { return nil }  // prompt attacks are an input-only filter
            return (f, a)
        }
        let topicActions = cfg.topics.map { $0.directions.action(for: source) }
        let wordActions = cfg.words.map { $0.directions.action(for: source) }
        let profanityAction = cfg.managedWordLists.compactMap { $0.directions.action(for: source) }.first
        var piiActions = [GuardrailSensitiveInformationAction?](repeating: nil, count: GuardrailPiiEntityType.allCases.count)
        for e in cfg.piiEntities { piiActions[e.type.index] = e.directions.action(for: source) }
        let piiActive = piiActions.contains { $0 != nil }
        let regexActions = regexes.map { $0.config.directions.action(for: source) }
        let groundingFilters = cfg.groundingFilters.filter(\.enabled)

        let groundingActive = !groundingFilters.isEmpty && !sources.isEmpty && !queries.isEmpty && !assessed.isEmpty
        let needTokens = !contentFilters.isEmpty || topicActions.contains { $0 != nil } || wordActions.contains { $0 != nil }
            || profanityAction != nil || groundingActive
        var responseTokens: [(bytes: [UInt8], tokens: [Token])] = []

        var confidence = [GuardrailContentFilterConfidence](repeating: .none, count: ContentClassifier.categories.count)
        var topicDetected = [Bool](repeating: false, count: cfg.topics.count)
        var customHits: [(match: String, id: Int)] = []
        var profanityHits: [String] = []
        var piiEntries: [GuardrailPiiEntityFilter] = []
        var regexEntries: [GuardrailRegexFilter] = []
        var outputs: [String] = []
        var blocked = false
        var anonymized = false

        for block in assessed {
            let bytes = Array(block.text.utf8)
            var spans: [(start: Int, end: Int, label: String)] = []
            bytes.withBytes { p in
                if needTokens {
                    let toks = Tokenizer.tokenize(p)
                    if groundingActive { responseTokens.append((bytes, toks)) }
                    if !contentFilters.isEmpty {
                        let c = SharedTables.content.classify(toks).confidence
                        for k in c.indices where c[k] > confidence[k] { confidence[k] = c[k] }
                    }
                    if topicActions.contains(where: { $0 != nil }) {
                        for (k, r) in topics.assess(p, toks).enumerated() where r.detected && topicActions[k] != nil { topicDetected[k] = true }
                    }
                    toks.withUnsafeBufferPointer { tp in
                        if !customWords.isEmpty {
                            customWords.scan(tp, 0..<toks.count) { a, b, ids in
                                let m = String(decoding: p[Int(toks[a].start)..<Int(toks[b - 1].end)], as: UTF8.self)
                                for id in ids where wordActions[Int(id)] != nil { customHits.append((m, Int(id))) }
                            }
                        }
                        if profanityAction != nil {
                            SharedTables.profanity.matcher.scan(tp, 0..<toks.count) { a, b, _ in
                                profanityHits.append(String(decoding: p[Int(toks[a].start)..<Int(toks[b - 1].end)], as: UTF8.self))
                            }
                        }
                    }
                }
                if piiActive {
                    for m in SharedTables.scanner.scan(p) {
                        guard let a = piiActions[m.type.index] else { continue }
                        let text = String(decoding: p[m.start..<m.end], as: UTF8.self)
                        switch a {
                        case .block: blocked = true; piiEntries.append(.init(match: text, type: m.type.rawValue, action: .blocked, detected: true))
                        case .anonymize:
                            anonymized = true
                            spans.append((m.start, m.end, "{\(m.type.rawValue)}"))
                            piiEntries.append(.init(match: text, type: m.type.rawValue, action: .anonymized, detected: true))
                        case .none: piiEntries.append(.init(match: text, type: m.type.rawValue, action: .none, detected: true))
                        }
                    }
                }
            }
            for (k, r) in regexes.enumerated() {
                guard let a = regexActions[k], let re = r.regex else { continue }
                if !r.requiredPrefix.isEmpty && !bytes.containsBytes(r.requiredPrefix) { continue }
                let s = block.text
                for m in s.matches(of: re) {
                    let rr = m.range
                    // As before with NSRegularExpression: empty matches and matches that split a character are skipped.
                    guard !rr.isEmpty, rr.lowerBound.samePosition(in: s) != nil, rr.upperBound.samePosition(in: s) != nil else { continue }
                    let match = String(s[rr])
                    let b0 = s.utf8.distance(from: s.startIndex, to: rr.lowerBound)
                    let b1 = s.utf8.distance(from: s.startIndex, to: rr.upperBound)
                    switch a {
                    case .block: blocked = true; regexEntries.append(.init(name: r.config.name, match: match, regex: r.config.pattern, action: .blocked, detected: true))
                    case .anonymize:
                        anonymized = true
                        spans.append((b0, b1, "{\(r.config.name)}"))
                        regexEntries.append(.init(name: r.config.name, match: match, regex: r.config.pattern, action: .anonymized, detected: true))
                    case .none: regexEntries.append(.init(name: r.config.name, match: match, regex: r.config.pattern, action: .none, detected: true))
                    }
                }
            }
            outputs.append(Self.mask(bytes, spans))
        }

        var assessment = GuardrailAssessment()
        var usage = GuardrailUsage()
        let assessedUnits = assessed.reduce(0) { $0 + Self.units($1.text.utf16.count) }

        // Content filters.
        if !contentFilters.isEmpty {
            usage.contentPolicyUnits = assessedUnits
            var filters: [GuardrailContentFilter] = []
            for (f, a) in contentFilters {
                let conf = confidence[ContentClassifier.categories.firstIndex(of: f.type) ?? 0]
                let strength = f.strength(for: source)
                let detected = Self.strength(strength, blocks: conf)
                if detected && a == .block { blocked = true }
                if detected || full {
                    filters.append(.init(type: f.type.rawValue, confidence: conf.rawValue, filterStrength: strength.rawValue,
                                         action: detected && a == .block ? .blocked : .none, detected: detected))
                }
            }
            if !filters.isEmpty { assessment.contentPolicy = .init(filters: filters) }
        }

        // Denied topics.
        if topicActions.contains(where: { $0 != nil }) {
            usage.topicPolicyUnits = assessedUnits
            var list: [GuardrailTopic] = []
            for (k, t) in cfg.topics.enumerated() {
                guard let a = topicActions[k] else { continue }
                let det = topicDetected[k]
                if det && a == .block { blocked = true }
                if det || full { list.append(.init(name: t.name, action: det && a == .block ? .blocked : .none, detected: det)) }
            }
            if !list.isEmpty { assessment.topicPolicy = .init(topics: list) }
        }

        // Words (FULL scope does not add non-detected words, as documented for ApplyGuardrail).
        if wordActions.contains(where: { $0 != nil }) || profanityAction != nil {
            usage.wordPolicyUnits = assessedUnits
            var custom: [GuardrailCustomWord] = []
            var seen = Set<String>()
            for h in customHits where seen.insert(h.match.lowercased()).inserted {
                let a = wordActions[h.id] ?? .none
                if a == .block { blocked = true }
                custom.append(.init(match: h.match, action: a == .block ? .blocked : .none, detected: true))
            }
            var managed: [GuardrailManagedWord] = []
            seen.removeAll()
            if let a = profanityAction {
                for m in profanityHits where seen.insert(m.lowercased()).inserted {
                    if a == .block { blocked = true }
                    managed.append(.init(match: m, action: a == .block ? .blocked : .none, detected: true))
                }
            }
            if !custom.isEmpty || !managed.isEmpty { assessment.wordPolicy = .init(customWords: custom, managedWordLists: managed) }
        }

        // Sensitive information.
        if piiActive || regexActions.contains(where: { $0 != nil }) {
            if piiActive { usage.sensitiveInformationPolicyUnits = assessedUnits }
            if regexActions.contains(where: { $0 != nil }) { usage.sensitiveInformationPolicyFreeUnits = assessedUnits }
            if full {
                let found = Set(piiEntries.map(\.type))
                for e in cfg.piiEntities where piiActions[e.type.index] != nil && !found.contains(e.type.rawValue) {
                    piiEntries.append(.init(match: "", type: e.type.rawValue, action: .none, detected: false))
                }
            }
            if !piiEntries.isEmpty || !regexEntries.isEmpty {
                assessment.sensitiveInformationPolicy = .init(piiEntities: piiEntries, regexes: regexEntries)
            }
        }

        // Contextual grounding: needs a grounding source, a query and something to assess.
        var groundingChars = 0
        if groundingActive {
            groundingChars = (sources + queries).reduce(0) { $0 + $1.utf16.count }
            usage.contextualGroundingPolicyUnits = assessedUnits + (sources + queries).reduce(0) { $0 + Self.units($1.utf16.count) }
            let s = grounding.scores(sources: sources, queries: queries, response: responseTokens)
            var list: [GuardrailContextualGroundingFilter] = []
            for f in groundingFilters {
                let score = f.type == .grounding ? s.grounding : s.relevance
                let det = score < f.threshold
                if det && f.action == .block { blocked = true }
                if det || full {
                    list.append(.init(type: f.type.rawValue, threshold: f.threshold, score: score,
                                      action: det && f.action == .block ? .blocked : .none, detected: det))
                }
            }
            if !list.isEmpty { assessment.contextualGroundingPolicy = .init(filters: list) }
        }

        let total = content.reduce(0) { $0 + $1.text.utf16.count }
        let guarded = min(total, assessed.reduce(0) { $0 + $1.text.utf16.count } + groundingChars)
        let coverage = GuardrailCoverage(textCharacters: .init(guarded: guarded, total: total))
        let elapsed = clock.now - started
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        assessment.invocationMetrics = .init(guardrailProcessingLatency: ms, usage: usage, guardrailCoverage: coverage)

        let action: GuardrailAction = blocked || anonymized ? .guardrailIntervened : .none
        let reason = blocked ? "Guardrail blocked." : anonymized ? "Guardrail masked." : "No action."
        let outs: [GuardrailOutputContent]
        if blocked {
            outs = [.init(text: source == .input ? cfg.blockedInputMessaging : cfg.blockedOutputsMessaging)]
        } else if anonymized {
            outs = outputs.map { .init(text: $0) }
        } else {
            outs = []
        }
        return ApplyGuardrailResult(usage: usage, action: action, actionReason: reason, outputs: outs,
                                    assessments: [assessment], guardrailCoverage: coverage)
    }

    /// Replaces byte spans with their labels; earlier and longer spans win over overlapping ones.
    static func mask(_ bytes: [UInt8], _ spans: [(start: Int, end: Int, label: String)]) -> String {
        guard !spans.isEmpty else { return String(decoding: bytes, as: UTF8.self) }
        let sorted = spans.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pos = 0
        for s in sorted where s.start >= pos {
            out.append(contentsOf: bytes[pos..<s.start])
            out.append(contentsOf: Array(s.label.utf8))
            pos = s.end
        }
        out.append(contentsOf: bytes[pos...])
        return String(decoding: out, as: UTF8.self)
    }
}
