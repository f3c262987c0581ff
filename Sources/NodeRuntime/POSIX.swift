// Small POSIX helpers so the node runtime needs only FoundationEssentials: node processes then do not load the full
// Foundation (and ICU), which keeps each node's resident memory small.
import CSystemShims
#if canImport(Glibc)
import Glibc
#endif

public enum POSIX {
    /// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { writeAll(fd, $0) }
    }

    /// Same, from a buffer.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    public static func writeStderr(_ s: String) { writeAll(2, Array(s.utf8)) }

    /// Opens `path` for appending (creating it with `mode`), or nil.
    public static func openAppend(_ path: String, mode: mode_t = 0o644) -> Int32? {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode)
        return fd >= 0 ? fd : nil
    }

    /// poll(2) over `fds`; returns how many are ready (0 on timeout or EINTR, -1 on another error).
    public static func poll(_ fds: inout [pollfd], timeoutMs: Int32) -> Int32 {
        let rc = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeoutMs) }
        if rc < 0 && errno == EINTR { return 0 }
        return rc
    }

    /// Whether `fd` is readable right now (poll(2) with no wait).
    public static func isReadable(_ fd: Int32) -> Bool {
        var p = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return poll(&p, timeoutMs: 0) > 0 && p[0].revents & Int16(POLLIN) != 0
    }

    public static func makeDirectory(_ path: String) { _ = mkdir(path, 0o755) }

    public static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// A signalfd for SIGTERM/SIGINT/SIGHUP (blocks them in the calling thread first).
    public static func shutdownSignalFD() -> Int32 { sim_make_shutdown_signalfd() }
    public static func readSignal(_ fd: Int32) -> Int32 { sim_read_signalfd(fd) }
    public static func residentBytes(_ pid: Int32) -> UInt64 { sim_resident_bytes_of(pid) }
    /// User + system CPU time of this process, all threads (libzmq's I/O thread included).
    public static func processCPUMicroseconds() -> Int {
        var ts = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 else { return 0 }
        return Int(ts.tv_sec) * 1_000_000 + Int(ts.tv_nsec) / 1000
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (key files end with a newline).
    public var trimmedASCIIWhitespace: String {
        let ws: Set<UInt8> = [9, 10, 13, 32]
        let u = Array(utf8)
        guard let first = u.firstIndex(where: { !ws.contains($0) }), let last = u.lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(decoding: u[first...last], as: UTF8.self)
    }
}

/// A JSON writer for the plain values control replies are built from ([String: Any] of String, Bool, integers,
/// Double, arrays and dictionaries), without JSONSerialization. Keys are sorted.
public enum PlainJSON {
    public static func serialize(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        write(value, to: &out)
        return out
    }

    static func write(_ value: Any, to out: inout [UInt8]) {
        switch value {
        case let s as String: JSONLine.appendQuoted(s, to: &out)
        case let b as Bool: out.append(contentsOf: (b ? "true" : "false").utf8)
        case let i as Int: out.append(contentsOf: String(i).utf8)
        case let i as Int32: out.append(contentsOf: String(i).utf8)
        case let i as Int64: out.append(contentsOf: String(i).utf8)
        case let i as UInt64: out.append(contentsOf: String(i).utf8)
        case let d as Double: out.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        case let a as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() { if i > 0 { out.append(UInt8(ascii: ",")) }; write(v, to: &out) }
            out.append(UInt8(ascii: "]"))
        case let d as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (i, k) in d.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONLine.appendQuoted(k, to: &out)
                out.append(UInt8(ascii: ":"))
                write(d[k]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let o as Optional<Any>:
            if let v = o { write(v, to: &out) } else { out.append(contentsOf: "null".utf8) }
        default: JSONLine.appendQuoted(String(describing: value), to: &out)
        }
    }
}

/// An append-only log file written at a high rate (the run's trace.jsonl, a CloudTrail trail) that does not grow the
/// page cache without bound: every `window` bytes it appends, it starts writing the new range back to disk and drops
/// the range before it (whose writeback began a window ago, so it is clean by now) from the cache. The page frames are
/// then reused for what comes next instead of fresh ones: on a virtual machine that returns free memory to its host
/// (free page reporting), each fresh frame costs a fault in the host on first touch, and a trace written at 100 MB/s
/// or more slowed the whole run down by a fifth once the guest's still-backed free memory ran out (README, Benchmark).
/// Nothing is lost: the data is in the file; a reader gets it from the disk instead of the cache. On tmpfs both calls
/// do nothing. The appends use O_APPEND, so other processes may append to the same file too.
public final class StreamingLog {
    public let fd: Int32
    /// Start of the range not yet handed to writeback, and of the range not yet dropped from the cache.
    private var writebackFrom: Int64 = 0
    private var dropFrom: Int64 = 0
    /// Bytes this log appended since the last writeback: the file's end (other processes append too) is asked
    /// for only once these fill a window, not after every append.
    private var appended: Int64 = 0
    private let window: Int64

    public init(fd: Int32, window: Int64 = 8 << 20) {
        self.fd = fd
        self.window = max(window, 1)
        let end = Int64(lseek(fd, 0, SEEK_END))
        writebackFrom = max(end, 0); dropFrom = max(end, 0)
    }

    @discardableResult
    public func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ok = POSIX.writeAll(fd, bytes)
        appended += Int64(bytes.count)
        guard appended >= window else { return ok }
        appended = 0
        let end = Int64(lseek(fd, 0, SEEK_CUR))   // O_APPEND: the position is the end of what was just written
        _ = sim_start_writeback(fd, writebackFrom, end - writebackFrom)
        if writebackFrom > dropFrom {
            _ = posix_fadvise(fd, off_t(dropFrom), off_t(writebackFrom - dropFrom), POSIX_FADV_DONTNEED)
        }
        dropFrom = writebackFrom
        writebackFrom = end
        return ok
    }

    @discardableResult
    public func append(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { append($0) } }
}
