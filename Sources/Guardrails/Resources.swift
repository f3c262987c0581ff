import Foundation

// Bundled lexicons (Sources/Guardrails/Data, copied as a resource directory). They are loaded
// once per process into immutable tables; loading a bundled resource is the only I/O here.

struct ContentLexicon: Sendable {
    /// Confidence thresholds on a sentence score: LOW, MEDIUM, HIGH.
    var levels: (low: Double, medium: Double, high: Double)
    /// Per category: term or phrase (lowercase) -> weight.
    var categories: [GuardrailContentFilterType: [(String, Double)]]
}

/// Lexicon data shared by all engines in the process.
struct GuardrailData: Sendable {
    let content: ContentLexicon
    let profanity: [String]
    let firstNames: [String]
    let surnames: [String]
    let streetSuffixes: [String]
    let stopwords: [String]
    let topicReadme: String

    static let shared: GuardrailData = load()

    static func dataFile(_ name: String) -> [UInt8]? {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2,
              let url = Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Data")
                ?? Bundle.module.url(forResource: parts[0], withExtension: parts[1])
        else { return nil }
        return (try? Data(contentsOf: url)).map { [UInt8]($0) }
    }

    static func lines(_ name: String) -> [String] {
        guard let bytes = dataFile(name) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    private static func load() -> GuardrailData {
        var content = ContentLexicon(levels: (1.0, 2.0, 3.0), categories: [:])
        if let bytes = dataFile("content-filters.json"), let root = try? JSONParser.parse(bytes), case .object(let o) = root {
            if case .object(let lv)? = o["levels"],
               case .number(let l)? = lv["LOW"], case .number(let m)? = lv["MEDIUM"], case .number(let h)? = lv["HIGH"] {
                content.levels = (l, m, h)
            }
            if case .object(let cats)? = o["categories"] {
                for (k, v) in cats {
                    guard let t = GuardrailContentFilterType(rawValue: k), case .object(let terms) = v else { continue }
                    var list: [(String, Double)] = []
                    for (term, w) in terms.sorted(by: { $0.key < $1.key }) {
                        if case .number(let d) = w { list.append((term, d)) }
                    }
                    content.categories[t] = list
                }
            }
        }
        let readme = dataFile("GUARDRAILS-README.md").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return GuardrailData(
            content: content, profanity: lines("profanity.txt"), firstNames: lines("first-names.txt"),
            surnames: lines("surnames.txt"), streetSuffixes: lines("street-suffixes.txt"),
            stopwords: lines("stopwords.txt"), topicReadme: readme)
    }
}

/// Human-readable documentation of how the engine decides, shipped as Data/GUARDRAILS-README.md.
public enum GuardrailDocs {
    /// The README describing the content classifier, topic similarity, word matching, PII
    /// detectors (with their context rules and deliberate non-detections) and grounding scores.
    public static var readme: String { GuardrailData.shared.topicReadme }
}
