import ASCIIText
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SimCrypto
import Synchronization

/// What a signature was computed from, for logs and known-answer tests.
public struct SigV4SigningResult: Sendable {
    /// The request with `X-Amz-Date`, `Authorization` and (if any) `X-Amz-Security-Token` /
    /// `X-Amz-Content-Sha256` headers added.
    public var request: SigV4Request
    /// The canonical request and string to sign as signed (Strings made only when asked for: the signing hot path
    /// needs just the request).
    public var canonicalRequestBytes: [UInt8]
    public var stringToSignBytes: [UInt8]
    public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
    public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
    /// Lowercase hex signature.
    public var signature: String
    /// The `Authorization` header value.
    public var authorization: String
    /// The `SignedHeaders` list, e.g. `accept;content-type;host;x-amz-date`.
    public var signedHeaders: String
}

/// Signs requests with AWS Signature Version 4 (header form), the way botocore's `SigV4Auth` does.
public enum SigV4Signer {
    static let keyCache = SigningKeyCache()
    /// Headers botocore never signs (`botocore.auth.SIGNED_HEADERS_BLACKLIST`) plus `authorization`:
    /// hop-by-hop headers and ones that proxies or HTTP clients may rewrite.
    public static let defaultUnsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    public struct Options: Sendable {
        /// Add and sign `X-Amz-Content-Sha256: <hex sha256 of body>`. botocore does this for S3 only, so
        /// boto3's Bedrock clients do not send it; default off.
        public var addContentSHA256Header: Bool
        /// Sign `X-Amz-Security-Token` (default, as botocore does). When false the token header is added
        /// after signing (the test suite's post-sts-header-after case).
        public var signSessionToken: Bool
        /// Canonical URI rule; `.standard` for every service but S3.
        public var pathStyle: SigV4PathStyle
        /// Lowercase names of headers left out of the signature.
        public var unsignedHeaders: Set<String>

        public init(addContentSHA256Header: Bool = false, signSessionToken: Bool = true,
                    pathStyle: SigV4PathStyle = .standard, unsignedHeaders: Set<String> = SigV4Signer.defaultUnsignedHeaders) {
            self.addContentSHA256Header = addContentSHA256Header
            self.signSessionToken = signSessionToken
            self.pathStyle = pathStyle
            self.unsignedHeaders = unsignedHeaders
        }
    }

    /// Returns `request` signed for `service` in `region` at `date`. Any existing `Authorization`,
    /// `X-Amz-Date` (and, with a session token, `X-Amz-Security-Token`) header is replaced.
    /// Every header present is signed except ``Options/unsignedHeaders``, so include `Host` and leave
    /// out headers your HTTP client adds later (`Content-Length`, `amz-sdk-*` as botocore does).
    public static func sign(_ request: SigV4Request, credentials: SigV4Credentials, region: String, service: String,
                            date: Date, options: Options = Options()) -> SigV4Request {
        signWithDetails(request, credentials: credentials, region: region, service: service, date: date, options: options).request
    }

    /// Same, with the intermediate strings.
    public static func signWithDetails(_ request: SigV4Request, credentials: SigV4Credentials, region: String, service: String,
                                       date: Date, options: Options = Options()) -> SigV4SigningResult {
        signWithDetails(request, credentials: credentials, region: region, service: service,
                        amzDate: SigV4Date.amzDate(date), options: options)
    }

    /// The signed header names (lowercase, sorted, without duplicates) and their `;`-joined list for a request's
    /// headers. A caller's requests carry the same header names call after call, so the last answer is kept and
    /// reused when the names (as given) and the unsigned set are the same.
    static func signedHeaderList(_ headers: [SigV4Header], unsigned: Set<String>) -> (names: [String], list: String) {
        let hit: (names: [String], list: String)? = lastHeaderList.withLock { last in
            guard let last, last.given.count == headers.count, last.unsigned == unsigned else { return nil }
            for i in headers.indices where headers[i].name != last.given[i] { return nil }
            return (last.names, last.list)
        }
        if let hit { return hit }
        var names: [String] = []
        names.reserveCapacity(headers.count)
        for header in headers {
            let name = ASCII.lowercased(header.name.trimmingASCIIWhitespace())
            if !unsigned.contains(name) { names.append(name) }
        }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var signedHeaderNames: [String] = []
        signedHeaderNames.reserveCapacity(names.count)
        var signedHeaders = ""
        signedHeaders.reserveCapacity(names.reduce(names.count) { $0 + $1.utf8.count })
        for name in names where signedHeaderNames.last != name {
            if !signedHeaderNames.isEmpty { signedHeaders += ";" }
            signedHeaders += name
            signedHeaderNames.append(name)
        }
        let given = headers.map(\.name)
        lastHeaderList.withLock { $0 = (given, unsigned, signedHeaderNames, signedHeaders) }
        return (signedHeaderNames, signedHeaders)
    }
    /// The credential scope of the last signature: it changes once a day per region and service.
    static func credentialScope(date: String, region: String, service: String) -> String {
        if let hit = lastScope.withLock({ last -> String? in
            guard let last, last.date == date, last.region == region, last.service == service else { return nil }
            return last.scope
        }) { return hit }
        let scope = SigV4Canonical.credentialScope(date: date, region: region, service: service)
        lastScope.withLock { $0 = (date, region, service, scope) }
        return scope
    }
    private static let lastScope = Mutex<(date: String, region: String, service: String, scope: String)?>(nil)
    private static let lastHeaderList = Mutex<(given: [String], unsigned: Set<String>, names: [String], list: String)?>(nil)

