import Testing
@testable import HTTPWire

/// Parses `text` fed in pieces of `split` bytes; returns the requests and the error, if any.
func parse(_ text: String, split: Int = Int.max, limits: HTTPParserLimits = HTTPParserLimits()) -> ([HTTPRequest], HTTPParseError?) {
    parse(Array(text.utf8), split: split, limits: limits)
}

func parse(_ bytes: [UInt8], split: Int = Int.max, limits: HTTPParserLimits = HTTPParserLimits()) -> ([HTTPRequest], HTTPParseError?) {
    var parser = HTTPRequestParser(limits: limits)
    var out: [HTTPRequest] = []
    var i = 0
    repeat {
        let end = min(bytes.count, i + max(1, min(split, bytes.count)))
        parser.append(bytes[i..<end])
        i = end
        do {
            while let r = try parser.next() { out.append(r) }
        } catch {
            return (out, error)
        }
    } while i < bytes.count
    return (out, nil)
}

/// What boto3 sends for InvokeModel (headers abbreviated, SigV4 values made up).
let invokeRequest = """
POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke HTTP/1.1\r
Host: bedrock-runtime.us-east-1.amazonaws.com\r
Accept-Encoding: identity\r
Content-Type: application/json\r
Accept: application/json\r
User-Agent: Boto3/1.40.0 md/Botocore#1.43.11\r
X-Amz-Date: 20260101T000000Z\r
Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=abc\r
Content-Length: 15\r
\r
{"prompt":"hi"}
"""

@Suite("HTTP/1.1 request parser")
struct HTTPParserTests {
    @Test("a boto3 InvokeModel request parses identically at every split size", arguments: [1, 2, 3, 7, 64, Int.max])
    func botoRequest(split: Int) throws {
        let (requests, error) = parse(invokeRequest, split: split)
        #expect(error == nil)
        let r = try #require(requests.first)
        #expect(requests.count == 1)
        #expect(r.method == "POST")
        #expect(r.path == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke")
        #expect(r.query == "")
        #expect(r.headers["content-type"] == "application/json")
        #expect(r.headers["AUTHORIZATION"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
        #expect(r.body == Array(#"{"prompt":"hi"}"#.utf8))
        #expect(r.keepAlive)
        #expect(!r.wasChunked)
    }

    @Test("pipelined keep-alive requests, query strings, Connection: close and HTTP/1.0")
    func pipelining() throws {
        let text = "GET /foundation-models?byProvider=Anthropic&byOutputModality=TEXT HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
            + "GET / HTTP/1.0\r\n\r\n"
            + "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        let (requests, error) = parse(text, split: 5)
        #expect(error == nil)
        #expect(requests.count == 4)
        #expect(requests[0].path == "/foundation-models")
        #expect(requests[0].query == "byProvider=Anthropic&byOutputModality=TEXT")
        #expect(requests[0].keepAlive)
        #expect(requests[1].body == Array("abc".utf8))
        #expect(!requests[1].keepAlive)
        #expect(!requests[2].keepAlive)
        #expect(requests[3].keepAlive)
    }

    @Test("chunked bodies with extensions and trailers are de-chunked", arguments: [1, 4, Int.max])
    func chunked(split: Int) throws {
        let text = "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n7;name=value\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"
        let (requests, error) = parse(text, split: split)
        #expect(error == nil)
        #expect(requests.count == 2)
        #expect(requests.first?.body == Array("hello, world0123456789".utf8))
        #expect(requests.first?.wasChunked == true)
        #expect(requests.last?.path == "/next")
    }

    @Test("bare-LF line endings are accepted (RFC 9112 §2.2)")
    func bareLF() {
        let (requests, error) = parse("GET /a HTTP/1.1\nHost: h\n\n")
        #expect(error == nil)
        #expect(requests.count == 1)
    }

