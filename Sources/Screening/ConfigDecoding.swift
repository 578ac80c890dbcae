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

/// A setting that is one of a few words: an unknown word is refused with the words known.
public protocol ConfigWord: RawRepresentable, CaseIterable, Decodable where RawValue == String {}

extension ConfigWord {
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let v = Self(rawValue: raw) else {
            let path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigError(field: path, message: "'\(raw)' is not one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = v
    }
}
