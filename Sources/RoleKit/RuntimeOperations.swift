// The bedrock-runtime operations the front end serves, recognised by method and path as the real REST API routes
// them (../shared/reference/bedrock-api.md §1.2). Model ids arrive percent-encoded (`:` becomes %3A).
import ASCIIText
import Envelope

public enum RuntimeOperation: String, Sendable {
    case invokeModel = "InvokeModel"
    case invokeModelWithResponseStream = "InvokeModelWithResponseStream"
    case converse = "Converse"
    case converseStream = "ConverseStream"
    case countTokens = "CountTokens"

    /// The IAM action that authorizes the operation (Converse authorizes as InvokeModel).
    public var iamAction: String {
        switch self {
        case .invokeModel, .converse, .countTokens: "bedrock:InvokeModel"
        case .invokeModelWithResponseStream, .converseStream: "bedrock:InvokeModelWithResponseStream"
        }
    }
}

public struct RoutedRequest: Sendable {
    public var operation: RuntimeOperation
    public var modelId: String
}

public enum RuntimeRouter {
    public static func route(_ request: HTTPRequest) -> Result<RoutedRequest, BedrockError> {
        // "/model/{modelId}/{action}", neither part containing "/": found on bytes (Character splitting is costly on
        // this hot path).
        let path = request.path.utf8
        let prefix = "/model/".utf8
        guard request.method == "POST", path.starts(with: prefix) else { return .failure(.unknownOperation(request.method, request.path)) }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return .failure(.unknownOperation(request.method, request.path)) }
        let action = rest[rest.index(after: slash)...]
        guard !action.contains(UInt8(ascii: "/")) else { return .failure(.unknownOperation(request.method, request.path)) }
        let op: RuntimeOperation
        if action.elementsEqual("invoke".utf8) { op = .invokeModel }
        else if action.elementsEqual("invoke-with-response-stream".utf8) { op = .invokeModelWithResponseStream }
        else if action.elementsEqual("converse".utf8) { op = .converse }
        else if action.elementsEqual("converse-stream".utf8) { op = .converseStream }
        else if action.elementsEqual("count-tokens".utf8) { op = .countTokens }
        else { return .failure(.unknownOperation(request.method, request.path)) }
        guard let modelId = percentDecode(String(Substring(rest[..<slash]))), !modelId.isEmpty, modelId.utf8.count <= 2048 else {
            return .failure(.validation("1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern"))
        }
        return .success(RoutedRequest(operation: op, modelId: modelId))
    }

    /// RFC 3986 percent-decoding; nil for a malformed escape or invalid UTF-8.
    public static func percentDecode(_ s: String) -> String? {
        guard s.utf8.contains(UInt8(ascii: "%")) else { return s }   // nothing escaped: the text as it is
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                out.append(hv << 4 | lv)
            } else {
                out.append(b)
            }
        }
        return out.withUnsafeBufferPointer { ASCII.string(validatingUTF8: $0) }
    }

    /// Percent-encodes a path segment as the AWS SDKs do (unreserved characters stay).
    public static func percentEncodeSegment(_ s: String) -> String {
        @inline(__always) func unreserved(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b == 0x2d || b == 0x2e || b == 0x5f || b == 0x7e
        }
        if s.utf8.allSatisfy(unreserved) { return s }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        for b in s.utf8 {
            if unreserved(b) { out.append(b) } else { out.append(0x25); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

