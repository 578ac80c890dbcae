/// Helpers for configuration structs: every field optional with a documented default, and
/// unknown keys rejected by name (a typo must not silently fall back to a default).
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

public func rejectUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorruptedError(
            forKey: key, in: container,
            debugDescription: "unknown setting '\(key.stringValue)' (known: \(known.sorted().joined(separator: ", ")))")
    }
}

extension KeyedDecodingContainer {
    public func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
