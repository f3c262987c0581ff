#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SimCrypto
import ASCIIText
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the verifier knows about an access key.
public struct SigV4Secret: Sendable, Hashable {
    public var secretAccessKey: String
    /// nil for a long-term key (`AKIA…`): a request carrying `X-Amz-Security-Token` is then rejected.
    /// Non-nil for temporary credentials (`ASIA…`): the request must carry exactly this token.
    public var sessionToken: String?
    /// Temporary credentials past their expiry: rejected with `ExpiredTokenException`.
    public var isExpired: Bool

    public init(secretAccessKey: String, sessionToken: String? = nil, isExpired: Bool = false) {
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.isExpired = isExpired
    }
}

/// A verified request's identity and scope.
public struct SigV4Authenticated: Sendable, Hashable {
    public var accessKeyId: String
    /// The region from the credential scope (one of the verifier's regions).
    public var region: String
    public var service: String
    /// The signing time (`X-Amz-Date`, or `Date`), as seconds since 1970.
    public var signedAtEpochSeconds: Int64
    /// Lowercase names from `SignedHeaders`, in the order given.
    public var signedHeaders: [String]
    /// Whether the request was made with temporary credentials (a session token).
    public var usedSessionToken: Bool
}

/// Why a request was rejected, in the real service's terms: the error type (`x-amzn-ErrorType` /
/// `__type`), HTTP status and message wording that AWS front ends return for SigV4 failures.
public struct SigV4Failure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        case missingAuthentication, malformedAuthorization, malformedCredential, invalidDate, missingDate
        case unknownAccessKey, invalidSessionToken, expiredSessionToken
        case badTerminator, wrongRegion, wrongService, scopeDateMismatch, hostNotSigned, dateNotSigned
        case signatureExpired, signatureNotYetCurrent, payloadHashMismatch, unsignedPayloadNotAllowed, signatureMismatch
    }

    public var reason: Reason
    /// e.g. `InvalidSignatureException`.
    public var errorType: String
    /// e.g. 403.
    public var httpStatus: Int
    public var message: String
    /// For signature mismatches: the canonical request and string to sign the server computed (some AWS
    /// services append these to the message; kept separate here so logs can show them).
    public var canonicalRequest: String?
    public var stringToSign: String?

    public var description: String { "\(errorType) (\(httpStatus)): \(message)" }

    static let signatureMismatchMessage = "The request signature we calculated does not match the signature you provided. "
        + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

    static func invalidSignature(_ reason: Reason, _ message: String) -> SigV4Failure {
        SigV4Failure(reason: reason, errorType: "InvalidSignatureException", httpStatus: 403, message: message)
    }

    static func incomplete(_ reason: Reason, _ message: String) -> SigV4Failure {
        SigV4Failure(reason: reason, errorType: "IncompleteSignatureException", httpStatus: 400, message: message)
    }

    static func unrecognizedClient(_ reason: Reason) -> SigV4Failure {
        SigV4Failure(reason: reason, errorType: "UnrecognizedClientException", httpStatus: 403,
                     message: "The security token included in the request is invalid.")
    }
}

public enum SigV4Verification: Sendable, Hashable {
    case authenticated(SigV4Authenticated)
    case rejected(SigV4Failure)

    public var isAuthenticated: Bool {
        if case .authenticated = self { true } else { false }
    }

    public var failure: SigV4Failure? {
        if case .rejected(let failure) = self { failure } else { nil }
    }
}

/// Verifies SigV4-signed requests (Authorization header form) the way an AWS service front end does.
///
/// Checks, in order: header present and well formed; credential scope (terminator, region, service,
/// date); `host` and `x-amz-date` signed; clock skew; access key and session token; payload hash;
/// signature (compared in constant time).
public struct SigV4Verifier: Sendable {
    /// Looks up an access key id; nil means the key does not exist.
    public typealias CredentialLookup = @Sendable (_ accessKeyId: String) -> SigV4Secret?

