import COpenSSL

/// An error from a SimCrypto operation: what failed (``code``), in which operation, and OpenSSL's
/// own explanation when there is one.
///
/// Equality compares the ``code`` only, so tests and callers can match
/// `CryptoError.authenticationFailure` whatever the operation text says.
public struct CryptoError: Error, Equatable, Hashable, CustomStringConvertible, Sendable {
    /// The kind of failure. A struct over a private enum so that new kinds can be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case authenticationFailure, invalidKey, invalidNonce, invalidParameter, invalidPublicKey, openSSL
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The tag did not verify: the ciphertext, the AAD or the tag was altered, or the input was truncated.
        public static let authenticationFailure = Code(.authenticationFailure)
        /// A key has the wrong length or is otherwise unusable.
        public static let invalidKey = Code(.invalidKey)
        /// A nonce has the wrong length.
        public static let invalidNonce = Code(.invalidNonce)
        /// Another argument is out of range (e.g. an HKDF output length).
        public static let invalidParameter = Code(.invalidParameter)
        /// An X25519 peer public key is malformed or yields an all-zero shared secret.
        public static let invalidPublicKey = Code(.invalidPublicKey)
        /// OpenSSL itself reported a failure (see ``CryptoError/detail``).
        public static let openSSL = Code(.openSSL)

        public var description: String {
            switch base {
            case .authenticationFailure: "authenticationFailure"
            case .invalidKey: "invalidKey"
            case .invalidNonce: "invalidNonce"
            case .invalidParameter: "invalidParameter"
            case .invalidPublicKey: "invalidPublicKey"
            case .openSSL: "openSSL"
            }
        }
    }

    public let code: Code
    /// The operation that failed, e.g. "AES-256-GCM open".
    public let operation: String
    /// What went wrong, including OpenSSL's error string when OpenSSL reported one.
    public let detail: String

    public init(code: Code, operation: String, detail: String) {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    public var description: String { "\(operation) failed (\(code)): \(detail)" }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// A value to compare thrown errors against: `#expect(throws: CryptoError.authenticationFailure)`.
    public static let authenticationFailure = CryptoError(
        code: .authenticationFailure, operation: "AES-256-GCM open",
        detail: "the authentication tag did not verify (altered ciphertext, AAD or tag, or truncated input)")

    /// Builds an error from OpenSSL's error queue and clears the queue, so a failure never leaks
    /// into the next operation on this thread.
    static func openSSL(_ operation: String, code: Code = .openSSL) -> CryptoError {
        var messages: [String] = []
        while true {
            let err = ERR_get_error()
            if err == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(err, &buffer, buffer.count)
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            messages.append(String(decoding: bytes, as: UTF8.self))
        }
        ERR_clear_error()
        let detail = messages.isEmpty ? "OpenSSL reported a failure without an error code" : messages.joined(separator: "; ")
        return CryptoError(code: code, operation: operation, detail: detail)
    }
}
