// Contextual grounding and relevance scores.
//
// Both work on stemmed content words (stopwords removed; numbers kept, since changed numbers are the
// classic ungrounded claim):
// - GROUNDING = 0.7 x (share of the response's content words found in the grounding source)
//             + 0.3 x (share of the response's adjacent content-word pairs found adjacent in the source).
//   The pair term penalises responses that reuse source vocabulary but recombine it into new claims.
// - RELEVANCE = max(share of the query's content words the response repeats,
//                   share of the response's content words found in source sentences that mention the query).
//   The second term credits short direct answers ("Paris.") that the source gives next to the query's words.
// Scores are rounded to two decimals, as the service reports them. A filter flags the response
// when its score is below the configured threshold.
struct GroundingScorer: Sendable {
    let stopwords: HashTable64<Bool>

    private func contentStems(_ text: String) -> [[UInt64]] {
        let bytes = Array(text.utf8)
        return bytes.withBytes { p in
            let toks = Tokenizer.tokenize(p)
            return Tokenizer.sentences(toks).map { r in
                r.compactMap { i -> UInt64? in
                    let t = toks[i]
                    if stopwords.contains(t.hash) { return nil }
                    if t.length < 2, t.flags & Token.hasDigit == 0 { return nil }
                    return Stemmer.stemHash(p, Int(t.start), Int(t.end))
                }
            }
        }
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    func scores(sources: [String], queries: [String], response: [String]) -> (grounding: Double, relevance: Double) {
        let srcSentences = sources.flatMap(contentStems)
        var src = Set<UInt64>()
        var srcPairs = Set<UInt64>()
        for s in srcSentences {
            src.formUnion(s)
            for k in 1..<max(1, s.count) { srcPairs.insert(TokenHash.combine(s[k - 1], s[k])) }
        }
        let resp = response.flatMap(contentStems)
        var total = 0, supported = 0, pairs = 0, pairsSupported = 0
        for s in resp {
            for (k, w) in s.enumerated() {
                total += 1
                if src.contains(w) { supported += 1 }
                if k > 0 {
                    pairs += 1
                    if srcPairs.contains(TokenHash.combine(s[k - 1], w)) { pairsSupported += 1 }
                }
            }
        }
        let uni = total > 0 ? Double(supported) / Double(total) : 0
        let bi = pairs > 0 ? Double(pairsSupported) / Double(pairs) : uni
        let grounding = total > 0 ? 0.7 * uni + 0.3 * bi : 0

        let q = Set(queries.flatMap(contentStems).flatMap { $0 })
        let r = Set(resp.flatMap { $0 })
        var relevance = 0.0
        if !q.isEmpty, !r.isEmpty {
            let coverage = Double(q.intersection(r).count) / Double(q.count)
            var answerContext = Set<UInt64>()
            for s in srcSentences where s.contains(where: q.contains) { answerContext.formUnion(s) }
            let answered = Double(r.intersection(answerContext).count) / Double(r.count)
            relevance = max(coverage, answered)
        } else if q.isEmpty, !r.isEmpty {
            relevance = 1  // a query with no content words cannot be answered off-topic
        }
        return (Self.round2(min(1, grounding)), Self.round2(min(1, relevance)))
    }
}