    /// The signing name every credential scope must carry (`bedrock` for runtime and control plane).
    public var service: String
    /// Regions this endpoint serves; a scope for any other region is rejected.
    public var regions: Set<String>
    /// Allowed difference between the signing time and `now`, either way (AWS: 5 minutes).
    public var allowedClockSkewSeconds: Int64
    public var pathStyle: SigV4PathStyle
    /// Accept `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`. Off: Bedrock operations sign their payloads.
    public var allowUnsignedPayload: Bool
    public var lookup: CredentialLookup
    /// Shared by copies of this verifier; thread-safe.
    private let keyCache = SigningKeyCache()
    private let authorizationMemo = AuthorizationMemo()

    public init(service: String = "bedrock", regions: Set<String>, allowedClockSkewSeconds: Int64 = 300,
                pathStyle: SigV4PathStyle = .standard, allowUnsignedPayload: Bool = false,
                lookup: @escaping CredentialLookup) {
        self.service = service
        self.regions = regions
        self.allowedClockSkewSeconds = allowedClockSkewSeconds
        self.pathStyle = pathStyle
        self.allowUnsignedPayload = allowUnsignedPayload
        self.lookup = lookup
    }

    public func verify(_ request: SigV4Request, now: Date) -> SigV4Verification {
        verify(request, nowEpochSeconds: Int64(now.timeIntervalSince1970.rounded(.down)))
    }

    public func verify(_ request: SigV4Request, nowEpochSeconds now: Int64) -> SigV4Verification {
        switch check(request, now: now) {
        case .success(let identity): .authenticated(identity)
        case .failure(let failure): .rejected(failure)
        }
    }

