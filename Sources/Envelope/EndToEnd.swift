// End-to-end sealing between a client and the runtime front end, standing in for the TLS session the real SDK opens
// to bedrock-runtime: intermediaries (the PrivateLink endpoint, anything on the wire) see only ciphertext.
//
// Handshake-free, like Noise NK: the client knows the front end's static X25519 public key (as a TLS client knows
// the server certificate). Per session it generates an ephemeral X25519 key; both sides derive two AES-256-GCM keys
// with HKDF-SHA256 over the shared secret, bound to both public keys and the session id. Every sealed body carries
// the session id, the ephemeral public key and a per-direction counter; the nonce is direction || counter, so a
// nonce is never reused under a key. The envelope's routing header is the AAD. Receivers keep a sliding replay
// window per session, so a replayed or duplicated message is rejected.
import SimCrypto

public struct SealError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable { case malformed, authenticationFailed, replayed, unknownSession, misrouted, exhausted }
    public let kind: Kind
    public let detail: String
    public init(_ kind: Kind, _ detail: String) { self.kind = kind; self.detail = detail }
    public var description: String { "\(kind.rawValue): \(detail)" }
}

/// Which way a sealed body travels; part of the nonce and of the key schedule.
public enum SealDirection: UInt32, Sendable { case clientToFrontend = 0x6332_7300, frontendToClient = 0x7332_6300 }

/// Sliding-window replay protection (as IPsec's anti-replay window): accepts each counter at most once.
public struct ReplayWindow: Sendable {
    public static let size: UInt64 = 1024
    private var highest: UInt64 = 0
    private var bits = [UInt64](repeating: 0, count: Int(ReplayWindow.size / 64))
    public init() {}

    /// Returns false if `counter` was already seen or is older than the window.
    public mutating func accept(_ counter: UInt64) -> Bool {
        guard counter > 0 else { return false }
        if counter > highest {
            let shift = counter - highest
            if shift >= ReplayWindow.size {
                for i in bits.indices { bits[i] = 0 }
            } else {
                for c in (highest + 1)...counter { clear(c) }
            }
            highest = counter
            set(counter)
            return true
        }
        if highest - counter >= ReplayWindow.size { return false }
        if isSet(counter) { return false }
        set(counter)
        return true
    }
    private func index(_ c: UInt64) -> (Int, UInt64) { (Int((c % ReplayWindow.size) / 64), 1 << (c % 64)) }
    private mutating func set(_ c: UInt64) { let (i, m) = index(c); bits[i] |= m }
    private mutating func clear(_ c: UInt64) { let (i, m) = index(c); bits[i] &= ~m }
    private func isSet(_ c: UInt64) -> Bool { let (i, m) = index(c); return bits[i] & m != 0 }
}

/// A session's 16-byte id as a value: the front end's session table is keyed by it (hashing two words, where an
/// array of 16 bytes hashed each byte and was an allocation per message).
public struct SealSessionID: Hashable, Sendable {
    let high: UInt64, low: UInt64
    /// The id in 16 bytes (at least: only the first 16 are read).
    init(_ bytes: UnsafeRawBufferPointer) {
        high = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        low = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    }
    init(_ bytes: [UInt8]) { self = bytes.withUnsafeBytes { SealSessionID($0) } }
    /// The 16 bytes, as on the wire.
    var bytes: [UInt8] { withUnsafeBytes(of: (high, low)) { Array($0) } }
}

/// The sealed body as it travels: session id, ephemeral public key, counter, ciphertext with tag.
public struct SealedBody: Sendable {
    public static let overhead = 16 + 32 + 8 + 16
    public var sessionId: [UInt8]
    public var ephemeralPublicKey: [UInt8]
    public var counter: UInt64
    public var ciphertext: [UInt8]

    public func encode() -> [UInt8] {
        ByteWriter.build(capacity: SealedBody.overhead + ciphertext.count) { w in
            w.raw(sessionId); w.raw(ephemeralPublicKey); w.u64(counter); w.raw(ciphertext)
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(SealError) -> SealedBody {
        let counter = try withSealedBytes(bytes) { (b) throws(SealError) -> UInt64 in try View(b).counter }
        return SealedBody(sessionId: Array(bytes[0..<16]), ephemeralPublicKey: Array(bytes[16..<48]), counter: counter,
                          ciphertext: Array(bytes[56...]))
    }

    /// A sealed body read where it lies: the fields are views of its bytes (nothing copied).
    struct View {
        let sessionId: SealSessionID
        let ephemeralPublicKey: UnsafeRawBufferPointer
        let counter: UInt64
        let ciphertext: UnsafeRawBufferPointer
        init(_ b: UnsafeRawBufferPointer) throws(SealError) {
            guard b.count >= SealedBody.overhead else {
                throw SealError(.malformed, "sealed body of \(b.count) bytes is shorter than the \(SealedBody.overhead)-byte minimum (truncated?)")
            }
            sessionId = SealSessionID(b)
            ephemeralPublicKey = UnsafeRawBufferPointer(rebasing: b[16..<48])
            counter = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 48, as: UInt64.self))
            ciphertext = UnsafeRawBufferPointer(rebasing: b[56...])
        }
    }

