// Fine-tuning stand-in: what a model-customization job "learns" from JSONL training data.
//
// The adapter keeps the training examples (normalised prompt → completion) and word
// bigram/trigram counts of the completions. A fine-tuned model answers
//   1. the completion of a training prompt that matches exactly (case, punctuation and
//      spacing ignored), else
//   2. the completion of the most similar training prompt if the word-set Jaccard
//      similarity is at least 0.6, else
//   3. text generated from the trigram/bigram counts (seeded by the request), so even
//      unseen prompts answer in the training data's vocabulary.
// The base model knows none of this, which is what makes a fine-tuned model observable.
//
// Training loss is the cross-entropy of the add-0.1-smoothed bigram model on the training
// transitions (L∞), approached from the uniform model's ln V over the epochs:
//   loss(e) = L∞ + (ln V − L∞)·(1 − r)^e,  r = clamp(0.35 · learningRate/1e-5 · learningRateMultiplier, 0.02, 0.9)
// which strictly decreases with e and is fully deterministic.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why training data or a stored adapter was rejected. `line` is 1-based when known.
public struct AdapterTrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    public var message: String
    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

public struct TrainedAdapter: Sendable, Codable, Equatable {
    public struct Example: Sendable, Codable, Equatable {
        /// Prompt normalised for matching (lowercase words separated by single spaces).
        public var prompt: String
        public var completion: String
    }

    public var formatVersion: Int
    public var examples: [Example]
    /// "w1 w2" → next word → count, over completions framed by <s> <s> … </s>.
    public var trigrams: [String: [String: Int]]
    /// "w1" → next word → count.
    public var bigrams: [String: [String: Int]]
    public var vocabularySize: Int
    public var lossByEpoch: [Double]
    public var learningFactor: Double
    public var hyperParameters: [String: String]
    /// Hex FNV-1a of the training data; identifies the adapter and seeds its generation.
    public var fingerprint: String

    static let bos = "<s>"
    static let eos = "</s>"
    static let smoothing = 0.1
    static let nearMatchThreshold = 0.6

    // MARK: Training

    /// Trains on JSONL whose lines are `{"prompt": ..., "completion": ...}` or
    /// `{"system"?: ..., "messages": [{"role":"user","content":...},{"role":"assistant",...}, ...]}`
    /// (each user turn followed by an assistant turn is one example). Blank lines are skipped.
    /// Hyperparameters (strings, as the control plane passes them): `epochCount` (1–100,
    /// default 2), `learningRate` (> 0, default 0.00001), `learningRateMultiplier` (> 0,
    /// default 1), `batchSize` (≥ 1, default 1); others are kept but unused.
    /// Metrics: `trainingLoss` (final epoch), `trainingLoss.epoch.N`, `epochCount`,
    /// `trainingExamples`, `vocabularySize`.
    public static func train(jsonl: [UInt8], hyperParameters: [String: String]) throws(AdapterTrainingError) -> (TrainedAdapter, metrics: [String: Double]) {
        let epochs = try intParameter(hyperParameters, "epochCount", default: 2, range: 1...100)
        let lr = try doubleParameter(hyperParameters, "learningRate", default: 0.00001)
        let multiplier = try doubleParameter(hyperParameters, "learningRateMultiplier", default: 1)
        _ = try intParameter(hyperParameters, "batchSize", default: 1, range: 1...4096)

        let examples = try parseExamples(jsonl)
        guard !examples.isEmpty else { throw AdapterTrainingError(line: nil, message: "The training data contains no records.") }

        var trigrams: [String: [String: Int]] = [:]
        var bigrams: [String: [String: Int]] = [:]
        var vocab = Set<String>([eos])
        for ex in examples {
            let toks = [bos, bos] + words(ex.completion) + [eos]
            for t in toks.dropFirst(2) { vocab.insert(t) }
            for i in 2..<toks.count {
                trigrams[toks[i - 2] + " " + toks[i - 1], default: [:]][toks[i], default: 0] += 1
                bigrams[toks[i - 1], default: [:]][toks[i], default: 0] += 1
            }
        }
        let v = Double(vocab.count)
        let lFinal = crossEntropy(examples.map(\.completion), bigrams: bigrams, vocabularySize: vocab.count)
        let l0 = log(v > 1 ? v : 2)
        let lInf = lFinal < l0 ? lFinal : l0 * 0.5
        let r = min(0.9, max(0.02, 0.35 * (lr / 0.00001) * multiplier))
        let losses = (1...epochs).map { e in lInf + (l0 - lInf) * pow(1 - r, Double(e)) }

        var data: [UInt8] = []
        for ex in examples { data += Array(ex.prompt.utf8) + [0] + Array(ex.completion.utf8) + [0] }
        let fp = String(StableHash.fnv1a(data), radix: 16)

        let adapter = TrainedAdapter(
            formatVersion: 1,
            examples: examples.map { Example(prompt: normalize($0.prompt), completion: $0.completion) },
            trigrams: trigrams, bigrams: bigrams, vocabularySize: vocab.count, lossByEpoch: losses,
            learningFactor: r, hyperParameters: hyperParameters, fingerprint: fp)
        var metrics: [String: Double] = [
            "trainingLoss": losses.last ?? l0,
            "epochCount": Double(epochs),
            "trainingExamples": Double(examples.count),
            "vocabularySize": Double(vocab.count),
        ]
        for (i, l) in losses.enumerated() { metrics["trainingLoss.epoch.\(i + 1)"] = l }
        return (adapter, metrics)
    }

