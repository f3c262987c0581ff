#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking TCP listening socket on a loopback address, for the SDK endpoint (the SDK on the customer's
/// instance reaches it as it would reach the PrivateLink endpoint's private DNS name). Poll `fd` for POLLIN, then
/// `accept()` until it returns nil.
public final class LoopbackListener {
    public let fd: Int32
    public let port: UInt16

    /// Binds 127.0.0.1:`port` (0 picks a free port) and listens.
    public init(port: UInt16 = 0, backlog: Int32 = 128) throws(TLSError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TLSError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = errno
            _ = Glibc.close(fd)
            throw TLSError("bind 127.0.0.1:\(port): \(String(cString: strerror(e)))")
        }
        guard listen(fd, backlog) == 0 else {
            let e = errno
            _ = Glibc.close(fd)
            throw TLSError("listen: \(String(cString: strerror(e)))")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit { _ = Glibc.close(fd) }

    /// A connected non-blocking socket (TCP_NODELAY set), or nil when no connection is waiting.
    public func accept() -> Int32? {
        while true {
            let c = Glibc.accept(fd, nil, nil)
            if c >= 0 {
                _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK)
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                var one: Int32 = 1
                _ = setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return c
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return nil
        }
    }
}
