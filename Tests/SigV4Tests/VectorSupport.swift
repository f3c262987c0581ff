import Foundation
import Testing
@testable import SigV4

/// Loads files from the `Vectors` resource directory (copied by Package.swift).
enum Vectors {
    static func url(_ relativePath: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Vectors", withExtension: nil), "Vectors resource directory missing")
        return root.appendingPathComponent(relativePath)
    }

    static func text(_ relativePath: String) throws -> String {
        let data = try Data(contentsOf: try url(relativePath))
        return String(decoding: data, as: UTF8.self)
    }

    static func optionalText(_ relativePath: String) -> String? {
        guard let url = try? url(relativePath), let data = try? Data(contentsOf: url) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ relativePath: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: try url(relativePath)))
        return try #require(object as? [String: Any], "\(relativePath): top level is not an object")
    }
}

/// Parses the test suite's `.req` / `.sreq` format: request line, `Name:value` header lines, blank line,
/// body. Indented lines continue the previous header; the suite's canonical request
/// (get-header-value-multiline.creq) treats each such line as one more value of that header.
enum RawHTTP {
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String, file: String) throws -> SigV4Request {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let head: Substring, body: Substring
        if let range = normalized.range(of: "\n\n") {
            head = normalized[..<range.lowerBound]
            body = normalized[range.upperBound...]
        } else {
            head = normalized[...]
            body = ""
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw ParseError(description: "\(file): empty request") }
        let requestLine = lines.removeFirst()
        guard let firstSpace = requestLine.firstIndex(of: " "), requestLine.hasSuffix(" HTTP/1.1") else {
            throw ParseError(description: "\(file): bad request line '\(requestLine)'")
        }
        let method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<requestLine.index(requestLine.endIndex, offsetBy: -9)]
        let path: String, query: String
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = String(target)
            query = ""
        }
        var headers: [SigV4Header] = []
        for line in lines {
            if line.first == " " || line.first == "\t" {
                guard let last = headers.last else { throw ParseError(description: "\(file): continuation before any header") }
                headers.append(SigV4Header(last.name, String(line)))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw ParseError(description: "\(file): bad header line '\(line)'") }
            headers.append(SigV4Header(String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        return SigV4Request(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
    }
}

extension SigV4Request {
    func without(_ names: String...) -> SigV4Request {
        var copy = self
        for name in names { copy.removeHeader(name) }
        return copy
    }
}
