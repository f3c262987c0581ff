// The runtime API's errors as the real service returns them: the exception name, its HTTP status, and a message in
// the service's style. Rendered as botocore parses rest-json errors: x-amzn-ErrorType header plus a JSON body with
// `message` and `__type`.
import Envelope
import NodeRuntime

public struct BedrockError: Error, Sendable, Equatable, CustomStringConvertible {
    public var errorType: String
    public var httpStatus: Int
    public var message: String

    public init(_ errorType: String, _ httpStatus: Int, _ message: String) {
        self.errorType = errorType; self.httpStatus = httpStatus; self.message = message
    }

    public var description: String { "\(errorType) (\(httpStatus)): \(message)" }

    public static func validation(_ message: String) -> BedrockError { BedrockError("ValidationException", 400, message) }
    public static let invalidModelIdentifier = validation("The provided model identifier is invalid.")
    public static func accessDenied(_ message: String) -> BedrockError { BedrockError("AccessDeniedException", 403, message) }
    public static func resourceNotFound(_ message: String) -> BedrockError { BedrockError("ResourceNotFoundException", 404, message) }
    public static let modelTimeout = BedrockError("ModelTimeoutException", 408, "Model has timed out in processing the request. Try your request again.")
    public static let throttling = BedrockError("ThrottlingException", 429, "Too many requests, please wait before trying again.")
    public static let modelNotReady = BedrockError("ModelNotReadyException", 429, "Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation up to 5 times.")
    public static let serviceUnavailable = BedrockError("ServiceUnavailableException", 503, "Bedrock is unable to process your request.")
    public static func internalFailure(_ message: String) -> BedrockError { BedrockError("InternalServerException", 500, message) }
    public static func unknownOperation(_ method: String, _ path: String) -> BedrockError {
        BedrockError("UnknownOperationException", 404, "No operation matches \(method) \(path).")
    }

    /// The HTTP response botocore turns back into this exception.
    public func httpResponse(requestId: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.append(contentsOf: #"{"message":"#.utf8)
        JSONLine.appendQuoted(message, to: &body)
        body.append(contentsOf: #","__type":"#.utf8)
        JSONLine.appendQuoted(errorType, to: &body)
        body.append(UInt8(ascii: "}"))
        return HTTPResponse(status: httpStatus, headers: [
            HTTPHeader("Content-Type", "application/json"),
            HTTPHeader("x-amzn-RequestId", requestId),
            HTTPHeader("x-amzn-ErrorType", "\(errorType):http://internal.amazon.com/coral/com.amazon.bedrock/"),
        ], body: body)
    }

    /// Recovers the error from a response produced by `httpResponse` (or by a model host).
    public static func from(_ response: HTTPResponse) -> BedrockError? {
        guard response.status >= 400 else { return nil }
        var type = response.header("x-amzn-ErrorType") ?? "InternalServerException"
        if let colon = type.firstIndex(of: ":") { type = String(type[..<colon]) }
        var message = ""
        if let obj = try? JSONValue.parse(response.body), case .object(let o) = obj, case .string(let m)? = o["message"] { message = m }
        return BedrockError(type, response.status, message)
    }
}

extension Node {
    /// Answers `envelope` with an `error` message carrying `error` (on the service socket, to `peer`).
    public func answer(_ envelope: Envelope, with error: BedrockError, to peer: String) {
        let body = ErrorBody(errorType: error.errorType, message: error.message, httpStatus: error.httpStatus).encode()
        send(envelope.reply(.error, messageId: ids.next(), from: address, body: body), to: peer, link: .service)
    }
}
