// One accepted SDK connection's byte transport: TLS (the default) or plain TCP (`up --plain-http`), both
// non-blocking and driven from the node's poll loop.
#if canImport(Glibc)
import Glibc
#endif
import NodeRuntime
import TLSServer

enum TransportRead {
    case data([UInt8])
    case wouldBlock
    case closed
    case failed(String)
}

enum TransportFlush {
    case done
    case wouldBlock
    case closed
    case failed(String)
}

protocol SDKTransport: AnyObject {
    var fd: Int32 { get }
    var isSecure: Bool { get }
    /// Handshake state: nil while not complete; TLS only.
    var protocolVersion: String? { get }
    var handshakeDone: Bool { get }
    func handshake() -> TransportFlush
    func read() -> TransportRead
    func queue(_ bytes: [UInt8])
    func flush() -> TransportFlush
    var hasPendingOutput: Bool { get }
    var pollInterest: Node.FDEvents { get }
    func close()
}

final class TLSTransport: SDKTransport {
    let tls: TLSConnection
    init(_ tls: TLSConnection) { self.tls = tls }
    var fd: Int32 { tls.fd }
    var isSecure: Bool { true }
    var protocolVersion: String? { tls.protocolVersion }
    var handshakeDone: Bool { tls.isHandshakeComplete }

    static func map(_ p: TLSProgress) -> TransportFlush {
        switch p {
        case .done: return .done
        case .wantRead, .wantWrite: return .wouldBlock
        case .closed: return .closed
        case .failed(let e): return .failed(e.message)
        }
    }

    func handshake() -> TransportFlush { TLSTransport.map(tls.handshake()) }
    func read() -> TransportRead {
        switch tls.read() {
        case .data(let b): return .data(b)
        case .wantRead, .wantWrite: return .wouldBlock
        case .closed: return .closed
        case .failed(let e): return .failed(e.message)
        }
    }
    func queue(_ bytes: [UInt8]) { _ = tls.send(bytes) }
    func flush() -> TransportFlush { TLSTransport.map(tls.flush()) }
    var hasPendingOutput: Bool { tls.hasPendingOutput }
    var pollInterest: Node.FDEvents {
        let e = tls.pollEvents
        var out: Node.FDEvents = []
        if e & Int16(POLLIN) != 0 { out.insert(.readable) }
        if e & Int16(POLLOUT) != 0 { out.insert(.writable) }
        return out
    }
    func close() { tls.close() }
}

final class PlainTransport: SDKTransport {
    let fd: Int32
    private var outbox: [UInt8] = []
    private var start = 0
    private var closed = false
    init(fd: Int32) { self.fd = fd }
    var isSecure: Bool { false }
    var protocolVersion: String? { nil }
    var handshakeDone: Bool { true }
    func handshake() -> TransportFlush { .done }

    func read() -> TransportRead {
        var buf = [UInt8](repeating: 0, count: 16 * 1024)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 { buf.removeSubrange(n...); return .data(buf) }
        if n == 0 { return .closed }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
        if errno == ECONNRESET { return .closed }
        return .failed(String(cString: strerror(errno)))
    }

    func queue(_ bytes: [UInt8]) {
        if start > 0 && start == outbox.count { outbox.removeAll(keepingCapacity: true); start = 0 }
        outbox += bytes
        _ = flush()
    }

    func flush() -> TransportFlush {
        while start < outbox.count {
            let n = outbox.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + start, $0.count - start) }
            if n > 0 { start += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return .wouldBlock }
            if n < 0 && (errno == EPIPE || errno == ECONNRESET) { return .closed }
            return .failed(String(cString: strerror(errno)))
        }
        outbox.removeAll(keepingCapacity: true)
        start = 0
        return .done
    }

    var hasPendingOutput: Bool { start < outbox.count }
    var pollInterest: Node.FDEvents { hasPendingOutput ? [.readable, .writable] : [.readable] }
    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }
}
