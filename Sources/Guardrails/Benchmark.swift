#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Throughput and recall of the built-in detectors on a seeded corpus (single thread).
/// Figures are printed, never asserted in tests.
public enum GuardrailBenchmark {
    public static let defaultSeed: UInt64 = 1234
    public static let defaultBytes = 10_000_000

    /// The seeded JSONL corpus (`{"text":…,"entities":[{"type","start","end"}]}` per line), byte-identical to
    /// `Scripts/gen-guardrail-corpus.py --seed SEED --bytes BYTES`. The CLI writes it for the Presidio script.
    public static func corpus(seed: UInt64 = defaultSeed, bytes: Int = defaultBytes) -> [UInt8] {
        CorpusGenerator.generate(seed: seed, targetBytes: bytes)
    }

    /// FNV-1a 64 of the corpus bytes, printed by both benchmarks to show they ran on the same corpus.
    public static func fingerprint(_ b: [UInt8]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for c in b { h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01B3 }
        return "fnv1a64:" + String(h, radix: 16)
    }

    struct Record { var text: [UInt8]; var entities: [(type: String, start: Int, end: Int)] }

    static func parse(_ corpus: [UInt8]) -> [Record] {
        var out: [Record] = []
        var start = 0
        for i in 0...corpus.count where i == corpus.count || corpus[i] == 0x0A {
            defer { start = i + 1 }
            guard i > start, case .object(let o)? = try? JSONParser.parse(Array(corpus[start..<i])),
                  case .string(let text)? = o["text"] else { continue }
            var ents: [(String, Int, Int)] = []
            if case .array(let a)? = o["entities"] {
                for e in a {
                    if case .object(let eo) = e, case .string(let t)? = eo["type"], case .number(let s)? = eo["start"], case .number(let en)? = eo["end"] {
                        ents.append((t, Int(s), Int(en)))
                    }
                }
            }
            out.append(Record(text: Array(text.utf8), entities: ents))
        }
        return out
    }

    /// The configuration used for the "full guardrail" figure: every policy type.
    static func fullConfiguration() -> GuardrailConfiguration {
        GuardrailConfiguration(
            name: "benchmark", blockedInputMessaging: "Blocked.", blockedOutputsMessaging: "Blocked.",
            topics: [
                GuardrailTopicConfig(name: "Investment advice", definition: "Recommendations about investing money, stocks, funds or other financial assets to generate returns.",
                                     examples: ["Where should I invest my money?", "Which stocks should I buy?", "Is crypto a good investment?"]),
                GuardrailTopicConfig(name: "Medical diagnosis", definition: "Diagnosing diseases or prescribing treatment or medication for symptoms.",
                                     examples: ["What illness do I have?", "Which medication should I take for my symptoms?"]),
                GuardrailTopicConfig(name: "Politics", definition: "Opinions on elections, political parties, candidates or government policy.",
                                     examples: ["Who should I vote for?", "Which party is better?"]),
            ],
            contentFilters: GuardrailContentFilterType.allCases.map {
                GuardrailContentFilterConfig(type: $0, inputStrength: .medium, outputStrength: $0 == .promptAttack ? .none : .medium)
            },
            words: ["competitor", "confidential", "project phoenix", "internal only", "acme corp"].map { GuardrailWordConfig(text: $0) },
            managedWordLists: [GuardrailManagedWordListConfig()],
            piiEntities: GuardrailPiiEntityType.allCases.map { GuardrailPiiEntityConfig(type: $0, action: .anonymize) },
            regexes: [GuardrailRegexConfig(name: "order_id", pattern: "ORD-[0-9]{6}", action: .anonymize)],
            groundingFilters: [GuardrailContextualGroundingFilterConfig(type: .grounding, threshold: 0.5, action: .none),
                               GuardrailContextualGroundingFilterConfig(type: .relevance, threshold: 0.5, action: .none)])
    }

    static func row(_ t: String, _ injected: Int, _ found: Int, _ extra: Int) -> String {
        let name = t.count >= 40 ? String(t.prefix(40)) : t + String(repeating: " ", count: 40 - t.count)
        let recall = injected > 0 ? cFormat("%5.3f", Double(found) / Double(injected)) : "  n/a"
        return "  \(name) \(recall)  (" + cFormat("%4ld/%4ld", found, injected) + ")  extra \(extra)"
    }

