import Foundation

/// The regulations.gov "Export" docket CSV plus its text-comments CSV.
///
/// The docket file is the CSV the old regulations.gov docket page exported: a few preamble rows
/// (docket ID, title, agency, then rows of only commas) before the real header row, one row per
/// document, `N/A` as the null value in every column, and US calendar dates such as `6/7/2018`.
/// The text-comments file has the header `Document ID,Text Comment` and joins the docket on
/// `Document ID`; the docket row of the rule document itself has no text. Both files must be
/// UTF-8 (a byte-order mark is allowed) with LF or CRLF line endings.
public struct RegulationsGovSource: Sendable {
  /// The docket export CSV.
  public let docketFile: URL
  /// The text-comments CSV, if there is one; without it every record's text is `nil`.
  public let textsFile: URL?
  /// The character encoding of both files (UTF-8 unless the user says Windows-1252).
  public var encoding: SourceEncoding = .utf8

  /// Uses the given files as they are, without checking them; ``read(_:)`` validates them.
  /// Prefer ``locate(_:texts:)`` for a path a user typed.
  public init(docketFile: URL, textsFile: URL? = nil) {
    self.docketFile = docketFile
    self.textsFile = textsFile
  }

  /// Finds the docket CSV and, optionally, the text-comments CSV.
  ///
  /// - Parameters:
  ///   - path: either a directory holding both CSVs, or the docket CSV itself. In a directory,
  ///     the files ending in `.csv` are identified by their header: the text file's header is
  ///     `Document ID,Text Comment`; the docket file has the preamble and then a header naming
  ///     `Document ID` and the other required columns (see ``read(_:)``), within its first 25
  ///     non-empty rows. Given the docket CSV, the text file is looked for in the same directory
  ///     and is optional.
  ///   - texts: the text-comments CSV to use; overrides any found next to the docket.
  /// - Returns: the located files.
  /// - Throws: ``ImportError`` if `path` does not exist, no docket CSV is found, several docket
  ///   or text CSVs are found and none is named, `texts` is not a text-comments CSV, or the
  ///   docket CSV given is not one (e.g. it is the text file).
  public static func locate(_ path: URL, texts: URL? = nil) throws(ImportError)
    -> RegulationsGovSource
  {
    let fileManager = FileManager.default
    var isDirectory: ObjCBool = false
    guard fileManager.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
      throw ImportError(file: path.path, message: "no such file or directory")
    }

    var textsFile: URL? = nil
    if let texts {
      guard try sniff(texts) == .texts else {
        throw ImportError(
          file: texts.path,
          message: "not a regulations.gov text-comments CSV (expected the header "
            + "\"\(Column.documentID),\(Column.textComment)\")")
      }
      textsFile = texts
    }

    if !isDirectory.boolValue {
      switch try sniff(path) {
      case .docket: break
      case .texts:
        throw ImportError(
          file: path.path,
          message: "this is a text-comments CSV; give the docket export CSV or the directory "
            + "holding both")
      }
      if texts == nil {
        let directory = path.deletingLastPathComponent()
        let found = try candidates(in: directory).found.filter {
          $0.kind == .texts && $0.url.standardizedFileURL != path.standardizedFileURL
        }
        if found.count > 1 {
          throw ImportError(
            file: directory.path,
            message: "several text-comments CSVs found (\(names(found))); name one with `texts`")
        }
        textsFile = found.first?.url
      }
      return RegulationsGovSource(docketFile: path, textsFile: textsFile)
    }