    /// Loss on held-out JSONL (same formats), on the same scale as the final training loss.
    public func validationLoss(jsonl: [UInt8]) throws(AdapterTrainingError) -> Double {
        let examples = try TrainedAdapter.parseExamples(jsonl)
        guard !examples.isEmpty else { throw AdapterTrainingError(line: nil, message: "The validation data contains no records.") }
        let l = TrainedAdapter.crossEntropy(examples.map(\.completion), bigrams: bigrams, vocabularySize: vocabularySize)
        let l0 = log(Double(max(2, vocabularySize)))
        return l + (l0 - min(l, l0)) * pow(1 - learningFactor, Double(lossByEpoch.count))
    }

    static func intParameter(_ h: [String: String], _ key: String, default d: Int, range: ClosedRange<Int>) throws(AdapterTrainingError) -> Int {
        guard let s = h[key] else { return d }
        guard let i = Int(s.trimmingSpaces()), range.contains(i) else {
            throw AdapterTrainingError(line: nil, message: "Hyperparameter \(key) must be an integer from \(range.lowerBound) to \(range.upperBound); got \"\(s)\".")
        }
        return i
    }

    static func doubleParameter(_ h: [String: String], _ key: String, default d: Double) throws(AdapterTrainingError) -> Double {
        guard let s = h[key] else { return d }
        guard let x = Double(s.trimmingSpaces()), x.isFinite, x > 0 else {
            throw AdapterTrainingError(line: nil, message: "Hyperparameter \(key) must be a positive number; got \"\(s)\".")
        }
        return x
    }

    /// Mean −ln p over completion transitions under the add-k bigram model.
    static func crossEntropy(_ completions: [String], bigrams: [String: [String: Int]], vocabularySize: Int) -> Double {
        let v = Double(max(2, vocabularySize))
        var total = 0.0
        var n = 0
        for c in completions {
            let toks = [bos] + words(c) + [eos]
            for i in 1..<toks.count {
                let row = bigrams[toks[i - 1]]
                let rowTotal = Double(row?.values.reduce(0, +) ?? 0)
                let count = Double(row?[toks[i]] ?? 0)
                total -= log((count + smoothing) / (rowTotal + smoothing * v))
                n += 1
            }
        }
        return n > 0 ? total / Double(n) : log(v)
    }

