// Generation pacing. Hosts use it to delay stream chunks and to fill the invocation
// metrics (invocationLatency, firstByteLatency) and Converse `metrics.latencyMs`.
// Output token i (0-based) is ready at firstTokenMs + i · 1000 / tokensPerSecond.

/// Default pacing of a model's output, used by hosts to simulate generation time.
public struct LatencyModel: Sendable, Codable, Equatable {
    /// Time until the first output token, in milliseconds.
    public var firstTokenMs: Double
    /// Output tokens per second after the first; 0 or less means tokens arrive instantly.
    public var tokensPerSecond: Double

    public init(firstTokenMs: Double, tokensPerSecond: Double) {
        self.firstTokenMs = firstTokenMs
        self.tokensPerSecond = tokensPerSecond
    }

    /// No latency at all: every offset and duration is 0.
    public static let zero = LatencyModel(firstTokenMs: 0, tokensPerSecond: 0)

    /// Milliseconds from the start of the invocation until output token `i` (0-based) is ready.
    public func offsetOfToken(_ i: Int) -> Double {
        let perToken = tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0
        return max(0, firstTokenMs) + Double(max(0, i)) * perToken
    }

    /// Milliseconds until the last of `outputTokens` tokens is ready (the first-token time when 0).
    public func duration(outputTokens: Int) -> Double {
        outputTokens <= 0 ? max(0, firstTokenMs) : offsetOfToken(outputTokens - 1)
    }

    /// Whole milliseconds as `amazon-bedrock-invocationMetrics` reports them.
    public func invocationLatencyMs(outputTokens: Int) -> Int { Int(duration(outputTokens: outputTokens).rounded()) }
    public var firstByteLatencyMs: Int { Int(max(0, firstTokenMs).rounded()) }
}
