internal import CLibSSL
#if canImport(Glibc)
import Glibc
#endif

/// An `SSL_CTX` for the SDK listener: TLS 1.2 minimum, TLS 1.3 offered (OpenSSL's defaults pick it first), no
/// renegotiation, ALPN `http/1.1`, the given certificate and key. Create it once per listener; it is safe to share.
public final class TLSServerContext: @unchecked Sendable {
    let ctx: OpaquePointer

    public init(identity: TLSServerIdentity) throws(TLSError) {
        // OpenSSL writes to sockets with write(2); a peer that vanished would otherwise kill the node with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError.openssl("SSL_CTX_new failed") }
        self.ctx = ctx
        guard clibssl_ctx_set_min_tls12(ctx) == 1 else { throw TLSError.openssl("cannot set TLS 1.2 as the minimum") }
        clibssl_ctx_set_server_options(ctx)
        clibssl_ctx_set_nonblocking_modes(ctx)
        clibssl_ctx_set_alpn_http11(ctx)
        guard SSL_CTX_use_certificate(ctx, identity.certificate) == 1 else { throw TLSError.openssl("cannot use the server certificate") }
        guard SSL_CTX_use_PrivateKey(ctx, identity.key) == 1 else { throw TLSError.openssl("cannot use the server key") }
        guard SSL_CTX_check_private_key(ctx) == 1 else { throw TLSError.openssl("server key does not match the certificate") }
    }

    deinit { SSL_CTX_free(ctx) }

    /// The OpenSSL version the process runs with, e.g. "OpenSSL 3.0.19 27 Jan 2026".
    public static var libraryVersion: String {
        String(cString: OpenSSL_version(OPENSSL_VERSION))
    }
}

/// What a non-blocking TLS operation needs next. `wantRead` / `wantWrite` mean: poll the fd for POLLIN / POLLOUT
/// and call the same operation again (a TLS read can need a write and vice versa).
public enum TLSProgress: Sendable, Equatable {
    case done
    case wantRead
    case wantWrite
    /// The peer closed (close_notify, or EOF).
    case closed
    case failed(TLSError)
}

public enum TLSReadResult: Sendable, Equatable {
    case data([UInt8])
    case wantRead
    case wantWrite
    case closed
    case failed(TLSError)
}

/// A server-side TLS connection over a connected, non-blocking socket, driven from a poll loop (no threads).
/// It owns the fd and closes it in `close()` / deinit.
///
///     let c = try TLSConnection(context: ctx, fd: acceptedFd)
///     poll loop: on POLLIN/POLLOUT → if !c.isHandshakeComplete { c.handshake() } else { c.read() until .wantRead; c.flush() }
///     poll for `c.pollEvents`.
///
/// Not thread-safe: use it from the one thread that polls its fd.
public final class TLSConnection {
    private let ssl: OpaquePointer
    public let fd: Int32
    public private(set) var isHandshakeComplete = false
    public private(set) var isClosed = false
    private var outbox: [UInt8] = []
    private var outboxStart = 0
    /// What the last operation was blocked on; decides the poll events.
    private var blockedOn: TLSProgress = .wantRead