    /// (raw prompt, completion) pairs in file order.
    static func parseExamples(_ jsonl: [UInt8]) throws(AdapterTrainingError) -> [(prompt: String, completion: String)] {
        var out: [(String, String)] = []
        var lineNo = 0
        for rawLine in jsonl.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            var line = Array(rawLine)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(line) } catch {
                throw AdapterTrainingError(line: lineNo, message: "invalid JSON (\(error.reason) at byte \(error.offset)).")
            }
            guard case .object(let o) = value else {
                throw AdapterTrainingError(line: lineNo, message: "expected a JSON object.")
            }
            if o["prompt"] != nil || o["completion"] != nil {
                guard let p = o["prompt"]?.stringValue else {
                    throw AdapterTrainingError(line: lineNo, message: "\"prompt\" must be a string.")
                }
                guard let c = o["completion"]?.stringValue else {
                    throw AdapterTrainingError(line: lineNo, message: "\"completion\" must be a string.")
                }
                guard !c.trimmingSpaces().isEmpty else {
                    throw AdapterTrainingError(line: lineNo, message: "\"completion\" must not be empty.")
                }
                out.append((p, c))
            } else if let msgs = o["messages"] {
                guard let items = msgs.arrayValue else {
                    throw AdapterTrainingError(line: lineNo, message: "\"messages\" must be an array.")
                }
                var pendingUser: String?
                var found = 0
                for (i, m) in items.enumerated() {
                    guard let role = m["role"]?.stringValue, let text = messageText(m["content"]) else {
                        throw AdapterTrainingError(line: lineNo, message: "messages[\(i)] must have a string \"role\" and text \"content\".")
                    }
                    if role == "user" {
                        pendingUser = text
                    } else if role == "assistant", let u = pendingUser {
                        out.append((u, text))
                        pendingUser = nil
                        found += 1
                    }
                }
                guard found > 0 else {
                    throw AdapterTrainingError(line: lineNo, message: "\"messages\" has no user turn followed by an assistant turn.")
                }
            } else {
                throw AdapterTrainingError(line: lineNo, message: "expected \"prompt\" and \"completion\" strings, or a \"messages\" array.")
            }
        }
        return out
    }

    static func messageText(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: return s
        case .array(let blocks)?:
            let texts = blocks.compactMap { $0["text"]?.stringValue }
            return texts.isEmpty ? nil : texts.joined(separator: "\n")
        default: return nil
        }
    }

    // MARK: Answering

    /// Lowercase words joined by single spaces.
    static func normalize(_ s: String) -> String {
        words(s).filter { $0.first.map { $0.isLetter || $0.isNumber } ?? false }.map { $0.lowercased() }.joined(separator: " ")
    }

    /// Words (letters, digits, inner apostrophes and hyphens) and single punctuation marks.
    static func words(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in s {
            if ch.isLetter || ch.isNumber || ((ch == "'" || ch == "-") && !cur.isEmpty) {
                cur.append(ch)
            } else {
                if !cur.isEmpty { out.append(cur); cur = "" }
                if !ch.isWhitespace { out.append(String(ch)) }
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    static func detokenize(_ toks: [String]) -> String {
        var s = ""
        let noSpaceBefore: Set<String> = [".", ",", ";", ":", "!", "?", ")", "]", "%"]
        for t in toks {
            if !s.isEmpty && !noSpaceBefore.contains(t) && s.last != "(" && s.last != "[" { s += " " }
            s += t
        }
        return s
    }

    /// The training completion whose prompt matches `prompt` exactly or nearly, if any.
    public func lookup(_ prompt: String) -> String? {
        let norm = TrainedAdapter.normalize(prompt)
        if let ex = examples.first(where: { $0.prompt == norm }) { return ex.completion }
        let q = Set(norm.split(separator: " "))
        guard !q.isEmpty else { return nil }
        var best: (Double, String)?
        for ex in examples {
            let w = Set(ex.prompt.split(separator: " "))
            let j = Double(q.intersection(w).count) / Double(q.union(w).count)
            guard j >= TrainedAdapter.nearMatchThreshold else { continue }
            if let b = best, b.0 >= j { continue }
            best = (j, ex.completion)
        }
        return best?.1
    }

    /// The fine-tuned model's full (uncapped) answer to `prompt`.
    func respond(to prompt: String, seed: UInt64) -> String {
        if let c = lookup(prompt) { return c }
        var g = SeededGenerator(seed: StableHash.mix(seed ^ StableHash.of(fingerprint)))
        var a = TrainedAdapter.bos
        var b = TrainedAdapter.bos
        var out: [String] = []
        while out.count < 80 {
            guard let row = trigrams[a + " " + b] ?? bigrams[b], !row.isEmpty else { break }
            let keys = row.keys.sorted()
            let total = keys.reduce(0) { $0 + (row[$1] ?? 0) }
            var pick = g.below(max(1, total))
            var next = keys[0]
            for k in keys {
                pick -= row[k] ?? 0
                if pick < 0 { next = k; break }
            }
            if next == TrainedAdapter.eos { break }
            out.append(next)
            a = b
            b = next
        }
        return TrainedAdapter.detokenize(out)
    }

    // MARK: Storage

    /// Deterministic bytes (JSON with sorted keys) for encryption and storage.
    public func serialized() -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        // Encoding plain strings, numbers and dictionaries cannot fail.
        return (try? Array(enc.encode(self))) ?? []
    }

    /// Restores an adapter from `serialized()` bytes.
    public init(serialized bytes: [UInt8]) throws(AdapterTrainingError) {
        do {
            self = try JSONDecoder().decode(TrainedAdapter.self, from: Data(bytes))
        } catch {
            throw AdapterTrainingError(line: nil, message: "The stored adapter could not be decoded: \(error).")
        }
        guard formatVersion == 1 else {
            throw AdapterTrainingError(line: nil, message: "Unsupported adapter format version \(formatVersion).")
        }
    }

    init(formatVersion: Int, examples: [Example], trigrams: [String: [String: Int]], bigrams: [String: [String: Int]],
         vocabularySize: Int, lossByEpoch: [Double], learningFactor: Double, hyperParameters: [String: String], fingerprint: String) {
        self.formatVersion = formatVersion
        self.examples = examples
        self.trigrams = trigrams
        self.bigrams = bigrams
        self.vocabularySize = vocabularySize
        self.lossByEpoch = lossByEpoch
        self.learningFactor = learningFactor
        self.hyperParameters = hyperParameters
        self.fingerprint = fingerprint
    }
}
