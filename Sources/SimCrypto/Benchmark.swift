import COpenSSL

/// Prints per-operation timings of the SimCrypto primitives (release builds give meaningful figures).
/// Figures only: nothing here asserts a time.
public enum SimCryptoBenchmark {
    /// Runs each benchmark for a fixed number of iterations and returns a printable report.
    public static func run(iterations: Int = 20_000) -> String {
        let n = max(iterations, 100)
        var lines: [String] = []
        lines.append("SimCrypto benchmark (\(copenssl_version_text().map { String(cString: $0) } ?? "OpenSSL"), \(n) iterations in 5 batches, 1 thread; best batch)")

        let key = [UInt8](repeating: 0x42, count: 32)
        let kib = [UInt8](repeating: 0x61, count: 1024)
        let b256 = [UInt8](repeating: 0x62, count: 256)
        let aad = [UInt8](repeating: 0x63, count: 32)
        var sink: UInt8 = 0

        if let gcm = try? AES256GCM(key: key) {
            var counter: UInt64 = 0
            lines.append(row("AES-256-GCM seal+open, 1 KiB", n) {
                counter &+= 1
                var nonce = [UInt8](repeating: 0, count: 12)
                withUnsafeBytes(of: counter.bigEndian) { nonce.replaceSubrange(4..<12, with: $0) }
                guard let sealed = try? gcm.seal(nonce: nonce, plaintext: kib, aad: aad),
                      let opened = try? gcm.open(nonce: nonce, sealed: sealed, aad: aad) else { return }
                sink ^= opened[0]
            })
        }
        lines.append(row("HMAC-SHA256, 256 B (per-thread EVP_MAC_CTX, used)", n) {
            sink ^= HMACSHA256.authenticate(key: key, message: b256)[0]
        })
        let prepared = HMACSHA256Key(key)
        lines.append(row("HMAC-SHA256, 256 B, key prepared once (HMACSHA256Key: SigV4 signing keys)", n) {
            sink ^= prepared.authenticate(b256)[0]
        })
        lines.append(row("  alternative: EVP_MAC_CTX_new + init(digest param) per call", n) {
            sink ^= hmacFreshContext(key: key, message: b256)[0]
        })
        lines.append(row("  alternative: one-shot HMAC(EVP_sha256())", n) {
            var out = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            _ = HMAC(EVP_sha256(), key, Int32(key.count), b256, b256.count, &out, &length)
            sink ^= out[0]
        })
        lines.append(row("SHA-256, 1 KiB", n) {
            sink ^= SHA256Digest.hash(kib)[0]
        })
        if let alice = try? X25519PrivateKey(), let bob = try? X25519PrivateKey() {
            lines.append(row("X25519 shared secret (derive)", max(n / 10, 100)) {
                if let secret = try? alice.sharedSecret(withPublicKey: bob.publicKey) { sink ^= secret[0] }
            })
        }
        lines.append(row("HKDF-SHA256, 32 B out", n) {
            if let okm = try? HKDFSHA256.deriveKey(inputKeyMaterial: key, salt: aad, info: b256, outputByteCount: 32) { sink ^= okm[0] }
        })
        lines.append(row("RAND_bytes, 12 B", n) {
            sink ^= SecureRandom.bytes(12)[0]
        })
        lines.append("(checksum \(sink))")
        return lines.joined(separator: "\n")
    }

    /// Runs `body` in 5 batches of `iterations / 5` and reports the best and the median batch: on a shared
    /// 2-core machine the best batch is the steadiest estimate of the cost itself.
    private static func row(_ name: String, _ iterations: Int, _ body: () -> Void) -> String {
        for _ in 0..<min(iterations / 10, 1000) { body() }  // warm-up
        let clock = ContinuousClock()
        let batch = max(iterations / 5, 20)
        var perOp: [Double] = []
        for _ in 0..<5 {
            let elapsed = clock.measure { for _ in 0..<batch { body() } }
            perOp.append((Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(batch))
        }
        perOp.sort()
        let padded = name.count < 62 ? name + String(repeating: " ", count: 62 - name.count) : name
        return "\(padded) \(format(perOp[0])) ns/op (median \(format(perOp[2])))"
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return String(rounded)
    }

    /// The straightforward OpenSSL 3 way, kept for comparison: a new context per call, with the digest
    /// given as a parameter (which makes OpenSSL look SHA256 up by name each time).
    private static func hmacFreshContext(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        guard let ctx = copenssl_hmac_sha256_template(FetchedAlgorithms.shared.hmac) else { return out }
        defer { EVP_MAC_CTX_free(ctx) }
        var length = 0
        _ = EVP_MAC_init(ctx, key, key.count, nil)
        _ = EVP_MAC_update(ctx, message, message.count)
        _ = EVP_MAC_final(ctx, &out, &length, 32)
        return out
    }
}
