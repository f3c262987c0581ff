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
        guard bytes.count >= SealedBody.overhead else {
            throw SealError(.malformed, "sealed body of \(bytes.count) bytes is shorter than the \(SealedBody.overhead)-byte minimum (truncated?)")
        }
        var r = ByteReader(bytes)
        do {
            let sid = try r.raw(16, "sessionId")
            let eph = try r.raw(32, "ephemeralKey")
            let counter = try r.u64("counter")
            return SealedBody(sessionId: sid, ephemeralPublicKey: eph, counter: counter, ciphertext: try r.raw(r.remaining, "ciphertext"))
        } catch {
            throw SealError(.malformed, error.description)
        }
    }
}

private func nonce(_ direction: SealDirection, _ counter: UInt64) -> [UInt8] {
    ByteWriter.build(capacity: 12) { w in w.u32(direction.rawValue); w.u64(counter) }
}

private func deriveKeys(shared: [UInt8], ephemeral: [UInt8], frontend: [UInt8], sessionId: [UInt8]) throws -> (c2s: [UInt8], s2c: [UInt8]) {
    let okm = try HKDFSHA256.deriveKey(
        inputKeyMaterial: shared, salt: Array("bedrock-sim e2e v1".utf8), info: ephemeral + frontend + sessionId,
        outputByteCount: 64)
    return (Array(okm[0..<32]), Array(okm[32..<64]))
}

/// The client's end of a session with one front end. Not thread-safe: owned by the client's I/O thread.
public final class ClientSealSession {
    public let sessionId: [UInt8]
    public let ephemeralPublicKey: [UInt8]
    private let sealer: AES256GCM
    private let opener: AES256GCM
    private var sendCounter: UInt64 = 0
    private var window = ReplayWindow()

    public init(frontendPublicKey: [UInt8]) throws {
        let eph = try X25519PrivateKey()
        sessionId = SecureRandom.bytes(16)
        ephemeralPublicKey = eph.publicKey
        let shared = try eph.sharedSecret(withPublicKey: frontendPublicKey)
        let keys = try deriveKeys(shared: shared, ephemeral: eph.publicKey, frontend: frontendPublicKey, sessionId: sessionId)
        sealer = try AES256GCM(key: keys.c2s)
        opener = try AES256GCM(key: keys.s2c)
    }

    public func seal(_ plaintext: [UInt8], routingHeader: [UInt8]) throws -> [UInt8] {
        guard sendCounter < UInt64.max - 1 else { throw SealError(.exhausted, "session counter exhausted; start a new session") }
        sendCounter += 1
        let ct = try sealer.seal(nonce: nonce(.clientToFrontend, sendCounter), plaintext: plaintext, aad: routingHeader)
        return SealedBody(sessionId: sessionId, ephemeralPublicKey: ephemeralPublicKey, counter: sendCounter, ciphertext: ct).encode()
    }

    public func open(_ body: [UInt8], routingHeader: [UInt8]) throws(SealError) -> [UInt8] {
        let sealed = try SealedBody.decode(body)
        guard sealed.sessionId == sessionId else { throw SealError(.unknownSession, "response for another session") }
        let plain: [UInt8]
        do {
            plain = try opener.open(nonce: nonce(.frontendToClient, sealed.counter), sealed: sealed.ciphertext, aad: routingHeader)
        } catch {
            throw SealError(.authenticationFailed, "response failed AES-256-GCM authentication (tampered, truncated or misrouted)")
        }
        guard window.accept(sealed.counter) else { throw SealError(.replayed, "response counter \(sealed.counter) was already seen") }
        return plain
    }
}

/// The front end's table of client sessions, bounded in size (oldest evicted first).
public final class FrontendSealSessions {
    private struct Session {
        let ephemeralPublicKey: [UInt8]
        let opener: AES256GCM
        let sealer: AES256GCM
        var window = ReplayWindow()
        var sendCounter: UInt64 = 0
        var lastUsed: UInt64
    }
    private let staticKey: X25519PrivateKey
    private var sessions: [[UInt8]: Session] = [:]
    private var tick: UInt64 = 0
    public let capacity: Int

    public init(staticKey: X25519PrivateKey, capacity: Int = 4096) {
        precondition(capacity > 0)
        self.staticKey = staticKey
        self.capacity = capacity
    }

    public var count: Int { sessions.count }

    /// Opens a client's sealed body. Returns the plaintext and the session id to seal the reply under.
    public func open(_ body: [UInt8], routingHeader: [UInt8]) throws(SealError) -> (plaintext: [UInt8], sessionId: [UInt8]) {
        let sealed = try SealedBody.decode(body)
        tick += 1
        var session: Session
        if let existing = sessions[sealed.sessionId] {
            guard existing.ephemeralPublicKey == sealed.ephemeralPublicKey else {
                throw SealError(.authenticationFailed, "session id reused with another ephemeral key")
            }
            session = existing
        } else {
            do {
                let shared = try staticKey.sharedSecret(withPublicKey: sealed.ephemeralPublicKey)
                let keys = try deriveKeys(shared: shared, ephemeral: sealed.ephemeralPublicKey, frontend: staticKey.publicKey, sessionId: sealed.sessionId)
                session = Session(ephemeralPublicKey: sealed.ephemeralPublicKey, opener: try AES256GCM(key: keys.c2s),
                                  sealer: try AES256GCM(key: keys.s2c), lastUsed: tick)
            } catch {
                throw SealError(.authenticationFailed, "key agreement failed: \(error)")
            }
        }
        let plain: [UInt8]
        do {
            plain = try session.opener.open(nonce: nonce(.clientToFrontend, sealed.counter), sealed: sealed.ciphertext, aad: routingHeader)
        } catch {
            throw SealError(.authenticationFailed, "request failed AES-256-GCM authentication (tampered, truncated or misrouted)")
        }
        guard session.window.accept(sealed.counter) else {
            sessions[sealed.sessionId] = session
            throw SealError(.replayed, "request counter \(sealed.counter) of this session was already seen (replay)")
        }
        session.lastUsed = tick
        if sessions[sealed.sessionId] == nil && sessions.count >= capacity { evictOldest() }
        sessions[sealed.sessionId] = session
        return (plain, sealed.sessionId)
    }

    /// Seals a reply to the client that owns `sessionId`.
    public func seal(_ plaintext: [UInt8], sessionId: [UInt8], routingHeader: [UInt8]) throws -> [UInt8] {
        guard var s = sessions[sessionId] else { throw SealError(.unknownSession, "no session to reply under") }
        s.sendCounter += 1
        let ct = try s.sealer.seal(nonce: nonce(.frontendToClient, s.sendCounter), plaintext: plaintext, aad: routingHeader)
        sessions[sessionId] = s
        return SealedBody(sessionId: sessionId, ephemeralPublicKey: s.ephemeralPublicKey, counter: s.sendCounter, ciphertext: ct).encode()
    }

    private func evictOldest() {
        if let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key { sessions[oldest] = nil }
    }
}