    let (found, rejected) = try candidates(in: path)
    let dockets = found.filter { $0.kind == .docket }
    guard let docket = dockets.first else {
      let reasons = rejected.map { "\($0.url.lastPathComponent): \($0.error.message)" }
      throw ImportError(
        file: path.path,
        message: "no regulations.gov docket CSV found (a .csv file whose header row names "
          + "\(Column.required.joined(separator: ", ")))"
          + (reasons.isEmpty ? "" : "; " + reasons.joined(separator: "; ")))
    }
    guard dockets.count == 1 else {
      throw ImportError(
        file: path.path,
        message: "several docket CSVs found (\(names(dockets))); give the docket file itself")
    }
    if texts == nil {
      let textFiles = found.filter { $0.kind == .texts }
      if textFiles.count > 1 {
        throw ImportError(
          file: path.path,
          message: "several text-comments CSVs found (\(names(textFiles))); name one with `texts`")
      }
      textsFile = textFiles.first?.url
    }
    return RegulationsGovSource(docketFile: docket.url, textsFile: textsFile)
  }

  /// Reads and validates both files, calling `body` once per docket row, in file order.
  ///
  /// The text file is loaded into a `[Document ID: text]` dictionary first; the docket is then
  /// streamed row by row, so memory holds the texts and the set of IDs seen, not the records.
  /// Rows of only empty fields are skipped everywhere; in the docket, rows before the header row
  /// (the preamble) are skipped too.
  ///
  /// Values: `N/A` (any case) and empty fields become `nil`; strings are trimmed (the comment
  /// text is not, but its HTML character references are decoded) and CRLF becomes LF. `Posted Date` and `Received Date` are `M/D/YYYY` or
  /// `YYYY-MM-DD` calendar dates, returned as midnight America/New_York (US Eastern time) of that
  /// date (by ``LocalTimeResolver``'s rule; Eastern midnights are never skipped or repeated). The docket's header row must name at least `Document ID`, `Document Type`,
  /// `Posted Date`, `Received Date`, `Submitter Last Name`, `Submitter First Name` and
  /// `Organization`; `Document Title`, `Attachment Count` and `Document Detail` are read when
  /// present. Header names are compared trimmed and case-insensitively; unnamed (padding) columns
  /// are allowed and ignored.
  ///
  /// - Parameters:
  ///   - invalid: called with each record-level error instead of throwing it (see below);
  ///     ``read(_:)`` passes one that rethrows, so the first error stops the import.
  ///   - body: called with each record; an error it throws stops reading and is rethrown.
  /// - Throws: ``ImportError`` naming the file, the line where the offending record starts and
  ///   the column when known, for: no header row (none naming `Document ID` within the first 25
  ///   non-empty rows); a missing required column or a column named twice; broken CSV quoting (a
  ///   quoted field never closed, or a character after a closing quote); invalid UTF-8, or UTF-16/UTF-32; a NUL byte; a row whose
  ///   field count differs from the header's; an empty or duplicate `Document ID` in either file;
  ///   an unparseable date (naming the column and value); an attachment count that is not a
  ///   non-negative integer; a field over 1,000,000 bytes. Errors in the text file are thrown
  ///   before `body` is first called. A text whose `Document ID` is not in the docket can only be
  ///   known at the end, so it is thrown after the last call to `body`; callers must treat any
  ///   throw as "write nothing".
  ///
  /// With ``read(invalid:_:)`` (`--skip-invalid`), docket-row errors (field count, empty or
  /// duplicate Document ID, date, attachment count, NUL byte, oversized field) and texts without
  /// a docket row go to `invalid` and reading goes on; errors in the texts file itself, a missing
  /// header or column, broken quoting and invalid UTF-8 still stop everything.
  public func read(invalid: (ImportError) throws -> Void, _ body: (SubmissionRecord) throws -> Void) throws {
    var texts = try textsFile.map { url throws(ImportError) in try Self.loadTexts(url, encoding: encoding) } ?? [:]

    guard let eastern = CalendarDate.eastern else {
      throw ImportError(
        file: docketFile.path,
        message: "time zone \(CalendarDate.easternTimeZoneID) is not available on this system")
    }
    let rows = try CSVRowReader(url: docketFile, encoding: encoding)
    let header = try Self.readHeader(
      rows, required: Column.required, optional: Column.optional)
    var seen = SourceIDRegistry()
    let file = docketFile.path

    try rows.forEachRecord(invalid: invalid) { (row: CSVRow) throws(ImportError) -> SubmissionRecord in
      try header.checkFieldCount(row, in: rows)
      let id = try header.id(row, in: rows)
      // Taken now, so that a rejected row's text is not reported again as a text without a row.
      let text = texts.removeValue(forKey: id)?.text
      if let first = seen[id] {
        throw ImportError(
          file: file, line: row.line, column: Column.documentID,
          message: "duplicate Document ID \"\(id)\" (first at line \(first))")
      }

      func value(_ column: String) -> String? {
        header.index(of: column).flatMap { Self.clean(row.fields[$0]) }
      }
      func date(_ column: String) throws(ImportError) -> Date? {
        guard let text = value(column) else { return nil }
        guard let parts = CalendarDate.components(text) else {
          throw ImportError(
            file: file, line: row.line, column: column,
            message: "unparseable date \"\(text)\" in column \(column) "
              + "(expected M/D/YYYY or YYYY-MM-DD)")
        }
        do {
          return try CalendarDate.midnight(parts, in: eastern, text: "\"\(text)\" (midnight)")
        } catch {
          throw ImportError(file: file, line: row.line, column: column, message: "date \(error)")
        }
      }
      var attachments: Int? = nil
      if let text = value(Column.attachmentCount) {
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let count = Int(text) else {
          throw ImportError(
            file: file, line: row.line, column: Column.attachmentCount,
            message: "attachment count \"\(text)\" is not a non-negative integer")
        }
        attachments = count
      }
      let postedAt = try date(Column.postedDate)
      let receivedAt = try date(Column.receivedDate)
      seen[id] = row.line
      return SubmissionRecord(
        sourceID: id,
        text: text,
        title: value(Column.documentTitle),
        documentType: value(Column.documentType),
        firstName: value(Column.firstName),
        lastName: value(Column.lastName),
        organisation: value(Column.organization),
        postedAt: postedAt,
        receivedAt: receivedAt,
        attachmentCount: attachments,
        sourceURL: value(Column.documentDetail),
        line: row.line)
    } _: { record in
      try body(record)
    }

    // Texts whose Document ID is not in the docket: known only now. Each is a record-level
    // error of the texts file (its docket row is missing or was rejected above).
    if let textsFile {
      for (id, orphan) in texts.sorted(by: { $0.value.line < $1.value.line }) {
        try invalid(
          ImportError(
            file: textsFile.path, line: orphan.line, column: Column.documentID,
            message: "text for Document ID \"\(id)\", which is not in the docket file"))
      }
    }
  }
}

