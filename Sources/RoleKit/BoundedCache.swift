// Memo for text a role builds from a few values that repeat on every call (a principal, a model, a route): never
// content. One mechanism for the front end, the endpoint, the model host and the client.

/// Looked up first, made and kept otherwise; emptied when it holds `limit` entries, so a stream of distinct keys
/// cannot grow it. Owned by one role on its node loop (not thread-safe).
struct BoundedCache<Key: Hashable, Value> {
    private var entries: [Key: Value] = [:]
    /// The entry used last, compared before hashing: calls repeat the previous call's key (one principal, one
    /// model), and comparing Strings that are the same object costs less than hashing them.
    private var last: (key: Key, value: Value)?
    let limit: Int

    init(limit: Int) { self.limit = limit }

    mutating func value(for key: Key, _ make: () -> Value) -> Value {
        if let last, last.key == key { return last.value }
        if let known = entries[key] { last = (key, known); return known }
        let made = make()
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = made
        last = (key, made)
        return made
    }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true); last = nil }
}
