// The service's custom-model store: RUN_DIR/model-store/WORKER/ (0700), owned by the finetune-worker that trained the
// models. Per model: ID.bin, the adapter sealed with AES-256-GCM under a data key (AAD = the custom model ARN), and
// ID.json, its metadata: owner account, the customer key ARN, the data key as the customer's KMS CiphertextBlob (or
// sealed under the worker's key when no customer key was given), the grant Bedrock holds on the key. Nothing in it is
// plaintext model or training content. Provisioned hosts and the front end (Bedrock-managed nodes) read it.
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

public enum ModelStore {
    public static func directory(runDirectory: String, worker: String) -> String { runDirectory + "/model-store/" + worker }

    /// The metadata of a custom model by ARN (any worker's store).
    public static func find(arn: String, runDirectory: String) -> (meta: JSONValue, directory: String)? {
        let root = runDirectory + "/model-store"
        let id = String(arn.split(separator: "/").last ?? "")
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        for worker in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let dir = root + "/" + worker
            if let d = FileManager.default.contents(atPath: dir + "/\(id).json"), let j = try? JSONValue.parse(Array(d)),
               j["modelArn"]?.stringValue == arn {
                return (j, dir)
            }
        }
        return nil
    }

    /// Writes a file durably (temp file, fsync, rename, fsync of the directory), mode 0600.
    public static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableLogError(message: "\(tmp): cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let r = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if r < 0 { if errno == EINTR { continue }; close(fd); throw DurableLogError(message: "\(tmp): write failed") }
            written += r
        }
        fsync(fd)
        close(fd)
        guard rename(tmp, path) == 0 else { throw DurableLogError(message: "\(path): rename failed") }
        let dfd = open(parentDirectory(of: path), O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
