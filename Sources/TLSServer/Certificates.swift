internal import CLibSSL

/// Why a TLS operation failed, with OpenSSL's own error strings (e.g. "error:0A000102:SSL routines::unsupported
/// protocol") when it gave any.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// Drains this thread's OpenSSL error queue into the message.
    static func openssl(_ what: String) -> TLSError {
        var details: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            details.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(details.isEmpty ? what : "\(what): \(details.joined(separator: "; "))")
    }

    public var description: String { message }
}

/// A per-run certificate authority: an EC P-256 key and a self-signed CA certificate. Its PEM goes to the run
/// directory so that `AWS_CA_BUNDLE` (and `openssl s_client -CAfile`) trust the simulator's listeners, and to
/// nothing else; the key never has to leave the process that issues the server certificates.
/// Immutable after creation, so it may be shared between threads.
public final class TLSCertificateAuthority: @unchecked Sendable {
    let key: OpaquePointer
    let certificate: OpaquePointer

    /// Generates a new CA valid from one hour ago (clock skew) for `validDays`.
    public init(commonName: String = "bedrock-sim run CA", validDays: Int = 30) throws(TLSError) {
        ERR_clear_error()
        guard let key = clibssl_ec_p256_keygen() else { throw TLSError.openssl("CA key generation failed") }
        guard let cert = X509_new() else {
            EVP_PKEY_free(key)
            throw TLSError.openssl("X509_new failed")
        }
        self.key = key
        self.certificate = cert
        try buildCertificate(cert, subjectCN: commonName, publicKey: key, issuer: nil, validDays: validDays, extensions: [
            (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
            (NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ], signingKey: key)
    }

    /// Loads a CA written earlier (e.g. by `bedrock-sim up`) from PEM.
    public init(certificatePEM: String, privateKeyPEM: String) throws(TLSError) {
        let (cert, key) = try loadPair(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, what: "CA")
        self.certificate = cert
        self.key = key
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    public var certificatePEM: String {
        get throws(TLSError) { try pem { PEM_write_bio_X509($0, certificate) } }
    }

    /// PKCS#8 PEM of the CA key (write it 0600 if the CA must outlive the process).
    public var privateKeyPEM: String {
        get throws(TLSError) { try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) } }
    }

    /// The names a Bedrock SDK endpoint must answer to in `region`: what the SDK would resolve through the
    /// PrivateLink endpoint's private DNS, plus loopback for `--endpoint-url https://localhost:PORT`.
    public static func bedrockServerNames(region: String) -> (dnsNames: [String], ipAddresses: [String]) {
        (["localhost", "bedrock-runtime.\(region).amazonaws.com", "bedrock.\(region).amazonaws.com"], ["127.0.0.1", "::1"])
    }

    /// Issues a server certificate (new EC P-256 key, serverAuth, the given SANs) signed by this CA.
    public func issueServerCertificate(dnsNames: [String], ipAddresses: [String] = [], commonName: String? = nil, validDays: Int = 30) throws(TLSError) -> TLSServerIdentity {
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else { throw TLSError("a server certificate needs at least one subject alternative name") }
        for name in dnsNames + ipAddresses where name.isEmpty || name.contains(",") || name.contains(":") && !ipAddresses.contains(name) {
            throw TLSError("invalid subject alternative name \"\(name)\"")
        }
        ERR_clear_error()
        guard let key = clibssl_ec_p256_keygen() else { throw TLSError.openssl("server key generation failed") }
        guard let cert = X509_new() else {
            EVP_PKEY_free(key)
            throw TLSError.openssl("X509_new failed")
        }
        let identity = TLSServerIdentity(certificate: cert, key: key)
        let san = (dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }).joined(separator: ",")
        try buildCertificate(cert, subjectCN: commonName ?? dnsNames.first ?? ipAddresses[0], publicKey: key, issuer: certificate, validDays: validDays, extensions: [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, "serverAuth"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
            (NID_subject_alt_name, san),
        ], signingKey: self.key)
        return identity
    }
}

/// A server certificate and its private key, ready for a `TLSServerContext`. Immutable after creation.
public final class TLSServerIdentity: @unchecked Sendable {
    let certificate: OpaquePointer
    let key: OpaquePointer

