/// A JSON object's members in document order, the first of a repeated key kept. A request body
/// has a handful of members and is read once, so a list searched by comparing keys costs less
/// than a dictionary that hashes every key on insert and again on each look-up (profiled). An
/// object with many members gets a hash index, so hostile bodies stay linear.
struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private(set) var members: [(key: String, value: JSONValue)] = []
    /// Member positions by key, built once the object outgrows a short scan.
    private var index: [String: Int]?

    static let scanLimit = 16

    init() {}

    init(capacity: Int) {
        self.members.reserveCapacity(capacity)
    }

    init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self.insertIfAbsent(key, value) }
    }

    var count: Int { self.members.count }

    subscript(key: String) -> JSONValue? {
        guard let position = self.position(of: key) else { return nil }
        return self.members[position].value
    }

    /// Adds the member unless the key is already there (the first value wins).
    mutating func insertIfAbsent(_ key: String, _ value: JSONValue) {
        guard self.position(of: key) == nil else { return }
        self.members.append((key, value))
        if self.index != nil {
            self.index?[key] = self.members.count - 1
        } else if self.members.count > Self.scanLimit {
            var index = [String: Int](minimumCapacity: self.members.count * 2)
            for (position, member) in self.members.enumerated() { index[member.key] = position }
            self.index = index
        }
    }

    private func position(of key: String) -> Int? {
        if let index = self.index { return index[key] }
        // Lengths first: most keys compared differ in length, and that test is inline while
        // String's == on different short strings is a call into the runtime (profiled).
        let length = key.utf8.count
        return self.members.firstIndex { $0.key.utf8.count == length && $0.key == key }
    }

    /// Equal when both hold the same keys with equal values, in any order (as JSON means).
    static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.members.allSatisfy { rhs[$0.key] == $0.value }
    }
}