    /// A sealed body written in one buffer: the header, then the ciphertext and tag sealed straight into place.
    static func seal(_ plaintext: [UInt8], with sealer: AES256GCM, direction: SealDirection, counter: UInt64,
                     sessionId: SealSessionID, ephemeralPublicKey: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try ByteWriter.build(capacity: SealedBody.overhead + plaintext.count) { w in
            withUnsafeBytes(of: (sessionId.high, sessionId.low)) { w.raw($0) }
            w.raw(ephemeralPublicKey); w.u64(counter)
            try withNonce(direction, counter) { nonce in
                try plaintext.withUnsafeBytes { plain in
                    try aad.withUnsafeBytes { aad in
                        try w.append(room: plain.count + AES256GCM.tagByteCount) {
                            try sealer.seal(nonce: nonce, plaintext: plain, aad: aad, into: UnsafeMutableRawBufferPointer($0))
                        }
                    }
                }
            }
        }
    }
}

/// `bytes.withUnsafeBytes`, keeping the body's typed error (the standard library's rethrows widens it to any Error).
private func withSealedBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(SealError) -> R) throws(SealError) -> R {
    let result: Result<R, SealError> = bytes.withUnsafeBytes { b in Result { () throws(SealError) -> R in try body(b) } }
    return try result.get()
}

/// The nonce of a message, on the stack: direction ‖ counter, big-endian (12 bytes).
private func withNonce<R>(_ direction: SealDirection, _ counter: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var room: (UInt64, UInt64) = (0, 0)
    return try withUnsafeMutableBytes(of: &room) { b in
        b.storeBytes(of: direction.rawValue.bigEndian, toByteOffset: 0, as: UInt32.self)
        b.storeBytes(of: counter.bigEndian, toByteOffset: 4, as: UInt64.self)
        return try body(UnsafeRawBufferPointer(rebasing: b[0..<12]))
    }
}

private func deriveKeys(shared: [UInt8], ephemeral: [UInt8], frontend: [UInt8], sessionId: [UInt8]) throws -> (c2s: [UInt8], s2c: [UInt8]) {
    let okm = try HKDFSHA256.deriveKey(
        inputKeyMaterial: shared, salt: Array("bedrock-sim e2e v1".utf8), info: ephemeral + frontend + sessionId,
        outputByteCount: 64)
    return (Array(okm[0..<32]), Array(okm[32..<64]))
}

/// The client's end of a session with one front end. Not thread-safe: owned by the client's I/O thread.
public final class ClientSealSession {
    private let sessionKey: SealSessionID
    public var sessionId: [UInt8] { sessionKey.bytes }
    public let ephemeralPublicKey: [UInt8]
    private let sealer: AES256GCM
    private let opener: AES256GCM
    private var sendCounter: UInt64 = 0
    private var window = ReplayWindow()

    public init(frontendPublicKey: [UInt8]) throws {
        let eph = try X25519PrivateKey()
        let sessionId = SecureRandom.bytes(16)
        sessionKey = SealSessionID(sessionId)
        ephemeralPublicKey = eph.publicKey
        let shared = try eph.sharedSecret(withPublicKey: frontendPublicKey)
        let keys = try deriveKeys(shared: shared, ephemeral: eph.publicKey, frontend: frontendPublicKey, sessionId: sessionId)
        sealer = try AES256GCM(key: keys.c2s)
        opener = try AES256GCM(key: keys.s2c)
    }

    public func seal(_ plaintext: [UInt8], routingHeader: [UInt8]) throws -> [UInt8] {
        guard sendCounter < UInt64.max - 1 else { throw SealError(.exhausted, "session counter exhausted; start a new session") }
        sendCounter += 1
        return try SealedBody.seal(plaintext, with: sealer, direction: .clientToFrontend, counter: sendCounter,
                                   sessionId: sessionKey, ephemeralPublicKey: ephemeralPublicKey, aad: routingHeader)
    }

