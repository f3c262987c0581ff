// Contextual grounding and relevance scores.
//
// Both work on stemmed content words (stopwords removed; numbers kept, since changed numbers are the
// classic ungrounded claim), counted as tokens:
// - GROUNDING = 0.7 x (share of the response's content words found in the grounding source)
//             + 0.3 x (share of the response's adjacent content-word pairs found adjacent in the source).
//   The pair term penalises responses that reuse source vocabulary but recombine it into new claims.
// - RELEVANCE = max(share of the query's distinct content words the response repeats,
//                   share of the response's content words found in source sentences that mention a query
//                   word the response does not repeat).
//   The second term credits short direct answers ("330 metres.") that the source gives next to the part of
//   the question they answer, while a response that only restates the question's subject scores the first term.
// Scores are rounded to two decimals, as the service reports them. A filter flags the response
// when its score is below the configured threshold.
struct GroundingScorer: Sendable {
    let stopwords: HashTable64<Bool>

    @inline(__always) private func isContent(_ t: Token) -> Bool {
        !(t.length < 2 && t.flags & Token.hasDigit == 0) && !stopwords.contains(t.hash)
    }

    /// Content stems per sentence (used for the small grounding source and query texts).
    private func contentStems(_ text: String) -> [[UInt64]] {
        let bytes = Array(text.utf8)
        return bytes.withBytes { p in
            let toks = Tokenizer.tokenize(p)
            return Tokenizer.sentences(toks).map { r in
                r.compactMap { i -> UInt64? in isContent(toks[i]) ? Stemmer.stemHash(p, Int(toks[i].start), Int(toks[i].end)) : nil }
            }
        }
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    /// Scores `response` blocks (bytes with their tokens) against the grounding sources and queries.
    func scores(sources: [String], queries: [String], response: [(bytes: [UInt8], tokens: [Token])]) -> (grounding: Double, relevance: Double) {
        let srcSentences = sources.flatMap(contentStems)
        var src = HashTable64<Bool>(capacity: 64)
        var srcPairs = HashTable64<Bool>(capacity: 64)
        for s in srcSentences {
            for (k, w) in s.enumerated() {
                src.set(w, true)
                if k > 0 { srcPairs.set(TokenHash.combine(s[k - 1], w), true) }
            }
        }
        var query = HashTable64<Int>(capacity: 16)
        var queryCount = 0
        for w in queries.flatMap(contentStems).joined() where query.get(w) == nil {
            query.set(w, queryCount)
            queryCount += 1
        }
        // Which source sentences (first 64) contain each word, and which contain each query word.
        var sentenceMask = HashTable64<UInt64>(capacity: 64)
        var querySentences = [UInt64](repeating: 0, count: queryCount)
        for (si, s) in srcSentences.prefix(64).enumerated() {
            for w in s {
                sentenceMask.update(w, initial: 0) { $0 |= 1 << UInt64(si) }
                if let q = query.get(w) { querySentences[q] |= 1 << UInt64(si) }
            }
        }
        var responseMasks: [UInt64] = []

        var total = 0, supported = 0, pairs = 0, pairsSupported = 0, answered = 0
        var queryHit = [Bool](repeating: false, count: queryCount)
        for block in response {
            block.bytes.withBytes { p in
                var prev: UInt64 = 0
                var havePrev = false
                for t in block.tokens {
                    if isContent(t) {
                        let w = Stemmer.stemHash(p, Int(t.start), Int(t.end))
                        total += 1
                        if src.contains(w) { supported += 1 }
                        responseMasks.append(sentenceMask.get(w) ?? 0)
                        if let q = query.get(w) { queryHit[q] = true }
                        if havePrev {
                            pairs += 1
                            if srcPairs.contains(TokenHash.combine(prev, w)) { pairsSupported += 1 }
                        }
                        prev = w
                        havePrev = true
                    }
                    if t.endsSentence { havePrev = false }
                }
            }
        }
        let uni = total > 0 ? Double(supported) / Double(total) : 0
        let bi = pairs > 0 ? Double(pairsSupported) / Double(pairs) : uni
        let grounding = total > 0 ? 0.7 * uni + 0.3 * bi : 0
        var relevance = 0.0
        if queryCount > 0, total > 0 {
            let coverage = Double(queryHit.filter { $0 }.count) / Double(queryCount)
            var unanswered: UInt64 = 0
            for q in 0..<queryCount where !queryHit[q] { unanswered |= querySentences[q] }
            answered = responseMasks.reduce(0) { $0 + ($1 & unanswered != 0 ? 1 : 0) }
            relevance = max(coverage, Double(answered) / Double(total))
        } else if queryCount == 0, total > 0 {
            relevance = 1  // a query with no content words cannot be answered off-topic
        }
        return (Self.round2(min(1, grounding)), Self.round2(min(1, relevance)))
    }
}
