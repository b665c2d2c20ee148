import ConsultCore
import Foundation
import Yams

/// Which columns of an arbitrary CSV file hold what, read from a small YAML mapping file.
///
/// ```yaml
/// id: Reference            # required: the column with each row's unique id
/// text: Comment            # required: the column with the contribution's text
/// author: Name             # optional: the author's display name (never used to merge people)
/// author-id: Respondent    # optional: a stable author key; rows with the same key are one person
/// organisation: Organisation   # optional
/// date: Submitted          # optional: when it was received
/// date-format: dd.MM.yyyy HH:mm   # optional: a Unicode date pattern (default: ISO 8601)
/// time-zone: Europe/Berlin # optional: IANA zone for dates without an offset (default: UTC)
/// language: Language       # optional: the column with each row's language tag
/// delimiter: ";"           # optional: one ASCII character (default ",")
/// ```
///
/// Values are column names as written in the header row (compared trimmed and case-insensitively).
/// Unknown keys are refused, so that a misspelt key is not silently ignored.
public struct CSVMapping: Sendable, Equatable {
  /// The id column (required).
  public var id: String
  /// The text column (required).
  public var text: String
  /// The author display-name column.
  public var author: String?
  /// The author key column.
  public var authorID: String?
  /// The organisation column.
  public var organisation: String?
  /// The date column.
  public var date: String?
  /// A Unicode date pattern (`yyyy-MM-dd HH:mm`, as Foundation's `DateFormatter` reads it) for
  /// the date column; `nil` for ISO 8601 (`YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]`,
  /// optionally a `Z` or `±HH:MM` offset; see ``WrittenTime/parse(_:separator:)``).
  public var dateFormat: String?
  /// The IANA time zone of dates written without an offset; `UTC` unless given. Local times in
  /// it become instants by ``LocalTimeResolver``'s rule: a time skipped or repeated by a clock
  /// change is a record-level error.
  public var timeZone: String
  /// The language column.
  public var language: String?
  /// The field separator, an ASCII byte; `,` unless given.
  public var delimiter: UInt8

  /// The keys a mapping file may have.
  static let keys = [
    "id", "text", "author", "author-id", "organisation", "date", "date-format", "time-zone", "language", "delimiter",
  ]

  /// Creates a mapping; see the properties.
  public init(
    id: String, text: String, author: String? = nil, authorID: String? = nil, organisation: String? = nil,
    date: String? = nil, dateFormat: String? = nil, timeZone: String = "UTC", language: String? = nil,
    delimiter: UInt8 = 0x2C
  ) {
    self.id = id
    self.text = text
    self.author = author
    self.authorID = authorID
    self.organisation = organisation
    self.date = date
    self.dateFormat = dateFormat
    self.timeZone = timeZone
    self.language = language
    self.delimiter = delimiter
  }