    public init(context: TLSServerContext, fd: Int32) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw TLSError.openssl("SSL_new failed") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSError.openssl("SSL_set_fd failed")
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.fd = fd
    }

    deinit {
        SSL_free(ssl)
        if !isClosed { _ = Glibc.close(fd) }
    }

    /// `POLLIN`, plus `POLLOUT` while output is queued or the last operation wanted to write.
    public var pollEvents: Int16 {
        var events = Int16(POLLIN)
        if blockedOn == .wantWrite || hasPendingOutput { events |= Int16(POLLOUT) }
        return events
    }

    public var hasPendingOutput: Bool { outboxStart < outbox.count }

    /// Bytes queued for `flush`.
    public var pendingOutputCount: Int { outbox.count - outboxStart }

    /// Advances the handshake; `.done` once it is complete.
    public func handshake() -> TLSProgress {
        if isHandshakeComplete { return .done }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            isHandshakeComplete = true
            blockedOn = .wantRead
            return .done
        }
        let p = progress(rc, "TLS handshake")
        blockedOn = p
        return p
    }

    /// Reads up to `maxBytes` decrypted bytes. Call again until `.wantRead`: OpenSSL may hold decrypted bytes the
    /// fd's readiness does not show.
    public func read(maxBytes: Int = 16 * 1024) -> TLSReadResult {
        if !isHandshakeComplete {
            switch handshake() {
            case .done: break
            case .wantRead: return .wantRead
            case .wantWrite: return .wantWrite
            case .closed: return .closed
            case .failed(let e): return .failed(e)
            }
        }
        var buf = [UInt8](repeating: 0, count: max(1, maxBytes))
        ERR_clear_error()
        var got = 0
        let rc = buf.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &got) }
        if rc == 1 {
            buf.removeSubrange(got...)
            return .data(buf)
        }
        let p = progress(0, "TLS read")
        blockedOn = p
        switch p {
        case .done, .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .closed
        case .failed(let e): return .failed(e)
        }
    }

    /// Queues bytes and tries to send them; returns what `flush` returned.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> TLSProgress {
        if outboxStart > 0 && outboxStart == outbox.count {
            outbox.removeAll(keepingCapacity: true)
            outboxStart = 0
        }
        outbox += bytes
        return flush()
    }

    /// Writes queued bytes until none are left (`.done`) or the socket is full (`.wantWrite`/`.wantRead`).
    public func flush() -> TLSProgress {
        guard isHandshakeComplete else {
            let h = handshake()
            if h != .done { return h }
            return flush()
        }
        while outboxStart < outbox.count {
            ERR_clear_error()
            var written = 0
            let rc = outbox.withUnsafeBytes { raw in
                SSL_write_ex(ssl, raw.baseAddress! + outboxStart, raw.count - outboxStart, &written)
            }
            if rc == 1 {
                outboxStart += written
                continue
            }
            let p = progress(0, "TLS write")
            blockedOn = p
            return p
        }
        outbox.removeAll(keepingCapacity: true)
        outboxStart = 0
        blockedOn = .wantRead
        return .done
    }

    /// Sends close_notify once, without waiting for the peer's (the fd is closed right after in practice).
    public func shutdown() {
        guard isHandshakeComplete, !isClosed else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Sends close_notify if possible and closes the fd.
    public func close() {
        guard !isClosed else { return }
        shutdown()
        _ = Glibc.close(fd)
        isClosed = true
    }

    /// "TLSv1.3", "TLSv1.2", … once the handshake is complete.
    public var protocolVersion: String? {
        guard isHandshakeComplete, let v = SSL_get_version(ssl) else { return nil }
        return String(cString: v)
    }

    public var cipherName: String? {
        guard isHandshakeComplete, let c = SSL_get_current_cipher(ssl), let n = SSL_CIPHER_get_name(c) else { return nil }
        return String(cString: n)
    }

    /// The SNI name the client asked for (e.g. bedrock-runtime.us-east-1.amazonaws.com), if any.
    public var serverName: String? {
        guard let n = clibssl_servername(ssl) else { return nil }
        return String(cString: n)
    }

    /// The ALPN protocol chosen ("http/1.1"), or nil.
    public var alpnProtocol: String? {
        var buf = [CChar](repeating: 0, count: 64)
        clibssl_alpn_selected(ssl, &buf, UInt32(buf.count))
        let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.isEmpty ? nil : s
    }

    private func progress(_ rc: Int32, _ what: String) -> TLSProgress {
        let err = SSL_get_error(ssl, rc)
        switch err {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let e = errno
            // EOF without close_notify (OpenSSL 3 reports it as SSL_ERROR_SSL "unexpected eof" unless the
            // option is set, or as SYSCALL with errno 0): the peer went away.
            if ERR_peek_error() == 0 && (e == 0 || e == ECONNRESET || e == EPIPE) { return .closed }
            if e == EAGAIN || e == EWOULDBLOCK { return .wantRead }
            return .failed(TLSError.openssl("\(what): \(String(cString: strerror(e)))"))
        default:
            let f = TLSError.openssl(what)
            if f.message.contains("unexpected eof") { return .closed }
            return .failed(f)
        }
    }
}