    /// Same, with the timestamp given as an amz-date string (`20150830T123600Z`).
    public static func signWithDetails(_ request: SigV4Request, credentials: SigV4Credentials, region: String, service: String,
                                       amzDate: String, options: Options = Options()) -> SigV4SigningResult {
        var signed = request
        signed.headers.reserveCapacity(request.headers.count + 4)   // the date, token, hash and Authorization headers
        signed.removeHeader("Authorization")
        signed.setHeader("X-Amz-Date", amzDate)
        if let token = credentials.sessionToken {
            if options.signSessionToken {
                signed.setHeader("X-Amz-Security-Token", token)
            } else {
                signed.removeHeader("X-Amz-Security-Token")
            }
        }
        if options.addContentSHA256Header {
            signed.setHeader("X-Amz-Content-Sha256", SHA256Digest.hexDigest(signed.body))
        }
        // botocore: an explicit X-Amz-Content-Sha256 header is used as the payload hash as it stands.
        let payloadHash = signed.firstValue(for: "x-amz-content-sha256") ?? SHA256Digest.hexDigest(signed.body)

        let (signedHeaderNames, signedHeaders) = signedHeaderList(signed.headers, unsigned: options.unsignedHeaders)
        let canonicalBytes = SigV4Canonical.canonicalRequestBytes(
            method: signed.method, path: signed.path, style: options.pathStyle, query: signed.query, headers: signed.headers,
            signedHeaderNames: signedHeaderNames, signedHeaders: signedHeaders, payloadHash: payloadHash)
        let scopeDate = String(decoding: amzDate.utf8.prefix(8), as: UTF8.self)
        let scope = credentialScope(date: scopeDate, region: region, service: service)
        let stringToSignBytes = SigV4Canonical.stringToSignBytes(amzDate: amzDate, credentialScope: scope, canonicalRequest: canonicalBytes)
        // Derived once per (key, day, region, service), as SDKs do: four HMACs saved on every request.
        let key = keyCache.signingKey(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
                                      date: scopeDate, region: region, service: service)
        let signature = String(decoding: SigV4Canonical.signatureBytes(signingKey: key, stringToSign: stringToSignBytes), as: UTF8.self)
        var authorization = ""
        authorization.reserveCapacity(64 + credentials.accessKeyId.utf8.count + scope.utf8.count + signedHeaders.utf8.count + signature.utf8.count)
        authorization += SigV4Canonical.algorithm; authorization += " Credential="; authorization += credentials.accessKeyId
        authorization += "/"; authorization += scope; authorization += ", SignedHeaders="; authorization += signedHeaders
        authorization += ", Signature="; authorization += signature
        signed.headers.append(SigV4Header("Authorization", authorization))
        if let token = credentials.sessionToken, !options.signSessionToken {
            signed.headers.append(SigV4Header("X-Amz-Security-Token", token))
        }
        return SigV4SigningResult(request: signed, canonicalRequestBytes: canonicalBytes, stringToSignBytes: stringToSignBytes,
                                  signature: signature, authorization: authorization, signedHeaders: signedHeaders)
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        if !SigV4Canonical.isWhitespace(first) && !SigV4Canonical.isWhitespace(last) { return self }
        let bytes = Array(utf8)
        var start = 0, end = bytes.count
        while start < end, SigV4Canonical.isWhitespace(bytes[start]) { start += 1 }
        while end > start, SigV4Canonical.isWhitespace(bytes[end - 1]) { end -= 1 }
        if start == 0 && end == bytes.count { return self }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
