import FoundationEssentials

// Bundled lexicons (Sources/GuardrailsData/Data, which SwiftPM copies into the resource bundle directory
// bedrock-sim_GuardrailsData.resources next to the executables). They are loaded once per process into immutable
// tables; loading a bundled resource is the only I/O here. No `Bundle.module`: that accessor needs full Foundation,
// which node processes must not load (see Package.swift), so the directory is found and read with FoundationEssentials.

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

    /// The bundled file `name` (e.g. "profanity.txt"), or nil when the data directory lacks it. Stops the process
    /// with `GuardrailDataError` (naming every path tried) when the data directory itself cannot be found, as
    /// SwiftPM's `Bundle.module` does for a missing bundle: the engine cannot work without its lexicons.
    static func dataFile(_ name: String) -> [UInt8]? {
        let directory: String
        switch GuardrailDataLocation.directory {
        case .success(let d): directory = d
        case .failure(let e): fatalError(e.description)
        }
        return FileManager.default.contents(atPath: directory + "/" + name).map { [UInt8]($0) }
    }

    static func lines(_ name: String) -> [String] {
        guard let bytes = dataFile(name) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { TextTrim.trimming($0) { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator } }
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

/// The Guardrails data directory could not be found.
public struct GuardrailDataError: Error, Sendable, CustomStringConvertible {
    /// Every directory that was tried, in order.
    public var tried: [String]
    public var description: String {
        "Guardrails data not found: no \(GuardrailDataLocation.markerFile) in "
            + tried.map { "'\($0)'" }.joined(separator: ", ")
            + "; build with `swift build` (which creates \(GuardrailDataLocation.bundleName) next to the executables)"
            + " or set \(GuardrailDataLocation.environmentVariable) to the directory holding the Guardrails data files"
    }
}

/// Where the bundled Guardrails data lives: the SwiftPM resource bundle of the GuardrailsData target, next to the
/// running executable (test binaries run from the same build directory), or the directory an environment variable names.
public enum GuardrailDataLocation {
    /// The directory SwiftPM produces (in .build/debug and .build/release alike) for GuardrailsData's resources.
    public static let bundleName = "bedrock-sim_GuardrailsData.resources"
    /// Overrides the lookup: the directory holding the data files (or a bundle directory with a Data/ subdirectory).
    public static let environmentVariable = "BEDROCK_SIM_GUARDRAILS_DATA"
    /// A file every data directory has.
    static let markerFile = "content-filters.json"

    /// The data directory of this process, resolved once.
    public static let directory: Result<String, GuardrailDataError> = resolve(
        override: ProcessInfo.processInfo.environment[environmentVariable], executable: executablePath())

    /// The candidates in order: the override alone when it is set (a wrong override is an error, not a silent
    /// fallback); otherwise the bundle next to the executable, then the source tree this module was built from
    /// (the same fallback SwiftPM's accessor has: the build-time location).
    static func candidates(override: String?, executable: String?) -> [String] {
        if let o = override, !o.isEmpty { return [o, o + "/Data"] }
        var out: [String] = []
        if let exe = executable, let slash = exe.lastIndex(of: "/") {
            let dir = exe[..<slash].isEmpty ? "/" : String(exe[..<slash])
            out.append(dir + "/" + bundleName + "/Data")
        }
        // #filePath is …/Sources/Guardrails/Resources.swift; the data is in …/Sources/GuardrailsData/Data.
        let source = "\(#filePath)"
        if let s1 = source.lastIndex(of: "/"), let s2 = source[..<s1].lastIndex(of: "/") {
            out.append(String(source[..<s2]) + "/GuardrailsData/Data")
        }
        return out
    }

    static func resolve(override: String?, executable: String?) -> Result<String, GuardrailDataError> {
        let tried = candidates(override: override, executable: executable)
        for d in tried where FileManager.default.fileExists(atPath: d + "/" + markerFile) { return .success(d) }
        return .failure(GuardrailDataError(tried: tried))
    }

    /// The running executable's path with symbolic links resolved (/proc/self/exe on Linux), else argv[0].
    static func executablePath() -> String? {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        guard let a = CommandLine.arguments.first, a.contains("/") else { return nil }
        if a.hasPrefix("/") { return a }
        return FileManager.default.currentDirectoryPath + "/" + a
    }
}

/// Stdlib replacements for Foundation's `trimmingCharacters(in:)`: like it, they work on Unicode scalars.
enum TextTrim {
    static func trimming(_ s: some StringProtocol, where drop: (Unicode.Scalar) -> Bool) -> String {
        let u = s.unicodeScalars
        guard let first = u.firstIndex(where: { !drop($0) }), let last = u.lastIndex(where: { !drop($0) }) else { return "" }
        var out = ""
        out.unicodeScalars.append(contentsOf: u[first...last])
        return out
    }
}
