/// The character encoding of an import file.
public enum SourceEncoding: String, Sendable, CaseIterable {
  /// UTF-8, with or without a byte-order mark (the default).
  case utf8 = "utf-8"
  /// Windows-1252 (Western European, a superset of ISO 8859-1's printable range), as written by
  /// older Excel versions; transcoded to UTF-8 before parsing. Its five unassigned bytes (0x81,
  /// 0x8D, 0x8F, 0x90, 0x9D) are refused as unreadable.
  case windows1252 = "windows-1252"
}