  /// Reads a mapping file (UTF-8 YAML, parsed with Yams).
  ///
  /// - Throws: ``ImportError`` naming the file and line for unreadable or invalid YAML, a
  ///   document that is not a mapping of keys to strings, an unknown key, a missing `id` or
  ///   `text`, an unknown `time-zone`, a `date-format` with a zone name or id field (`v`, `V`),
  ///   a `delimiter` that is not one ASCII character other than `"`, CR or LF.
  public static func load(_ url: URL) throws(ImportError) -> CSVMapping {
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw ImportError(file: url.path, message: "cannot read mapping file: \(error.localizedDescription)")
    }
    return try parse(text, file: url.path)
  }

  /// Parses mapping-file text; `file` is used in errors. See ``load(_:)``.
  public static func parse(_ yaml: String, file: String) throws(ImportError) -> CSVMapping {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch {
      throw ImportError(file: file, message: "invalid YAML: \(error)")
    }
    guard let mapping = root?.mapping else {
      throw ImportError(file: file, line: root?.mark?.line, message: "the mapping file must be a YAML mapping of keys")
    }
    var values: [String: String] = [:]
    for (keyNode, valueNode) in mapping {
      let line = keyNode.mark?.line
      guard let key = keyNode.scalar?.string, keys.contains(key) else {
        throw ImportError(
          file: file, line: line,
          message: "unknown key \"\(keyNode.scalar?.string ?? "?")\"; known keys: \(keys.joined(separator: ", "))")
      }
      guard values[key] == nil else {
        throw ImportError(file: file, line: line, column: key, message: "key \"\(key)\" given twice")
      }
      guard let value = valueNode.scalar?.string, !value.isEmpty || key == "delimiter" else {
        throw ImportError(file: file, line: line, column: key, message: "\(key) must be a non-empty string")
      }
      values[key] = value
    }
    for key in ["id", "text"] where values[key] == nil {
      throw ImportError(file: file, column: key, message: "missing required key \"\(key)\"")
    }
    var result = CSVMapping(
      id: values["id"]!, text: values["text"]!, author: values["author"], authorID: values["author-id"],
      organisation: values["organisation"], date: values["date"], dateFormat: values["date-format"],
      timeZone: values["time-zone"] ?? "UTC", language: values["language"])
    if LocalTimeResolver(zoneIdentifier: result.timeZone) == nil {
      throw ImportError(file: file, column: "time-zone", message: "unknown time zone \"\(result.timeZone)\"")
    }
    if let format = result.dateFormat, !DatePattern.zoneFields(in: format).isDisjoint(with: ["v", "V"]) {
      throw ImportError(
        file: file, column: "date-format",
        message: "date-format may not name a time zone (v, V): give time-zone, or an offset field such as XXX")
    }
    if let delimiter = values["delimiter"] {
      let bytes = Array(delimiter.utf8)
      guard bytes.count == 1, bytes[0] < 0x80, ![0x22, 0x0A, 0x0D].contains(bytes[0]) else {
        throw ImportError(
          file: file, column: "delimiter",
          message: "delimiter must be one ASCII character other than a quote or line break, e.g. \";\"")
      }
      result.delimiter = bytes[0]
    }
    return result
  }
}

/// Any CSV file, its columns named by a ``CSVMapping``.
public struct MappedCSVSource: SkippingSubmissionSource {
  /// The CSV file.
  public let file: URL
  /// Which columns hold what.
  public let mapping: CSVMapping
  /// The file's character encoding.
  public let encoding: SourceEncoding

  /// Uses `file` with `mapping`; ``read(invalid:_:)`` validates the file.
  public init(_ file: URL, mapping: CSVMapping, encoding: SourceEncoding = .utf8) {
    self.file = file
    self.mapping = mapping
    self.encoding = encoding
  }

  /// `csv`.
  public var format: String { "csv" }
  /// The CSV file.
  public var mainFile: URL { file }
  /// `csv:FILE NAME`: a row id identifies a row of its file only (two files numbered from 1 hold
  /// different people and texts); re-importing a file of the same name matches its rows again.
  public var scope: String { "csv:" + file.lastPathComponent }

