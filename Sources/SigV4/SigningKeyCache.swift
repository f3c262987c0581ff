import Synchronization

/// Signing keys by (access key, date, region, service): the four-HMAC derivation depends on nothing
/// else, so AWS front ends and SDKs cache it. Bounded; cleared wholesale when full (keys roll daily).
final class SigningKeyCache: Sendable {
    private struct Entry: Sendable {
        let secretAccessKey: String
        let key: [UInt8]
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func signingKey(accessKeyId: String, secretAccessKey: String, date: String, region: String, service: String) -> [UInt8] {
        var cacheKey = accessKeyId
        cacheKey += "/"; cacheKey += date; cacheKey += "/"; cacheKey += region; cacheKey += "/"; cacheKey += service
        // The stored secret must match too, so a rotated secret never reuses an old key.
        if let hit = entries.withLock({ $0[cacheKey] }), hit.secretAccessKey == secretAccessKey {
            return hit.key
        }
        let key = SigV4Canonical.signingKey(secretAccessKey: secretAccessKey, date: date, region: region, service: service)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[cacheKey] = Entry(secretAccessKey: secretAccessKey, key: key)
        }
        return key
    }
}