    public func open(_ body: [UInt8], routingHeader: [UInt8]) throws(SealError) -> [UInt8] {
        try withSealedBytes(body) { (b) throws(SealError) -> [UInt8] in
            let sealed = try SealedBody.View(b)
            guard sealed.sessionId == sessionKey else { throw SealError(.unknownSession, "response for another session") }
            let plain: [UInt8]
            do {
                plain = try withNonce(.frontendToClient, sealed.counter) { nonce in
                    try routingHeader.withUnsafeBytes { try opener.open(nonce: nonce, sealed: sealed.ciphertext, aad: $0) }
                }
            } catch {
                throw SealError(.authenticationFailed, "response failed AES-256-GCM authentication (tampered, truncated or misrouted)")
            }
            guard window.accept(sealed.counter) else { throw SealError(.replayed, "response counter \(sealed.counter) was already seen") }
            return plain
        }
    }
}

/// The front end's table of client sessions, bounded in size (oldest evicted first).
public final class FrontendSealSessions {
    /// A reference, so a call updates its session's counters and replay window in place (a struct was copied out
    /// of the table and stored back, its window's array copied on every message).
    private final class Session {
        let ephemeralPublicKey: [UInt8]
        let opener: AES256GCM
        let sealer: AES256GCM
        var window = ReplayWindow()
        var sendCounter: UInt64 = 0
        var lastUsed: UInt64
        init(ephemeralPublicKey: [UInt8], opener: AES256GCM, sealer: AES256GCM, lastUsed: UInt64) {
            self.ephemeralPublicKey = ephemeralPublicKey; self.opener = opener; self.sealer = sealer; self.lastUsed = lastUsed
        }
    }
    private let staticKey: X25519PrivateKey
    private var sessions: [SealSessionID: Session] = [:]
    private var tick: UInt64 = 0
    public let capacity: Int

    public init(staticKey: X25519PrivateKey, capacity: Int = 4096) {
        precondition(capacity > 0)
        self.staticKey = staticKey
        self.capacity = capacity
    }

    public var count: Int { sessions.count }

    /// Opens a client's sealed body. Returns the plaintext and the session id to seal the reply under.
    public func open(_ body: [UInt8], routingHeader: [UInt8]) throws(SealError) -> (plaintext: [UInt8], sessionId: SealSessionID) {
        try withSealedBytes(body) { (b) throws(SealError) -> (plaintext: [UInt8], sessionId: SealSessionID) in
            let sealed = try SealedBody.View(b)
            tick += 1
            let session: Session
            var isNew = false
            if let existing = sessions[sealed.sessionId] {
                guard existing.ephemeralPublicKey.elementsEqual(sealed.ephemeralPublicKey) else {
                    throw SealError(.authenticationFailed, "session id reused with another ephemeral key")
                }
                session = existing
            } else {
                do {
                    let ephemeral = Array(sealed.ephemeralPublicKey)
                    let shared = try staticKey.sharedSecret(withPublicKey: ephemeral)
                    let keys = try deriveKeys(shared: shared, ephemeral: ephemeral, frontend: staticKey.publicKey,
                                              sessionId: sealed.sessionId.bytes)
                    session = Session(ephemeralPublicKey: ephemeral, opener: try AES256GCM(key: keys.c2s),
                                      sealer: try AES256GCM(key: keys.s2c), lastUsed: tick)
                    isNew = true
                } catch {
                    throw SealError(.authenticationFailed, "key agreement failed: \(error)")
                }
            }
            let plain: [UInt8]
            do {
                plain = try withNonce(.clientToFrontend, sealed.counter) { nonce in
                    try routingHeader.withUnsafeBytes { try session.opener.open(nonce: nonce, sealed: sealed.ciphertext, aad: $0) }
                }
            } catch {
                throw SealError(.authenticationFailed, "request failed AES-256-GCM authentication (tampered, truncated or misrouted)")
            }
            // A new session is kept once a message under it authenticated (a replay of that first message is
            // rejected by its window below, as before).
            if isNew {
                if sessions.count >= capacity { evictOldest() }
                sessions[sealed.sessionId] = session
            }
            guard session.window.accept(sealed.counter) else {
                throw SealError(.replayed, "request counter \(sealed.counter) of this session was already seen (replay)")
            }
            session.lastUsed = tick
            return (plain, sealed.sessionId)
        }
    }

    /// Seals a reply to the client that owns `sessionId`.
    public func seal(_ plaintext: [UInt8], sessionId: SealSessionID, routingHeader: [UInt8]) throws -> [UInt8] {
        guard let s = sessions[sessionId] else { throw SealError(.unknownSession, "no session to reply under") }
        s.sendCounter += 1
        return try SealedBody.seal(plaintext, with: s.sealer, direction: .frontendToClient, counter: s.sendCounter,
                                   sessionId: sessionId, ephemeralPublicKey: s.ephemeralPublicKey, aad: routingHeader)
    }

    private func evictOldest() {
        if let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key { sessions[oldest] = nil }
    }
}
