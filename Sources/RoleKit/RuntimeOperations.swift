// The bedrock-runtime operations the front end serves, recognised by method and path as the real REST API routes
// them (../shared/reference/bedrock-api.md §1.2). Model ids arrive percent-encoded (`:` becomes %3A).
import ASCIIText
import Envelope
import Glibc

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
        // "/model/{modelId}/{action}", neither part containing "/": found over the path's bytes in place (Character
        // splitting, and even generic UTF8View slicing, is costly on this hot path).
        guard request.method == "POST" else { return .failure(.unknownOperation(request.method, request.path)) }
        var path = request.path
        let found = path.withUTF8 { p -> (operation: RuntimeOperation, rawModelId: String)? in
            let prefix: StaticString = "/model/"
            let n = prefix.utf8CodeUnitCount
            guard p.count > n, memcmp(p.baseAddress!, prefix.utf8Start, n) == 0 else { return nil }
            var slash = n
            while slash < p.count && p[slash] != UInt8(ascii: "/") { slash += 1 }
            guard slash < p.count else { return nil }
            let action = UnsafeBufferPointer(rebasing: p[(slash + 1)...])
            func equals(_ literal: StaticString) -> Bool {
                action.count == literal.utf8CodeUnitCount && memcmp(action.baseAddress!, literal.utf8Start, action.count) == 0
            }
            let op: RuntimeOperation
            if equals("invoke") { op = .invokeModel }
            else if equals("invoke-with-response-stream") { op = .invokeModelWithResponseStream }
            else if equals("converse") { op = .converse }
            else if equals("converse-stream") { op = .converseStream }
            else if equals("count-tokens") { op = .countTokens }
            else { return nil }
            // The model id as it arrived (still percent-encoded); decoded below.
            return (op, String(decoding: UnsafeBufferPointer(rebasing: p[n..<slash]), as: UTF8.self))
        }
        guard let found else { return .failure(.unknownOperation(request.method, request.path)) }
        guard let modelId = percentDecode(found.rawModelId), !modelId.isEmpty, modelId.utf8.count <= 2048 else {
            return .failure(.validation("1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern"))
        }
        return .success(RoutedRequest(operation: found.operation, modelId: modelId))
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