// MARK: - Columns and header

extension RegulationsGovSource {
  /// Column names of the regulations.gov exports.
  enum Column {
    static let documentID = "Document ID"
    static let documentType = "Document Type"
    static let postedDate = "Posted Date"
    static let receivedDate = "Received Date"
    static let lastName = "Submitter Last Name"
    static let firstName = "Submitter First Name"
    static let organization = "Organization"
    static let documentTitle = "Document Title"
    static let attachmentCount = "Attachment Count"
    static let documentDetail = "Document Detail"
    static let textComment = "Text Comment"

    /// The docket columns ``RegulationsGovSource/read(_:)`` requires.
    static let required = [
      documentID, documentType, postedDate, receivedDate, lastName, firstName, organization,
    ]
    /// The docket columns read when present.
    static let optional = [documentTitle, attachmentCount, documentDetail]
  }

  /// How many non-empty rows may come before the header row.
  static let headerSearchLimit = 25

  /// A header row: its line, its field count and where each column we read is.
  struct Header {
    var line: Int
    var count: Int
    var indices: [String: Int]

    /// The 0-based index of `column` (one of the names asked for), or `nil` if absent.
    func index(of column: String) -> Int? { indices[column.lowercased()] }

    /// Throws unless `row` has as many fields as the header.
    func checkFieldCount(_ row: CSVRow, in rows: CSVRowReader) throws(ImportError) {
      guard row.fields.count != count else { return }
      throw ImportError(
        file: rows.url.path, line: row.line,
        message: "record has \(row.fields.count) fields but the header (line \(line)) has "
          + "\(count); check for broken quoting or a stray comma")
    }

    /// The trimmed, non-empty `Document ID` of `row`, or throws.
    func id(_ row: CSVRow, in rows: CSVRowReader) throws(ImportError) -> String {
      guard let index = index(of: Column.documentID),
        let id = RegulationsGovSource.clean(row.fields[index])
      else {
        throw ImportError(
          file: rows.url.path, line: row.line, column: Column.documentID,
          message: "empty Document ID")
      }
      return id
    }
  }