  /// Reads every row in file order.
  ///
  /// The header row is the first non-blank row, within the first 25, naming the `id` and `text`
  /// columns; every column the mapping names must be in it. Each record: `sourceID` = the id
  /// column (trimmed); `text` = the text column (CRLF → LF, not trimmed); `authorName` = the
  /// author column; `authorKey` = the author-id column; `organisation`; `receivedAt` and
  /// `postedAt` = the date column, read with `date-format` or as ISO 8601, in `time-zone` unless
  /// it carries an offset (a date alone is midnight there), by ``LocalTimeResolver``'s rule: a
  /// local time skipped when the clocks went forward, or repeated when they went back, is
  /// refused, the latter with both candidate instants (write the offset to choose); a
  /// `date-format` with a zone or offset field (`XXX`, `Z`, `zzz`, …) reads the instant the text
  /// names; `language` = the language column lowercased.
  ///
  /// - Parameters:
  ///   - invalid: receives each record-level error (an empty or duplicate id, empty text, an
  ///     unparseable date, one that does not exist or happens twice in `time-zone`, an invalid
  ///     language tag, a row with another field count than the header, a NUL byte, a field over
  ///     1,000,000 bytes) and reading goes on.
  ///   - body: called with each valid record.
  /// - Throws: ``ImportError`` for file-level errors: header row not found, a mapped column
  ///   missing from it, broken quoting, invalid UTF-8 (or bytes Windows-1252 does not define),
  ///   UTF-16; and what `invalid` or `body` throw.
  public func read(
    invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void
  ) throws {
    let path = file.path
    guard let zone = LocalTimeResolver(zoneIdentifier: mapping.timeZone) else {
      throw ImportError(file: path, message: "unknown time zone \"\(mapping.timeZone)\"")
    }
    let pattern = mapping.dateFormat.map(DatePattern.init)
    let m = mapping
    let optional = [m.author, m.authorID, m.organisation, m.date, m.language].compactMap { $0 }
    let rows = try CSVRowReader(url: file, delimiter: m.delimiter, encoding: encoding)
    let header = try CSVHeader.read(rows, identifying: [m.id, m.text], required: [m.id, m.text] + optional)
    var seen = SourceIDRegistry()
    try rows.forEachRecord(invalid: invalid) { (row: CSVRow) throws(ImportError) -> SubmissionRecord in
      try header.checkFieldCount(row, in: rows)
      guard let id = header.value(m.id, in: row) else {
        throw ImportError(file: path, line: row.line, column: m.id, message: "empty id")
      }
      if let first = seen[id] {
        throw ImportError(
          file: path, line: row.line, column: m.id, message: "duplicate id \"\(id)\" (first at line \(first))")
      }
      let text = header.raw(m.text, in: row) ?? ""
      guard !text.allSatisfy(\.isWhitespace) else {
        throw ImportError(file: path, line: row.line, column: m.text, message: "empty text")
      }
      var date: Date? = nil
      if let column = m.date, let written = header.value(column, in: row) {
        guard let fields = pattern.map({ $0.read(written) }) ?? WrittenTime.parse(written) else {
          throw ImportError(
            file: path, line: row.line, column: column,
            message: "date \"\(written)\" does not match "
              + (m.dateFormat.map { "the date format \"\($0)\" or is not a real date and time" }
                ?? "ISO 8601 (YYYY-MM-DD[THH:MM[:SS]][±HH:MM])"))
        }
        do {
          date = try zone.instant(fields, text: "\"\(written)\"")
        } catch {
          throw ImportError(file: path, line: row.line, column: column, message: "date \(error)")
        }
      }
      var record = SubmissionRecord(
        sourceID: id, text: text, organisation: m.organisation.flatMap { header.value($0, in: row) },
        postedAt: date, receivedAt: date, line: row.line)
      record.authorName = m.author.flatMap { header.value($0, in: row) }
      record.authorKey = m.authorID.flatMap { header.value($0, in: row) }
      record.language = try FieldCheck.language(
        m.language.flatMap { header.value($0, in: row) }, file: path, line: row.line, column: m.language ?? "")
      seen[id] = row.line
      return record
    } _: { record in
      try body(record)
    }
  }
}

/// A mapping's `date-format`: a Unicode date pattern read by Foundation's `DateFormatter`
/// (`en_US_POSIX`, not lenient).
///
/// A pattern without a zone or offset field yields wall-clock fields only: the text is read as
/// if in UTC, which has no clock changes, and the fields are handed to ``LocalTimeResolver`` like
/// any other local time. A pattern with an offset field (`X`, `x`, `Z`, `O`) or a zone
/// abbreviation (`z`, e.g. `CEST`, which names one offset) names its instant itself, which
/// becomes a time with offset `Z`. Generic zone names and zone ids (`v`, `V`) would let the
/// formatter pick one instant of a repeated hour, so ``CSVMapping/parse(_:file:)`` refuses them.
struct DatePattern {
  /// The formatter, in UTC.
  let formatter: DateFormatter
  /// Whether the pattern has a zone or offset field outside quotes.
  let hasZone: Bool

  /// Prepares `pattern` (e.g. `dd.MM.yyyy HH:mm`).
  init(_ pattern: String) {
    formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = formatter.timeZone
    formatter.calendar = calendar
    formatter.dateFormat = pattern
    formatter.isLenient = false
    hasZone = !Self.zoneFields(in: pattern).isEmpty
  }

  /// The zone and offset field letters (`X`, `x`, `Z`, `O`, `z`, `v`, `V`) used in `pattern`
  /// outside quoted literals.
  static func zoneFields(in pattern: String) -> Set<Character> {
    var quoted = false
    var fields: Set<Character> = []
    for character in pattern {
      if character == "'" {
        quoted.toggle()
      } else if !quoted, "XxZOzvV".contains(character) {
        fields.insert(character)
      }
    }
    return fields
  }

  /// The date and time `text` names, or `nil` if it does not match the pattern (or names a day
  /// or time of day that does not exist, which the formatter refuses).
  func read(_ text: String) -> WrittenTime? {
    guard let date = formatter.date(from: text) else { return nil }
    return WrittenTime(local: LocalDateTime(utcOf: date), offset: hasZone ? 0 : nil)
  }
}
