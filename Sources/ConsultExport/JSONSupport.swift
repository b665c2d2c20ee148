import Foundation

/// A value encoded as JSON `null` when absent, so that optional keys are
/// always present (stable keys) instead of being left out.
struct Nullable<Wrapped: Encodable>: Encodable {
  /// The value, or nil for `null`.
  let value: Wrapped?

  init(_ value: Wrapped?) {
    self.value = value
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    if let value {
      try container.encode(value)
    } else {
      try container.encodeNil()
    }
  }
}

/// Shared settings of every JSON export.
enum ExportJSON {
  /// A JSON encoder: keys converted to snake_case and sorted, slashes not escaped; `pretty` adds indentation.
  static func encoder(pretty: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
      pretty
      ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      : [
        .sortedKeys, .withoutEscapingSlashes,
      ]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
  }

  /// An instant as ISO 8601 in UTC with second precision, e.g. `2015-09-17T07:30:00Z` (RFC 3339 §5.6).
  static func timestamp(_ date: Date) -> String {
    ProceedingsView.iso8601(date)
  }
}