  /// Reads `rows` up to and including the header row: the first non-empty row, within the first
  /// ``headerSearchLimit`` non-empty rows, that names `Document ID`.
  ///
  /// - Returns: the header, with the indices of the `required` and `optional` columns found.
  /// - Throws: ``ImportError`` if no such row is found, it lacks a `required` column, or it
  ///   names a column we read twice.
  static func readHeader(
    _ rows: CSVRowReader, required: [String], optional: [String]
  ) throws(ImportError) -> Header {
    var seenRows = 0
    while let row = try rows.next() {
      if row.isBlank { continue }
      seenRows += 1
      let names = row.fields.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
      let lowered = names.map { $0.lowercased() }
      if lowered.contains(Column.documentID.lowercased()) {
        rows.columnNames = names
        var indices: [String: Int] = [:]
        for column in required + optional {
          let positions = lowered.indices.filter { lowered[$0] == column.lowercased() }
          if positions.count > 1 {
            throw ImportError(
              file: rows.url.path, line: row.line, column: column,
              message: "column \"\(column)\" appears \(positions.count) times in the header")
          }
          if let position = positions.first { indices[column.lowercased()] = position }
        }
        let missing = required.filter { indices[$0.lowercased()] == nil }
        if let first = missing.first {
          throw ImportError(
            file: rows.url.path, line: row.line, column: first,
            message: "missing required column"
              + (missing.count > 1 ? "s " : " ")
              + missing.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return Header(line: row.line, count: row.fields.count, indices: indices)
      }
      if seenRows >= headerSearchLimit { break }
    }
    throw ImportError(
      file: rows.url.path,
      message: "header row not found: no row naming \(required.joined(separator: ", ")) "
        + "within the first \(headerSearchLimit) non-empty rows")
  }

  // MARK: - Text file

  /// A comment text and the line where its record starts in the text file.
  struct TextEntry {
    var text: String?
    var line: Int
  }

  /// Loads the text-comments CSV into a dictionary keyed by `Document ID`.
  ///
  /// - Throws: ``ImportError`` for a missing header or column, a field-count mismatch, an empty
  ///   or duplicate `Document ID`, and the CSV-level errors of ``CSVRowReader``.
  static func loadTexts(_ url: URL, encoding: SourceEncoding = .utf8) throws(ImportError) -> [String: TextEntry] {
    let rows = try CSVRowReader(url: url, encoding: encoding)
    let header = try readHeader(
      rows, required: [Column.documentID, Column.textComment], optional: [])
    let textIndex = header.index(of: Column.textComment)!
    var texts: [String: TextEntry] = [:]
    while let row = try rows.next() {
      if row.isBlank { continue }
      try header.checkFieldCount(row, in: rows)
      let id = try header.id(row, in: rows)
      if let first = texts[id] {
        throw ImportError(
          file: url.path, line: row.line, column: Column.documentID,
          message: "duplicate Document ID \"\(id)\" (first at line \(first.line))")
      }
      texts[id] = TextEntry(text: commentText(row.fields[textIndex]), line: row.line)
    }
    return texts
  }

  /// A comment text as typed: CRLF normalised to LF and the HTML character references the
  /// export writes (`&amp;`, `&quot;`, `&#39;`) decoded (``HTMLEntities``); `nil` if empty, blank
  /// or `N/A`.
  static func commentText(_ raw: String) -> String? {
    clean(raw) == nil ? nil : HTMLEntities.decode(normaliseNewlines(raw))
  }

  // MARK: - Values

  /// `raw` trimmed of surrounding whitespace, CRLF normalised to LF; `nil` if that leaves an
  /// empty string or `N/A` (compared case-insensitively), the null marker of regulations.gov.
  static func clean(_ raw: String) -> String? {
    let trimmed = normaliseNewlines(raw).trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty || trimmed.caseInsensitiveCompare("N/A") == .orderedSame { return nil }
    return trimmed
  }

  /// `text` with each CRLF pair replaced by LF; lone CRs and LFs are kept.
  static func normaliseNewlines(_ text: String) -> String {
    guard text.utf8.contains(0x0D) else { return text }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var pendingCR = false
    for byte in text.utf8 {
      if pendingCR && byte != 0x0A { bytes.append(0x0D) }
      pendingCR = byte == 0x0D
      if !pendingCR { bytes.append(byte) }
    }
    if pendingCR { bytes.append(0x0D) }
    return String(decoding: bytes, as: UTF8.self)
  }

  // MARK: - Locating

  /// What a CSV file is, judged by its header.
  enum FileKind { case docket, texts }

  /// Decides from its header whether `url` is a docket export or a text-comments CSV.
  ///
  /// - Throws: ``ImportError`` if it is neither (the header error of ``readHeader``), or if it
  ///   cannot be read as CSV.
  static func sniff(_ url: URL) throws(ImportError) -> FileKind {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else {
      throw ImportError(file: url.path, message: "no such file")
    }
    let rows = try CSVRowReader(url: url)
    while let row = try rows.next() {
      if row.isBlank { continue }
      let names = row.fields.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
        .filter { !$0.isEmpty }
      if names == [Column.documentID.lowercased(), Column.textComment.lowercased()] {
        return .texts
      }
      break
    }
    let again = try CSVRowReader(url: url)
    _ = try readHeader(again, required: Column.required, optional: Column.optional)
    return .docket
  }

  /// The `.csv` files directly in `directory`, sorted by name: those that are docket or
  /// text-comments CSVs, and the others with the reason they are not.
  static func candidates(in directory: URL) throws(ImportError) -> (
    found: [(url: URL, kind: FileKind)], rejected: [(url: URL, error: ImportError)]
  ) {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    } catch {
      throw ImportError(file: directory.path, message: "cannot list directory: \(error)")
    }
    var found: [(url: URL, kind: FileKind)] = []
    var rejected: [(url: URL, error: ImportError)] = []
    for name in names.sorted() where !name.hasPrefix(".") && name.lowercased().hasSuffix(".csv") {
      let url = directory.appendingPathComponent(name)
      do {
        found.append((url, try sniff(url)))
      } catch {
        rejected.append((url, error))
      }
    }
    return (found, rejected)
  }

  /// The file names of `files`, comma-separated, for messages.
  static func names(_ files: [(url: URL, kind: FileKind)]) -> String {
    files.map(\.url.lastPathComponent).joined(separator: ", ")
  }
}