    init(certificate: OpaquePointer, key: OpaquePointer) {
        self.certificate = certificate
        self.key = key
    }

    /// Loads an identity written earlier (e.g. the run directory's server certificate and key).
    public convenience init(certificatePEM: String, privateKeyPEM: String) throws(TLSError) {
        let (cert, key) = try loadPair(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, what: "server")
        self.init(certificate: cert, key: key)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    public var certificatePEM: String {
        get throws(TLSError) { try pem { PEM_write_bio_X509($0, certificate) } }
    }

    public var privateKeyPEM: String {
        get throws(TLSError) { try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) } }
    }
}

// MARK: helpers

private func buildCertificate(_ cert: OpaquePointer, subjectCN: String, publicKey: OpaquePointer, issuer: OpaquePointer?,
                              validDays: Int, extensions: [(Int32, String)], signingKey: OpaquePointer) throws(TLSError) {
    ERR_clear_error()
    guard X509_set_version(cert, 2) == 1,  // X.509 v3
          clibssl_set_random_serial(cert) == 1,
          clibssl_set_validity(cert, -3600, validDays) == 1,
          X509_set_pubkey(cert, publicKey) == 1,
          let name = X509_get_subject_name(cert)
    else { throw TLSError.openssl("cannot fill certificate fields") }
    let added = subjectCN.withCString { cn in
        "CN".withCString { X509_NAME_add_entry_by_txt(name, $0, MBSTRING_UTF8, UnsafeRawPointer(cn).assumingMemoryBound(to: UInt8.self), -1, -1, 0) }
    }
    guard added == 1 else { throw TLSError.openssl("cannot set subject CN \"\(subjectCN)\"") }
    let issuerName = issuer.map { X509_get_subject_name($0) } ?? name
    guard X509_set_issuer_name(cert, issuerName) == 1 else { throw TLSError.openssl("cannot set issuer") }
    for (nid, value) in extensions {
        let ok = value.withCString { clibssl_add_extension(cert, issuer ?? cert, nid, $0) }
        guard ok == 1 else { throw TLSError.openssl("cannot add extension \(nid) = \"\(value)\"") }
    }
    guard X509_sign(cert, signingKey, EVP_sha256()) > 0 else { throw TLSError.openssl("certificate signing failed") }
}

private func pem(_ write: (OpaquePointer) -> Int32) throws(TLSError) -> String {
    ERR_clear_error()
    guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.openssl("BIO_new failed") }
    defer { BIO_free(bio) }
    guard write(bio) == 1 else { throw TLSError.openssl("PEM encoding failed") }
    var data: UnsafePointer<CChar>?
    let length = clibssl_bio_contents(bio, &data)
    guard let data, length > 0 else { throw TLSError("PEM encoding produced nothing") }
    return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
}

private func loadPair(certificatePEM: String, privateKeyPEM: String, what: String) throws(TLSError) -> (OpaquePointer, OpaquePointer) {
    ERR_clear_error()
    func bio(_ text: String) -> OpaquePointer? {
        let bytes = Array(text.utf8)
        guard let b = BIO_new(BIO_s_mem()) else { return nil }
        _ = bytes.withUnsafeBytes { BIO_write(b, $0.baseAddress, Int32($0.count)) }
        return b
    }
    guard let certBio = bio(certificatePEM), let keyBio = bio(privateKeyPEM) else { throw TLSError.openssl("BIO_new failed") }
    defer { BIO_free(certBio); BIO_free(keyBio) }
    guard let cert = PEM_read_bio_X509(certBio, nil, nil, nil) else { throw TLSError.openssl("\(what) certificate PEM is not a certificate") }
    guard let key = PEM_read_bio_PrivateKey(keyBio, nil, nil, nil) else {
        X509_free(cert)
        throw TLSError.openssl("\(what) private key PEM is not a private key")
    }
    guard X509_check_private_key(cert, key) == 1 else {
        X509_free(cert); EVP_PKEY_free(key)
        throw TLSError.openssl("\(what) private key does not match its certificate")
    }
    return (cert, key)
}