    @Test("incomplete requests wait for more bytes and report that a request is pending")
    func partial() throws {
        var p = HTTPRequestParser()
        p.append(Array("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\nabc".utf8))
        #expect(try p.next() == nil)
        #expect(p.hasPartialRequest)
        #expect(p.pendingHead?.headers["expect"] == "100-continue")
        p.append(Array("defghij".utf8))
        #expect(try p.next()?.body.count == 10)
        #expect(!p.hasPartialRequest)
    }

    /// Each malformed input with the status it must get and a word the message must contain.
    static let malformed: [(String, Int, String)] = [
        ("GET /a HTTP/1.1\r\n\r\n", 400, "Host"),
        ("GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host"),
        ("GET  /a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request line"),
        ("GET /a\r\nHost: h\r\n\r\n", 400, "request line"),
        ("G(T /a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method"),
        ("GET a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "origin form"),
        ("GET /a\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"),
        ("GET /a HTTP/2.0\r\nHost: h\r\n\r\n", 505, "HTTP/2.0"),
        ("GET /a HTTX/1.1\r\nHost: h\r\n\r\n", 400, "HTTP version"),
        ("GET /a HTTP/1.1\r\nHost h\r\n\r\n", 400, "colon"),
        ("GET /a HTTP/1.1\r\nHost : h\r\n\r\n", 400, "whitespace before the colon"),
        ("GET /a HTTP/1.1\r\n: v\r\nHost: h\r\n\r\n", 400, "empty name"),
        ("GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\r\n folded\r\n\r\n", 400, "folding"),
        ("GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\u{01}b\r\n\r\n", 400, "control"),
        ("GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", 400, "control"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, "conflicting"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd", 400, "conflicting"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: -3\r\n\r\n", 400, "Content-Length"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400, "Content-Length"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, "Content-Length"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "both"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "chunked"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "gzip"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501, "chunked"),
        ("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "hexadecimal"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400, "chunk-size"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 400, "chunk-size"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", 400, "longer than its chunk-size"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n", 400, "CRLF"),
        ("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400, "colon"),
        ("\rGET /a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bare CR"),
        ("GET /a HTTP/1.1\r\nHost: h\r\nX-A: \u{00}\r\n\r\n", 400, "control"),
    ]

    @Test("malformed requests get a 400-class error naming the problem, at any split size")
    func malformedInputs() {
        for (text, status, word) in Self.malformed {
            for split in [1, 3, Int.max] {
                let (_, error) = parse(text, split: split)
                #expect(error?.status == status, "\(text.debugDescription) split \(split): \(String(describing: error))")
                #expect(error?.message.contains(word) == true, "\(text.debugDescription): \(String(describing: error)) lacks \(word)")
            }
        }
    }

    @Test("invalid UTF-8 in a header value is refused")
    func invalidUTF8() {
        let bytes = Array("GET /a HTTP/1.1\r\nHost: h\r\nX-A: ".utf8) + [0xC3, 0x28] + Array("\r\n\r\n".utf8)
        let (_, error) = parse(bytes)
        #expect(error?.status == 400)
        #expect(error?.message.contains("UTF-8") == true)
    }

    @Test("limits: 414 long request line, 431 big or many headers, 413 big body, trailers counted too")
    func limits() {
        var limits = HTTPParserLimits()
        limits.maxRequestLineBytes = 100
        limits.maxHeaderBytes = 200
        limits.maxHeaderCount = 5
        limits.maxBodyBytes = 50
        let long = "GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(parse(long, limits: limits).1?.status == 414)
        // Unterminated overlong request line is refused before its end arrives.
        #expect(parse("GET /" + String(repeating: "a", count: 200), limits: limits).1?.status == 414)
        let bigHeader = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 300) + "\r\n\r\n"
        #expect(parse(bigHeader, limits: limits).1?.status == 431)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 400), limits: limits).1?.status == 431)
        let many = "GET / HTTP/1.1\r\nHost: h\r\n" + (0..<6).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        let manyError = parse(many, limits: limits).1
        #expect(manyError?.status == 431)
        #expect(manyError?.message.contains("header fields") == true)
        let bigBody = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 51\r\n\r\n"
        #expect(parse(bigBody, limits: limits).1?.status == 413)
        let bigChunks = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + String(repeating: "c", count: 32)
            + "\r\n20\r\n" + String(repeating: "c", count: 32) + "\r\n0\r\n\r\n"
        #expect(parse(bigChunks, limits: limits).1?.status == 413)
        let trailers = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "X-T: v\r\n", count: 40) + "\r\n"
        #expect(parse(trailers, limits: limits).1?.status == 431)
        // Exactly at the limits is fine.
        let atBody = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\n" + String(repeating: "d", count: 50)
        #expect(parse(atBody, limits: limits).0.count == 1)
    }

    @Test("after an error the parser stays failed")
    func staysFailed() {
        var p = HTTPRequestParser()
        p.append(Array("BAD\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try p.next() }
        p.append(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try p.next() }
    }

    @Test("random and mutated input never crashes the parser")
    func fuzz() {
        var rng = SplitMix64(seed: 7)
        let seeds = [invokeRequest] + Self.malformed.map(\.0)
            + ["POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"]
        var outcomes = [0, 0]
        for _ in 0..<3_000 {
            var bytes = Array(seeds[Int(rng.next() % UInt64(seeds.count))].utf8)
            for _ in 0..<Int(rng.next() % 6) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                default: bytes.remove(at: at)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            let (_, error) = parse(bytes, split: Int(rng.next() % 9) + 1)
            outcomes[error == nil ? 0 : 1] += 1
            if let error { #expect((400...505).contains(error.status)) }
        }
        #expect(outcomes[1] > 0)
    }
}

@Suite("HTTP/1.1 response writer")
struct HTTPResponseWriterTests {
    @Test("a whole response gets Content-Length; CR/LF in values cannot split the head")
    func whole() {
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        h.add("X-Evil", "a\r\nSet-Cookie: x")
        h.add("Bad Name", "dropped")
        h.add("Content-Length", "999")
        let text = String(decoding: HTTPResponseWriter.serialize(status: 200, headers: h, body: Array("{}".utf8)), as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Evil: a  Set-Cookie: x\r\nContent-Length: 2\r\n\r\n{}")
        #expect(String(decoding: HTTPResponseWriter.serialize(status: 204), as: UTF8.self) == "HTTP/1.1 204 No Content\r\n\r\n")
    }

    @Test("a chunked stream round-trips through the request parser's chunk decoder")
    func chunkedStream() throws {
        var h = HTTPHeaders()
        h.add("Content-Type", "application/vnd.amazon.eventstream")
        let head = HTTPResponseWriter.chunkedHead(status: 200, headers: h)
        #expect(String(decoding: head, as: UTF8.self).contains("Transfer-Encoding: chunked\r\n"))
        let parts: [[UInt8]] = [Array("first".utf8), [], Array(repeating: 0x61, count: 300)]
        let body = parts.flatMap(HTTPResponseWriter.chunk) + HTTPResponseWriter.lastChunk
        #expect(HTTPResponseWriter.chunk([]).isEmpty)
        // Reuse the parser's de-chunking by wrapping the body in a request.
        let request = Array("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + body
        let (requests, error) = parse(request)
        #expect(error == nil)
        #expect(requests.first?.body == parts.flatMap { $0 })
    }

    @Test("parse errors become AWS JSON errors botocore can read")
    func awsErrors() {
        let e = HTTPParseError(status: 413, "Content-Length 9999999 exceeds the 6291456-byte limit")
        let text = String(decoding: HTTPResponseWriter.parseErrorResponse(e, requestId: "req-1"), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
        #expect(text.contains("x-amzn-ErrorType: ValidationException\r\n"))
        #expect(text.contains("x-amzn-RequestId: req-1\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.hasSuffix(#"{"message":"Content-Length 9999999 exceeds the 6291456-byte limit","__type":"ValidationException"}"#))
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
