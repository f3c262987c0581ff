// Memo for text a role builds from a few values that repeat on every call (a principal, a model, a route): never
// content. One mechanism for the front end, the endpoint and the client.

/// Looked up first, made and kept otherwise; emptied when it holds `limit` entries, so a stream of distinct keys
/// cannot grow it. Owned by one role on its node loop (not thread-safe).
struct BoundedCache<Key: Hashable, Value> {
    private var entries: [Key: Value] = [:]
    let limit: Int

    init(limit: Int) { self.limit = limit }

    mutating func value(for key: Key, _ make: () -> Value) -> Value {
        if let known = entries[key] { return known }
        let made = make()
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = made
        return made
    }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }
}