    /// printf-style formatting of numbers (%d, %f with width and precision) through the C library, so the report
    /// reads exactly as it did with Foundation's String(format:) without linking Foundation.
    static func cFormat(_ format: String, _ args: any CVarArg...) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let n = withVaList(args) { vsnprintf(&buffer, buffer.count, format, $0) }
        guard n >= 0 else { return format }
        if Int(n) >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(n) + 1)
            _ = withVaList(args) { vsnprintf(&buffer, buffer.count, format, $0) }
        }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// Runs the benchmark on `corpus` (JSONL as produced by `corpus()`), or on the default seeded corpus when nil.
    /// Returns the report; the format matches Scripts/guardrail-bench-presidio.py line for line.
    public static func run(corpus: [UInt8]?) -> String {
        let bytes = corpus ?? Self.corpus()
        let records = parse(bytes)
        let totalBytes = records.reduce(0) { $0 + $1.text.count }
        let injected = records.reduce(0) { $0 + $1.entities.count }
        let piiBytes = records.reduce(0) { $0 + $1.entities.reduce(0) { $0 + $1.end - $1.start } }
        let scanner = SharedTables.scanner
        let clock = ContinuousClock()
        var lines: [String] = []
        lines.append("engine         : bedrock-sim Guardrails (Swift, built-in detectors, single thread)")
        lines.append(cFormat("corpus         : %ld bytes, %ld texts, %ld injected values (%.2f%% of bytes), ",
                             totalBytes, records.count, injected, 100 * Double(piiBytes) / Double(max(1, totalBytes))) + fingerprint(bytes))

        // PII scan: best of three passes over every text.
        var detections: [[PIIMatch]] = []
        var best = Double.infinity
        for pass in 0..<3 {
            var found: [[PIIMatch]] = []
            found.reserveCapacity(records.count)
            let t0 = clock.now
            for r in records { found.append(r.text.withBytes { scanner.scan($0) }) }
            best = min(best, seconds(clock.now - t0))
            if pass == 0 { detections = found }
        }
        lines.append(cFormat("PII scan       : %.1f MB/s (%.3f s for %ld texts; 31 entity types; best of 3)",
                            Double(totalBytes) / 1e6 / best, best, records.count))

        // Full guardrail: ApplyGuardrail per text with every policy type, plus a short grounding source and query.
        let engine = GuardrailEngine(configuration: fullConfiguration())
        let groundingSource = GuardrailContentBlock(text: "The quarterly report covers the budget, the schedule and the customer review.", qualifiers: [.groundingSource])
        let query = GuardrailContentBlock(text: "What does the report cover?", qualifiers: [.query])
        var fullBest = Double.infinity
        var intervened = 0
        for pass in 0..<2 {
            let strings = records.map { String(decoding: $0.text, as: UTF8.self) }
            let t0 = clock.now
            var n = 0
            for s in strings {
                let r = engine.assess(source: .output, content: [groundingSource, query, GuardrailContentBlock(text: s)])
                if r.action == .guardrailIntervened { n += 1 }
            }
            fullBest = min(fullBest, seconds(clock.now - t0))
            if pass == 0 { intervened = n }
        }
        lines.append(cFormat("full guardrail : %.1f MB/s (%.3f s; 6 content filters, 3 topics, 5 words + profanity, 31 PII types, 1 regex, grounding; %ld of %ld texts intervened)",
                            Double(totalBytes) / 1e6 / fullBest, fullBest, intervened, records.count))

        // Recall against the injected ground truth: a value is found when a detection of the same type overlaps it.
        var truth: [String: Int] = [:], found: [String: Int] = [:], extra: [String: Int] = [:]
        for (r, dets) in zip(records, detections) {
            for e in r.entities {
                truth[e.type, default: 0] += 1
                if dets.contains(where: { $0.type.rawValue == e.type && $0.start < e.end && e.start < $0.end }) { found[e.type, default: 0] += 1 }
            }
            for d in dets where !r.entities.contains(where: { $0.type == d.type.rawValue && d.start < $0.end && $0.start < d.end }) {
                extra[d.type.rawValue, default: 0] += 1
            }
        }
        lines.append("recall by entity (found/injected; extra = detections that match no injected value of that type):")
        var allT = 0, allF = 0, allX = 0
        for t in GuardrailPiiEntityType.allCases.map(\.rawValue) {
            let tt = truth[t] ?? 0, ff = found[t] ?? 0, xx = extra[t] ?? 0
            allT += tt; allF += ff; allX += xx
            lines.append(row(t, tt, ff, xx))
        }
        lines.append(row("ALL", allT, allF, allX))
        return lines.joined(separator: "\n")
    }
}