    private func check(_ request: SigV4Request, now: Int64) -> Result<SigV4Authenticated, SigV4Failure> {
        // 1. The Authorization header.
        let authorizations = request.values(for: "Authorization")
        guard let rawAuthorization = authorizations.first else {
            return .failure(SigV4Failure(reason: .missingAuthentication, errorType: "MissingAuthenticationTokenException",
                                         httpStatus: 403, message: "Missing Authentication Token"))
        }
        guard authorizations.count == 1 else {
            return .failure(.incomplete(.malformedAuthorization, "Multiple Authorization headers are not allowed."))
        }
        let authorization = rawAuthorization.trimmingASCIIWhitespace()
        let parsed: ParsedAuthorization
        if let remembered = authorizationMemo.lookup(authorization) {
            parsed = remembered
        } else {
            switch ParsedAuthorization.parse(authorization, request: request) {
            case .success(let value): parsed = value; authorizationMemo.store(authorization, parsed)
            case .failure(let failure): return .failure(failure)
            }
        }

        // 2. The signing time.
        let amzDate: String
        let signedAt: Int64
        if let value = request.firstValue(for: "X-Amz-Date") {
            guard let seconds = SigV4Date.epochSeconds(amzDate: value.trimmingASCIIWhitespace()) else {
                return .failure(.invalidSignature(.invalidDate,
                    "Date must be in ISO-8601 'basic format'. Got '\(value)'. See http://en.wikipedia.org/wiki/ISO_8601"))
            }
            amzDate = value.trimmingASCIIWhitespace()
            signedAt = seconds
        } else if let value = request.firstValue(for: "Date") {
            guard let seconds = SigV4Date.epochSeconds(httpDate: value.trimmingASCIIWhitespace()) else {
                return .failure(.invalidSignature(.invalidDate, "Date must be in RFC 1123 format. Got '\(value)'."))
            }
            amzDate = SigV4Date.amzDate(epochSeconds: seconds)
            signedAt = seconds
        } else {
            return .failure(.incomplete(.missingDate,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=\(authorization)"))
        }

        // 3. The credential scope.
        let scope = parsed.credentialParts
        guard scope[4] == SigV4Canonical.terminator else {
            return .failure(.invalidSignature(.badTerminator,
                "Credential should be scoped with a valid terminator: 'aws4_request', not '\(scope[4])'. "))
        }
        guard regions.contains(scope[2]) else {
            return .failure(.invalidSignature(.wrongRegion, "Credential should be scoped to a valid region, not '\(scope[2])'. "))
        }
        guard scope[3] == service else {
            return .failure(.invalidSignature(.wrongService, "Credential should be scoped to correct service: '\(service)'. "))
        }
        let requestDay = String(decoding: amzDate.utf8.prefix(8), as: UTF8.self)
        guard scope[1] == requestDay else {
            return .failure(.invalidSignature(.scopeDateMismatch,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(scope[1])' != '\(requestDay)', from '\(amzDate)'."))
        }

        // 4. Headers that must be covered by the signature.
        guard parsed.signedHeaderNames.contains("host") || parsed.signedHeaderNames.contains(":authority") else {
            return .failure(.invalidSignature(.hostNotSigned, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."))
        }
        let dateHeader = request.firstValue(for: "X-Amz-Date") != nil ? "x-amz-date" : "date"
        guard parsed.signedHeaderNames.contains(dateHeader) else {
            // Assumption (no captured AWS wording): modelled on the Host rule above. Without this an
            // attacker could replay a signature with a fresh, unsigned date.
            let display = dateHeader == "x-amz-date" ? "X-Amz-Date" : "Date"
            return .failure(.invalidSignature(.dateNotSigned, "'\(display)' must be a 'SignedHeader' in the AWS Authorization."))
        }

        // 5. Clock skew (AWS wording: "Signature expired: <date> is now earlier than <now-5m> (<now> - 5 min.)").
        func skewText() -> String {
            allowedClockSkewSeconds % 60 == 0 ? "\(allowedClockSkewSeconds / 60) min." : "\(allowedClockSkewSeconds) sec."
        }
        if signedAt < now - allowedClockSkewSeconds {
            return .failure(.invalidSignature(.signatureExpired,
                "Signature expired: \(amzDate) is now earlier than \(SigV4Date.amzDate(epochSeconds: now - allowedClockSkewSeconds)) "
                    + "(\(SigV4Date.amzDate(epochSeconds: now)) - \(skewText()))"))
        }
        if signedAt > now + allowedClockSkewSeconds {
            return .failure(.invalidSignature(.signatureNotYetCurrent,
                "Signature not yet current: \(amzDate) is still later than \(SigV4Date.amzDate(epochSeconds: now + allowedClockSkewSeconds)) "
                    + "(\(SigV4Date.amzDate(epochSeconds: now)) + \(skewText()))"))
        }

        // 6. Access key and session token.
        let accessKeyId = scope[0]
        guard let secret = lookup(accessKeyId) else { return .failure(.unrecognizedClient(.unknownAccessKey)) }
        let presentedToken = request.firstValue(for: "X-Amz-Security-Token")
        switch (secret.sessionToken, presentedToken) {
        case (nil, nil):
            break
        case (let expected?, let presented?) where constantTimeEquals(Array(expected.utf8), utf8: presented):
            if secret.isExpired {
                return .failure(SigV4Failure(reason: .expiredSessionToken, errorType: "ExpiredTokenException", httpStatus: 403,
                                             message: "The security token included in the request is expired"))
            }
        default:
            return .failure(.unrecognizedClient(.invalidSessionToken))
        }

        // 7. Payload hash: the body must hash to what was signed (the declared hex is compared with the digest's
        // bytes, so neither a hex String of the digest nor a lowercased copy of the header is made per call).
        let bodyDigest = SHA256Digest.hash(request.body)
        let payloadHash: String
        if let declared = request.firstValue(for: "X-Amz-Content-Sha256")?.trimmingASCIIWhitespace() {
            if declared == SigV4Canonical.unsignedPayload {
                guard allowUnsignedPayload else {
                    return .failure(.invalidSignature(.unsignedPayloadNotAllowed, SigV4Failure.signatureMismatchMessage))
                }
            } else if !SigV4Canonical.isHex(declared, of: bodyDigest) {
                // The body changed after signing (or the header lies): treated as a bad signature.
                return .failure(.invalidSignature(.payloadHashMismatch, SigV4Failure.signatureMismatchMessage))
            }
            payloadHash = declared
        } else {
            payloadHash = SHA256Digest.hex(bodyDigest)
        }

        // 8. The signature, computed over bytes (the texts are made only for a mismatch's message).
        let canonicalRequest = SigV4Canonical.canonicalRequestBytes(
            method: request.method, path: request.path, style: pathStyle, query: request.query, headers: request.headers,
            signedHeaderNames: parsed.signedHeaderNames, signedHeaders: parsed.signedHeaders, payloadHash: payloadHash)
        let credentialScope = parsed.credentialScope
        let stringToSign = SigV4Canonical.stringToSignBytes(amzDate: amzDate, credentialScope: credentialScope,
                                                            canonicalRequest: canonicalRequest)
        let key = keyCache.signingKey(accessKeyId: accessKeyId, secretAccessKey: secret.secretAccessKey,
                                      date: scope[1], region: scope[2], service: scope[3])
        // Compare the hex text (AWS signatures are lowercase hex) in constant time.
        let expected = SigV4Canonical.signatureBytes(signingKey: key, stringToSign: stringToSign)
        guard constantTimeEquals(expected, utf8: parsed.signature) else {
            var failure = SigV4Failure.invalidSignature(.signatureMismatch, SigV4Failure.signatureMismatchMessage)
            failure.canonicalRequest = String(decoding: canonicalRequest, as: UTF8.self)
            failure.stringToSign = String(decoding: stringToSign, as: UTF8.self)
            return .failure(failure)
        }
        return .success(SigV4Authenticated(accessKeyId: accessKeyId, region: scope[2], service: scope[3], signedAtEpochSeconds: signedAt,
                                           signedHeaders: parsed.signedHeaderNames, usedSessionToken: presentedToken != nil))
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=…`
struct ParsedAuthorization {
    var credentialParts: [String]
    /// `date/region/service/aws4_request` as the string to sign has it (made once per parse, so a remembered
    /// parse brings it along).
    var credentialScope: String
    var signedHeaders: String
    var signedHeaderNames: [String]
    var signature: String

    static func parse(_ header: String, request: SigV4Request) -> Result<ParsedAuthorization, SigV4Failure> {
        var credential: String?, signedHeaders: String?, signature: String?
        var malformedComponent: String?
        // Byte-level scan: Character-based String splitting costs microseconds on this hot path.
        var text = header
        text.withUTF8 { buffer in
            let prefix = SigV4Canonical.algorithm.utf8
            guard buffer.count > prefix.count, buffer.starts(with: prefix), buffer[prefix.count] == UInt8(ascii: " ") else { return }
            func slice(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self) }
            func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
                guard range.count == literal.utf8CodeUnitCount else { return false }
                let bytes = literal.utf8Start
                for (k, i) in range.enumerated() where buffer[i] != bytes[k] { return false }
                return true
            }
            var i = prefix.count + 1
            while i < buffer.count {
                var end = i
                while end < buffer.count && buffer[end] != UInt8(ascii: ",") { end += 1 }
                var lo = i, hi = end
                while lo < hi && SigV4Canonical.isWhitespace(buffer[lo]) { lo += 1 }
                while hi > lo && SigV4Canonical.isWhitespace(buffer[hi - 1]) { hi -= 1 }
                if lo < hi {
                    guard let eq = (lo..<hi).first(where: { buffer[$0] == UInt8(ascii: "=") }) else {
                        malformedComponent = slice(lo..<hi)
                        return
                    }
                    if equals(lo..<eq, "Credential") {
                        credential = slice((eq + 1)..<hi)
                    } else if equals(lo..<eq, "SignedHeaders") {
                        signedHeaders = slice((eq + 1)..<hi)
                    } else if equals(lo..<eq, "Signature") {
                        signature = slice((eq + 1)..<hi)
                    }
                }
                i = end + 1
            }
        }
        if let malformedComponent {
            return .failure(.incomplete(.malformedAuthorization,
                "'\(malformedComponent)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'."))
        }
        // AWS lists everything that is missing in one message, ending with the header as received.
        var missing: [String] = []
        if credential == nil { missing.append("Authorization header requires 'Credential' parameter.") }
        if signature == nil { missing.append("Authorization header requires 'Signature' parameter.") }
        if signedHeaders == nil { missing.append("Authorization header requires 'SignedHeaders' parameter.") }
        if !missing.isEmpty {
            if request.firstValue(for: "X-Amz-Date") == nil && request.firstValue(for: "Date") == nil {
                missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
            }
            return .failure(.incomplete(.malformedAuthorization, missing.joined(separator: " ") + " Authorization=\(header)"))
        }
        guard let credential, let signedHeaders, let signature else {
            return .failure(.incomplete(.malformedAuthorization, "Authorization=\(header)"))
        }
        let parts = splitASCII(credential, separator: UInt8(ascii: "/"), omittingEmpty: false)
        guard parts.count == 5, !parts[0].isEmpty else {
            return .failure(.incomplete(.malformedCredential,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '\(credential)'"))
        }
        let names = splitASCII(signedHeaders, separator: UInt8(ascii: ";"), omittingEmpty: true)
        return .success(ParsedAuthorization(credentialParts: parts,
                                            credentialScope: SigV4Canonical.credentialScope(date: parts[1], region: parts[2], service: parts[3]),
                                            signedHeaders: signedHeaders,
                                            signedHeaderNames: names, signature: signature))
    }
}

/// The last Authorization header parsed, without its signature: a caller's headers differ from call to call only
/// in the `Signature=` component (and daily in the scope's date), so the same prefix gives the same credential and
/// signed headers. Used only when the header's last component is `Signature=…`; the parse of the prefix is then
/// the full parse's (a later component overrides an earlier one, and the last one sets only the signature).
final class AuthorizationMemo: Sendable {
    private struct Entry: Sendable {
        var prefix: [UInt8]
        var parsed: ParsedAuthorization
    }
    private let last = Mutex<Entry?>(nil)
    private static let signatureKey = Array("Signature=".utf8)

    /// Where the header splits: the bytes before its last comma, and the signature after `Signature=`.
    private static func split(_ header: UnsafeBufferPointer<UInt8>) -> (prefix: UnsafeBufferPointer<UInt8>, signature: UnsafeBufferPointer<UInt8>)? {
        guard let comma = header.lastIndex(of: UInt8(ascii: ",")) else { return nil }
        var lo = comma + 1, hi = header.count
        while lo < hi && SigV4Canonical.isWhitespace(header[lo]) { lo += 1 }
        while hi > lo && SigV4Canonical.isWhitespace(header[hi - 1]) { hi -= 1 }
        let key = signatureKey
        guard hi - lo >= key.count else { return nil }
        for k in 0..<key.count where header[lo + k] != key[k] { return nil }
        return (UnsafeBufferPointer(rebasing: header[0..<comma]), UnsafeBufferPointer(rebasing: header[(lo + key.count)..<hi]))
    }

    func lookup(_ header: String) -> ParsedAuthorization? {
        ASCII.withUTF8(header) { bytes in
            guard let (prefix, signature) = Self.split(bytes) else { return nil }
            return last.withLock { entry -> ParsedAuthorization? in
                guard let entry, prefix.count > 0, entry.prefix.count == prefix.count,
                      entry.prefix.withUnsafeBufferPointer({ memcmp($0.baseAddress!, prefix.baseAddress!, prefix.count) == 0 }) else { return nil }
                var parsed = entry.parsed
                parsed.signature = String(decoding: signature, as: UTF8.self)
                return parsed
            }
        }
    }

    func store(_ header: String, _ parsed: ParsedAuthorization) {
        ASCII.withUTF8(header) { bytes in
            guard let (prefix, _) = Self.split(bytes) else { return }
            last.withLock { $0 = Entry(prefix: Array(prefix), parsed: parsed) }
        }
    }
}
