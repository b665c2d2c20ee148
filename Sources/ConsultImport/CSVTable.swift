import ConsultCore
import Foundation

/// A header row found in a CSV file: where it is and where each named column is.
struct CSVHeader {
  /// The 1-based line of the header row.
  var line: Int
  /// The number of fields in the header row.
  var count: Int
  /// The 0-based position of each column name asked for, keyed by the name as asked.
  var positions: [String: Int]

  /// How many non-empty rows may come before the header row.
  static let searchLimit = 25

  /// Reads `rows` up to and including the header row: the first non-blank row, within the first
  /// ``searchLimit`` non-blank rows, that names every column in `identifying`.
  ///
  /// Names are compared trimmed and case-insensitively; a UTF-8 byte-order mark is dropped by
  /// the reader. Sets `rows.columnNames` so that later errors name columns.
  ///
  /// - Throws: ``ImportError`` if no such row is found ("header row not found"), it lacks a
  ///   `required` column ("missing required column"), or it names one of them twice.
  static func read(
    _ rows: CSVRowReader, identifying: [String], required: [String], optional: [String] = []
  ) throws(ImportError) -> CSVHeader {
    var seen = 0
    var firstRow: (line: Int, lacking: [String])?
    while let row = try rows.next() {
      if row.isBlank { continue }
      seen += 1
      let names = row.fields.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
      let lowered = names.map { $0.lowercased() }
      if firstRow == nil {
        firstRow = (row.line, identifying.filter { !lowered.contains($0.lowercased()) })
      }
      if identifying.allSatisfy({ lowered.contains($0.lowercased()) }) {
        rows.columnNames = names
        var positions: [String: Int] = [:]
        for column in required + optional {
          let found = lowered.indices.filter { lowered[$0] == column.lowercased() }
          if found.count > 1 {
            throw ImportError(
              file: rows.url.path, line: row.line, column: column,
              message: "column \"\(column)\" appears \(found.count) times in the header")
          }
          if let position = found.first { positions[column] = position }
        }
        let missing = required.filter { positions[$0] == nil }
        if let first = missing.first {
          throw ImportError(
            file: rows.url.path, line: row.line, column: first,
            message: "missing required column" + (missing.count > 1 ? "s " : " ")
              + missing.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return CSVHeader(line: row.line, count: row.fields.count, positions: positions)
      }
      if seen >= searchLimit { break }
    }
    let quoted = { (names: [String]) in names.map { "\"\($0)\"" }.joined(separator: ", ") }
    guard let firstRow else {
      throw ImportError(file: rows.url.path, line: 1, message: "no header row: the file has no non-blank row")
    }
    // Most files have their header first: say what that row lacks rather than only that no
    // header was found.
    throw ImportError(
      file: rows.url.path, line: firstRow.line, column: firstRow.lacking.first,
      message: "header row not found: no row within the first \(searchLimit) non-empty rows names "
        + "\(quoted(identifying)); the first row (line \(firstRow.line)) lacks \(quoted(firstRow.lacking))")
  }

  /// The field of `row` in `column` (a name given to ``read(_:identifying:required:optional:)``)
  /// trimmed of surrounding whitespace, CRLF normalised to LF; `nil` if the column is absent or
  /// the field is empty.
  func value(_ column: String, in row: CSVRow) -> String? {
    guard let position = positions[column] else { return nil }
    let text = RegulationsGovSource.normaliseNewlines(row.fields[position])
      .trimmingCharacters(in: .whitespacesAndNewlines)
    return text.isEmpty ? nil : text
  }

  /// The field of `row` in `column` untrimmed, CRLF normalised to LF; `nil` if the column is
  /// absent.
  func raw(_ column: String, in row: CSVRow) -> String? {
    positions[column].map { RegulationsGovSource.normaliseNewlines(row.fields[$0]) }
  }

  /// Throws unless `row` has as many fields as the header.
  func checkFieldCount(_ row: CSVRow, in rows: CSVRowReader) throws(ImportError) {
    guard row.fields.count != count else { return }
    throw ImportError(
      file: rows.url.path, line: row.line,
      message: "record has \(row.fields.count) fields but the header (line \(line)) has \(count)")
  }
}

extension CSVRowReader {
  /// Reads the remaining rows, skipping blank ones, and turns each into a record with `make`.
  ///
  /// Record-level errors (thrown by `make`, or by ``next()`` while the reader can go on: a NUL
  /// byte or an oversized field) go to `invalid`; file-level errors from ``next()`` (broken
  /// quoting, invalid UTF-8, read errors) throw. Errors from `invalid` and `body` are rethrown.
  func forEachRecord(
    invalid: (ImportError) throws -> Void,
    make: (CSVRow) throws(ImportError) -> SubmissionRecord,
    _ body: (SubmissionRecord) throws -> Void
  ) throws {
    while true {
      let row: CSVRow
      do {
        guard let next = try next() else { return }
        row = next
      } catch {
        if isFinished { throw error }
        try invalid(error)
        continue
      }
      if row.isBlank { continue }
      var record: SubmissionRecord
      do {
        record = try make(row)
        try record.checkKeyLengths(file: url.path)
      } catch {
        try invalid(error)
        continue
      }
      record.byteOffset = bytesRead
      try body(record)
    }
  }
}

/// Checks shared by the sources.
enum FieldCheck {
  /// Throws if `text` contains a NUL character or is over ``CSVRowReader/maxFieldBytes`` bytes.
  static func check(
    _ text: String, file: String, line: Int, column: String
  ) throws(ImportError) {
    if text.utf8.contains(0) {
      throw ImportError(file: file, line: line, column: column, message: "NUL byte in field")
    }
    if text.utf8.count > CSVRowReader.maxFieldBytes {
      throw ImportError(
        file: file, line: line, column: column,
        message:
          "field is \(Phrasing.counted(text.utf8.count, "byte")) long; the limit is \(Phrasing.counted(CSVRowReader.maxFieldBytes, "byte"))"
      )
    }
  }

  /// A BCP 47 language tag written by a source, lowercased (`EN` → `en`, `pt_BR` → `pt-br`);
  /// `nil` if empty. Throws unless it is letters, digits and `-` only, starting with 2–3 letters.
  static func language(
    _ text: String?, file: String, line: Int, column: String
  ) throws(ImportError) -> String? {
    guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
    let tag = text.lowercased().replacingOccurrences(of: "_", with: "-")
    let primary = tag.split(separator: "-", omittingEmptySubsequences: false)[0]
    guard (2...3).contains(primary.count), primary.allSatisfy({ $0.isASCII && $0.isLetter }),
      tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }), !tag.hasSuffix("-")
    else {
      throw ImportError(
        file: file, line: line, column: column, message: "\"\(text)\" is not a language tag such as en or pt-BR")
    }
    return tag
  }
}
