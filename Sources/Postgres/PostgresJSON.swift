#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A `json` or `jsonb` value, kept as its JSON text (PostgreSQL docs §8.14 "JSON Types").
///
/// Sent as text; the server validates it (`22P02` for malformed JSON, `22P05` for
/// `\u0000` in `jsonb`). `jsonb` output is normalised by the server (key order,
/// whitespace), so compare decoded values, not texts.
public struct PostgresJSON: Sendable, Hashable, CustomStringConvertible, PostgresEncodable,
  PostgresDecodable
{
  /// The JSON document as text (UTF-8).
  public var text: String

  /// Wraps JSON text as is; it is not validated here.
  public init(text: String) {
    self.text = text
  }

  /// Encodes `value` to JSON with `encoder` (default: a `JSONEncoder` with
  /// sorted keys and unescaped slashes; dates in its default `Double` form — pass
  /// an encoder with another `dateEncodingStrategy` if you store dates in JSON).
  /// - Throws: the encoder's `EncodingError`.
  public init<T: Encodable>(encoding value: T, encoder: JSONEncoder? = nil) throws {
    let encoder = encoder ?? Self.defaultEncoder()
    let data = try encoder.encode(value)
    self.text = String(decoding: data, as: UTF8.self)
  }

  /// Decodes the JSON text into `type` with `decoder` (default: a plain `JSONDecoder`).
  /// - Throws: the decoder's `DecodingError`.
  public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder? = nil) throws -> T {
    try (decoder ?? JSONDecoder()).decode(type, from: Data(text.utf8))
  }

  /// The JSON text sent as the parameter value.
  public var postgresText: String { text }

  /// Wraps the column's JSON text; never throws.
  public init(postgresText: String) throws(PostgresError) {
    self.text = postgresText
  }

  /// The JSON text.
  public var description: String { text }

  private static func defaultEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }
}
