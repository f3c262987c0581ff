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

    private struct State: Sendable {
        var entries: [Scope: Entry] = [:]
        /// The last key handed out: one principal's calls of one day ask for it again and again, and comparing
        /// four Strings is cheaper than hashing them.
        var last: (scope: Scope, entry: Entry)?
    }
    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func signingKey(accessKeyId: String, secretAccessKey: String, date: String, region: String, service: String) -> HMACSHA256Key {
        let scope = Scope(accessKeyId: accessKeyId, date: date, region: region, service: service)
        // The stored secret must match too, so a rotated secret never reuses an old key.
        let hit: Entry? = state.withLock { s in
            if let last = s.last, last.scope == scope { return last.entry }
            guard let e = s.entries[scope] else { return nil }
            s.last = (scope, e)
            return e
        }
        if let hit, hit.secretAccessKey == secretAccessKey { return hit.key }
        let key = HMACSHA256Key(SigV4Canonical.signingKey(secretAccessKey: secretAccessKey, date: date, region: region, service: service))
        state.withLock { s in
            if s.entries.count >= capacity { s.entries.removeAll(keepingCapacity: true) }
            let e = Entry(secretAccessKey: secretAccessKey, key: key)
            s.entries[scope] = e
            s.last = (scope, e)
        }
        return key
    }
}
