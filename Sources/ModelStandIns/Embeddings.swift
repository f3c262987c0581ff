// Titan Text Embeddings V2 stand-in.
//
// The embedding is a feature-hashing projection, deterministic from the text alone:
//   1. normalise the text: lowercase, runs of whitespace → one space, trimmed, padded with
//      one space at each end;
//   2. features: every character trigram (weight 1) and every word (weight 2);
//   3. each feature adds ±weight to 2 coordinates chosen by FNV-1a hashes of the feature
//      (sign from a hash bit), so the vector for dimension d is a sparse random projection
//      of the bag of features;
//   4. normalize=true (default) scales to unit L2 length; normalize=false divides by the
//      square root of the feature count instead (so the length grows with lexical variety);
//   5. values are rounded to 8 decimal places.
// Texts sharing many trigrams and words share many coordinates, so cosine similarity
// follows lexical overlap: near-paraphrases score high, unrelated texts near zero.
// Binary embeddings (embeddingTypes ["binary"]) are 1 where the float value is > 0, else 0.

enum Embeddings {
    static let allowedDimensions = [256, 512, 1024]
    static let maxCharacters = 50_000

    static func prepare(_ model: FoundationModel, _ obj: JSONObject) throws(ModelInvocationError) -> PreparedRequest {
        var e = SchemaErrors()
        let root = Pointer.root
        Check.required(["inputText"], in: obj, at: root, &e)
        Check.extraneous(allowed: ["inputText", "dimensions", "normalize", "embeddingTypes"], in: obj, at: root, &e)
        var text = ""
        if let v = obj["inputText"], let s = Check.string(v, at: root.appending("inputText"), &e) {
            let n = s.unicodeScalars.count
            if n < 1 { e.add(root.appending("inputText").text, "expected minLength: 1, actual: \(n)") }
            if n > maxCharacters { e.add(root.appending("inputText").text, "expected maxLength: \(maxCharacters), actual: \(n)") }
            text = s
        }
        var dims = 1024
        if let v = obj["dimensions"] {
            // An enum schema: any other value, of any type, is "not a valid enum value".
            if case .integer(let d) = v, allowedDimensions.contains(d) { dims = d } else {
                e.add(root.appending("dimensions").text, "\(Check.render(v)) is not a valid enum value")
            }
        }
        var normalize = true
        if let v = obj["normalize"] { normalize = Check.boolean(v, at: root.appending("normalize"), &e) ?? true }
        var types: [String]?
        if let v = obj["embeddingTypes"], let items = Check.array(v, at: root.appending("embeddingTypes"), &e) {
            let p = root.appending("embeddingTypes")
            if items.isEmpty { e.add(p.text, "expected minimum item count: 1, found: 0") }
            if items.count > 2 { e.add(p.text, "expected maximum item count: 2, found: \(items.count)") }
            var ts: [String] = []
            for (i, item) in items.enumerated() {
                if case .string(let s) = item, s == "float" || s == "binary" { ts.append(s) } else {
                    e.add(p.appending(i).text, "\(Check.render(item)) is not a valid enum value")
                }
            }
            types = ts
        }
        try e.throwIfAny()
        let n = TokenCounter.count(text)
        if n > model.maxInputTokens { throw .validation(ServiceMessages.titanTooManyInputTokens(max: model.maxInputTokens, count: n)) }
        var req = PreparedRequest(
            family: .titanEmbedding, inputTokens: n,
            generation: GenerationRequest(modelId: model.modelId, promptKey: text, seedText: text, maxTokens: 0, stopSequences: []),
            canonicalBody: [])
        req.embeddingText = text
        req.dimensions = dims
        req.normalize = normalize
        req.embeddingTypes = types
        return req
    }

    static func response(_ req: PreparedRequest) -> [UInt8] {
        let v = vector(req.embeddingText, dimensions: req.dimensions, normalize: req.normalize)
        var obj = JSONObject()
        obj["embedding"] = .array(v.map { .number($0) })
        if let types = req.embeddingTypes {
            var byType = JSONObject()
            for t in types {
                byType[t] = t == "binary" ? .array(v.map { .integer($0 > 0 ? 1 : 0) }) : .array(v.map { .number($0) })
            }
            obj["embeddingsByType"] = .object(byType)
        }
        obj["inputTextTokenCount"] = .integer(req.inputTokens)
        return JSONValue.object(obj).serialized()
    }

    /// The embedding of `text` (see the file comment for the construction).
    static func vector(_ text: String, dimensions: Int, normalize: Bool) -> [Double] {
        var words: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isWhitespace {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { words.append(current) }
        let normalized = Array((" " + words.joined(separator: " ") + " ").unicodeScalars)
        var v = [Double](repeating: 0, count: dimensions)
        var features = 0
        func add(_ feature: String, weight: Double) {
            let h = StableHash.of(feature)
            for k in 0..<2 {
                let hk = StableHash.mix(h &+ UInt64(k))
                let index = Int(hk % UInt64(dimensions))
                v[index] += (hk >> 63) == 0 ? weight : -weight
            }
            features += 1
        }
        if normalized.count >= 3 {
            for i in 0...(normalized.count - 3) {
                var s = String.UnicodeScalarView()
                s.append(contentsOf: normalized[i..<(i + 3)])
                add("t:" + String(s), weight: 1)
            }
        }
        for w in words { add("w:" + w, weight: 2) }
        let scale: Double
        if normalize {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            scale = norm > 0 ? 1 / norm : 0
        } else {
            scale = features > 0 ? 1 / Double(features).squareRoot() : 0
        }
        return v.map {
            let r = (($0 * scale) * 1e8).rounded() / 1e8
            return r == 0 ? 0 : r  // no "-0.0" in the output
        }
    }
}
