import SimCrypto
import Synchronization

/// Signing keys by (access key, date, region, service): the four-HMAC derivation depends on nothing
/// else, so AWS front ends and SDKs cache it. Bounded; cleared wholesale when full (keys roll daily).
/// Each key is kept prepared for HMAC (its inner and outer hash states), since it signs every request of its day.
final class SigningKeyCache: Sendable {
    private struct Scope: Hashable, Sendable {
        let accessKeyId: String, date: String, region: String, service: String
    }
    private struct Entry: Sendable {
        let secretAccessKey: String
        let key: HMACSHA256Key
    }

    private let entries = Mutex<[Scope: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func signingKey(accessKeyId: String, secretAccessKey: String, date: String, region: String, service: String) -> HMACSHA256Key {
        let scope = Scope(accessKeyId: accessKeyId, date: date, region: region, service: service)
        // The stored secret must match too, so a rotated secret never reuses an old key.
        if let hit = entries.withLock({ $0[scope] }), hit.secretAccessKey == secretAccessKey {
            return hit.key
        }
        let key = HMACSHA256Key(SigV4Canonical.signingKey(secretAccessKey: secretAccessKey, date: date, region: region, service: service))
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[scope] = Entry(secretAccessKey: secretAccessKey, key: key)
        }
        return key
    }
}
