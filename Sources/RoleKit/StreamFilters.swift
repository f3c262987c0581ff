// The seam for filters on streamed answers (InvokeModelWithResponseStream, ConverseStream): a filter that applies
// to a call returns an assessor, which the front end asks about the accumulated text once per window of new text
// and once at the end. The front end holds a window's events until it passes, so a blocked window never reaches
// the client; on a block the stream ends with the assessor's blocked messaging.
import NodeRuntime

public enum StreamVerdict {
    case pass(reason: String)
    case block(message: String, reason: String)
}

public protocol StreamTextAssessor: AnyObject {
    /// Characters of new text per assessment (real Bedrock assesses streamed output in chunks of about 1,000).
    var windowCharacters: Int { get }
    /// Assesses the whole text produced so far.
    func assess(accumulatedText: String) -> StreamVerdict
}

public protocol StreamOutputFilter {
    var name: String { get }
    /// An assessor when this filter applies to the call (e.g. it names a guardrail), else nil.
    func begin(_ call: FrontendCall, node: Node) -> StreamTextAssessor?
}
