// An append-only, fsynced record log: the persistence of the kms and s3 stand-ins (and the customization control
// plane). A change is acknowledged only after its record is on disk (write + fsync), so it survives kill -9 of the
// process. Each record is `u32 length ‖ 32-byte SHA-256 of the payload ‖ payload`; on open, records are replayed in
// order and a torn or corrupt tail (a crash mid-write) is cut off, never half-applied.
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import NodeRuntime
import SimCrypto

/// The directory part of a path ("." for a bare name), without Foundation's NSString.
func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

public struct DurableLogError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public final class DurableLog {
    public let path: String
    private let fd: Int32
    public private(set) var recordCount = 0

    /// Opens (creating, mode 0600) the log and returns it with every intact record, in order.
    public static func open(path: String) throws -> (DurableLog, [[UInt8]]) {
        let dir = parentDirectory(of: path)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableLogError(message: "\(path): cannot open: \(String(cString: strerror(errno)))") }
        let data = FileManager.default.contents(atPath: path).map { Array($0) } ?? []
        var records: [[UInt8]] = []
        var i = 0
        while i + 36 <= data.count {
            let n = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard i + 36 + n <= data.count else { break }
            let digest = Array(data[(i + 4)..<(i + 36)])
            let payload = Array(data[(i + 36)..<(i + 36 + n)])
            guard SHA256Digest.hash(payload) == digest else { break }
            records.append(payload)
            i += 36 + n
        }
        if i < data.count {
            // A torn tail from a crash mid-append: the record was never acknowledged; drop it.
            guard ftruncate(fd, off_t(i)) == 0 else { throw DurableLogError(message: "\(path): cannot cut a torn tail at byte \(i)") }
            fsync(fd)
        }
        let log = DurableLog(path: path, fd: fd)
        log.recordCount = records.count
        return (log, records)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends one record and fsyncs: when this returns, the record survives a crash.
    public func append(_ payload: [UInt8]) throws {
        var frame: [UInt8] = []
        frame.reserveCapacity(36 + payload.count)
        let n = UInt32(payload.count)
        frame += [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
        frame += SHA256Digest.hash(payload)
        frame += payload
        var written = 0
        while written < frame.count {
            let r = frame.withUnsafeBytes { write(fd, $0.baseAddress! + written, frame.count - written) }
            if r < 0 {
                if errno == EINTR { continue }
                throw DurableLogError(message: "\(path): write failed: \(String(cString: strerror(errno)))")
            }
            written += r
        }
        guard fsync(fd) == 0 else { throw DurableLogError(message: "\(path): fsync failed: \(String(cString: strerror(errno)))") }
        recordCount += 1
    }

    /// Appends a JSON record.
    public func append(json: JSONValue) throws { try append(json.serialized()) }
}

/// A node's master key: 32 random bytes in RUN_DIR/keys/NODE.master (mode 0600), created on first start and read on
/// every restart. Stored key material and object keys are wrapped under keys derived from it, never kept in plaintext.
public enum NodeMasterKey {
    public static func load(node: NodeRuntimeNodeInfo) throws -> [UInt8] {
        let path = node.keysDirectory + "/\(node.name).master"
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
           let raw = bytes(fromHex: text.trimmedASCIIWhitespace), raw.count == 32 {
            return raw
        }
        let secret = SecureRandom.bytes(32)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableLogError(message: "\(path): cannot create the master key: \(String(cString: strerror(errno)))") }
        let text = Array((hexString(secret) + "\n").utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress!, text.count) }
        fsync(fd)
        close(fd)
        return secret
    }

    /// A purpose-bound key derived from the master key (HKDF-SHA256).
    public static func derive(_ master: [UInt8], purpose: String) throws -> [UInt8] {
        try HKDFSHA256.deriveKey(inputKeyMaterial: master, salt: Array("bedrock-sim node master".utf8), info: Array(purpose.utf8), outputByteCount: 32)
    }
}

/// What NodeMasterKey needs to know about the node.
public struct NodeRuntimeNodeInfo {
    public let name: String
    public let keysDirectory: String
    public init(name: String, keysDirectory: String) { self.name = name; self.keysDirectory = keysDirectory }
}

/// AES-256-GCM with a random nonce, as `nonce ‖ ciphertext ‖ tag`.
public enum Sealer {
    public static func seal(key: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        let nonce = SecureRandom.bytes(12)
        return nonce + (try AES256GCM(key: key).seal(nonce: nonce, plaintext: plaintext, aad: aad))
    }
    public static func open(key: [UInt8], sealed: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 28 else { throw DurableLogError(message: "sealed blob too short") }
        return try AES256GCM(key: key).open(nonce: Array(sealed[0..<12]), sealed: sealed[12...], aad: aad)
    }
}
