import ConsultCore
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One CSV record with the physical line where it starts.
public struct CSVRow: Sendable, Equatable {
  /// The fields, untrimmed, unquoted (`""` inside a quoted field is one `"`), line breaks inside
  /// quoted fields kept as written (CR, LF or CRLF).
  public var fields: [String]
  /// The 1-based physical line where the record starts.
  public var line: Int

  /// A record of `fields` starting on `line`.
  public init(fields: [String], line: Int) {
    self.fields = fields
    self.line = line
  }

  /// Whether every field is empty or whitespace only (a padding row such as `,,,,`, or a blank line).
  public var isBlank: Bool {
    fields.allSatisfy { $0.allSatisfy(\.isWhitespace) }
  }
}

/// consult's CSV reader: a byte-level reader of RFC 4180 CSV (comma-separated values, IETF RFC
/// 4180 §2) in UTF-8 (or Windows-1252 when asked), streaming a file in 256 KiB chunks with memory
/// flat in the file's size, giving each record with the physical line where it starts and every
/// error as an ``ImportError`` with file, line and column.
///
/// The grammar is RFC 4180's, with the quirks consult accepted before it had a reader of its
/// own (it used CSV.swift 2.5, whose records it gives byte for byte; the differential tests
/// compare it with CSV.swift, Python's `csv` module and PostgreSQL's `COPY … CSV`):
/// - a UTF-8 byte-order mark at the start of the file is dropped; a UTF-16 or UTF-32 one is
///   refused;
/// - a record ends at CRLF, a lone LF or a lone CR outside quotes (RFC 4180 says CRLF); the
///   last record need not end with one; a line break inside a quoted field is data, kept as
///   written;
/// - a field is quoted when its first byte is `"`; inside it `""` is one `"`; the closing quote
///   must be followed by the delimiter, a line break or the end of the file (else: broken
///   quoting); a quoted field still open at the end of the file is broken quoting;
/// - a `"` inside an unquoted field is kept literally (RFC 4180 forbids it; CSV.swift and
///   Python's `csv` keep it; PostgreSQL would start a quoted section there);
/// - a blank line is a record of one empty field; fields are never trimmed;
/// - the delimiter is one ASCII byte (`,` unless given; Decidim uses `;`).
///
/// Refused with their position: bytes that are not well-formed UTF-8 (Unicode §3.9, Table 3-7:
/// overlong forms, surrogates and code points above U+10FFFF included), a byte Windows-1252 does
/// not define (with `.windows1252`), broken quoting — these end the reading (file-level errors,
/// ``isFinished``) — and a NUL byte or a field over ``maxFieldBytes`` bytes, which refuse one
/// record only: ``next()`` may be called again and goes on with the next record.
public final class CSVRowReader {
  /// The largest field accepted, in UTF-8 bytes: the one limit of a contribution's text
  /// (``ContributionText/maxBytes``).
  public static let maxFieldBytes = ContributionText.maxBytes
  /// How many bytes are read from the file at a time.
  static let chunkSize = 262_144

  /// The file being read (for in-memory bytes, a URL made of the name given), for error messages.
  public let url: URL
  /// Header names (trimmed) used to name columns in errors once the header is known.
  public var columnNames: [String]?

  private let delimiter: UInt8
  private let encoding: SourceEncoding
  private var file: FileHandle?
  /// The bytes of the current chunk (UTF-8, transcoded when the file is Windows-1252).
  private var chunk: [UInt8] = []
  private var position = 0
  private var atEnd = false
  private var finished = false
  /// The physical line of the next byte.
  private var line = 1
  /// The previous record ended with a CR: an LF right after it belongs to that line break.
  private var pendingLF = false
  private var bytesFromFile = 0
  /// The current field's bytes (at most ``maxFieldBytes`` + 1 of them are kept).
  private var scratch: [UInt8] = []
  /// The current field's length in bytes, counting those not kept.
  private var fieldLength = 0

  /// Whether reading has stopped for good: after the end of the file or a file-level error
  /// (broken quoting, invalid UTF-8, a read error). An error thrown by ``next()`` while this is
  /// still `false` is about one record only (a NUL byte or an oversized field), and calling
  /// ``next()`` again goes on with the following record.
  public var isFinished: Bool { finished }

  /// How many bytes of the file have been read so far: the end of the last record returned plus
  /// a read-ahead of at most 256 KiB (for progress estimates; see ``SubmissionRecord/byteOffset``).
  public var bytesRead: Int { bytesFromFile }

  /// Opens `url` for reading.
  ///
  /// - Parameters:
  ///   - url: The CSV file.
  ///   - delimiter: The field separator, an ASCII byte (default `,`; Decidim uses `;`).
  ///   - encoding: The file's character encoding; Windows-1252 bytes are transcoded to UTF-8
  ///     chunk by chunk before they are parsed.
  /// - Throws: ``ImportError`` if the file cannot be opened or read, or is UTF-16/UTF-32 (only
  ///   UTF-8, with or without BOM, is accepted; or Windows-1252 when asked).
  public init(url: URL, delimiter: UInt8 = 0x2C, encoding: SourceEncoding = .utf8) throws(ImportError) {
    self.url = url
    self.delimiter = delimiter
    self.encoding = encoding
    try ImportError.checkReadable(url)
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw ImportError(file: url.path, message: "cannot open file")
    }
    file = handle
    scratch.reserveCapacity(4096)
    try checkStart()
  }

  /// Reads CSV from bytes in memory (tests, fuzzing harnesses), with the rules and errors of
  /// ``init(url:delimiter:encoding:)``; `name` stands for the file name in errors.
  ///
  /// - Throws: ``ImportError`` if the bytes start with a UTF-16 or UTF-32 byte-order mark.
  public init(
    bytes: [UInt8], name: String = "<memory>", delimiter: UInt8 = 0x2C, encoding: SourceEncoding = .utf8
  ) throws(ImportError) {
    self.url = URL(fileURLWithPath: name)
    self.delimiter = delimiter
    self.encoding = encoding
    file = nil
    bytesFromFile = bytes.count
    atEnd = true
    do {
      chunk = try Self.transcode(bytes, encoding: encoding, line: 1)
    } catch let message {
      throw ImportError(file: url.path, line: message.line, message: message.text)
    }
    try checkStart()
  }

  deinit {
    try? file?.close()
  }

  /// Returns the next record, or `nil` at the end of the file.
  ///
  /// - Throws: ``ImportError`` naming the line where the record starts, and the column, for
  ///   broken quoting, invalid UTF-8, a NUL byte, a field over ``maxFieldBytes`` bytes, or a
  ///   read error.
  public func next() throws(ImportError) -> CSVRow? {
    if finished { return nil }
    let outcome: Outcome
    do {
      outcome = try readRecord()
    } catch {
      finished = true
      throw error
    }
    switch outcome {
    case .record(let row): return row
    case .end:
      finished = true
      return nil
    case .invalidRecord(let error): throw error
    }
  }

  /// What reading one record gave.
  private enum Outcome {
    case record(CSVRow)
    case end
    /// A record-level error (NUL byte, oversized field): reading may go on.
    case invalidRecord(ImportError)
  }

  /// The header name of the 0-based field `index` when known and not empty, else its 1-based index.
  public func columnName(_ index: Int) -> String {
    if let columnNames, index < columnNames.count, !columnNames[index].isEmpty {
      return columnNames[index]
    }
    return String(index + 1)
  }

  /// How many line breaks (CRLF, lone CR or lone LF, each counted once) `text` contains; the same
  /// breaks the reader treats as record ends outside quotes and keeps verbatim inside them.
  public static func lineBreaks(in text: String) -> Int {
    var count = 0
    var afterCR = false
    for byte in text.utf8 {
      switch byte {
      case 0x0D:
        count += 1
        afterCR = true
      case 0x0A:
        if !afterCR { count += 1 }
        afterCR = false
      default:
        afterCR = false
      }
    }
    return count
  }

  // MARK: Reading

  private static let quote: UInt8 = 0x22
  private static let cr: UInt8 = 0x0D
  private static let lf: UInt8 = 0x0A

  /// Refuses a UTF-16/UTF-32 byte-order mark and drops a UTF-8 one.
  private func checkStart() throws(ImportError) {
    try fill()
    if encoding == .utf8 {
      let head = chunk[position..<min(chunk.count, position + 4)]
      if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
        || head.starts(with: [0x00, 0x00, 0xFE, 0xFF])
      {
        throw ImportError(
          file: url.path, line: 1,
          message: "file is UTF-16 or UTF-32 encoded (byte-order mark found); only UTF-8 is supported")
      }
      // The first chunk holds at least 3 bytes unless the file is shorter (a regular file's
      // read returns what was asked for until its end).
      if chunk[position...].starts(with: [0xEF, 0xBB, 0xBF]) { position += 3 }
    }
  }

  /// Makes sure a byte is available at `position` unless the file has ended.
  @inline(__always)
  private func fill() throws(ImportError) {
    if position < chunk.count || atEnd { return }
    try refill()
  }

  private func refill() throws(ImportError) {
    guard let file else {
      atEnd = true
      return
    }
    let data: Data
    do {
      data = try file.read(upToCount: Self.chunkSize) ?? Data()
    } catch {
      throw ImportError(file: url.path, line: line, message: "read error: \(error.localizedDescription)")
    }
    if data.isEmpty {
      atEnd = true
      chunk = []
      position = 0
      return
    }
    bytesFromFile += data.count
    do {
      chunk = try Self.transcode([UInt8](data), encoding: encoding, line: line)
    } catch let message {
      throw ImportError(file: url.path, line: message.line, message: message.text)
    }
    position = 0
  }

  /// A reason and line for an error found while transcoding.
  private struct TranscodingError: Error {
    var line: Int
    var text: String
  }

  /// `bytes` as UTF-8: unchanged for UTF-8, transcoded byte by byte for Windows-1252 (a
  /// single-byte encoding: every chunk boundary is a character boundary).
  private static func transcode(_ bytes: [UInt8], encoding: SourceEncoding, line: Int) throws(TranscodingError)
    -> [UInt8]
  {
    guard encoding == .windows1252 else { return bytes }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + bytes.count / 8)
    for byte in bytes {
      if byte < 0x80 {
        out.append(byte)
        continue
      }
      let scalar = windows1252[Int(byte)]
      guard scalar != 0 else {
        throw TranscodingError(
          line: line, text: "byte 0x\(String(byte, radix: 16, uppercase: true)) is not a Windows-1252 character")
      }
      out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
    }
    return out
  }

  /// The Unicode scalar of each Windows-1252 byte (WHATWG Encoding Standard, index
  /// windows-1252); 0 for the five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
  private static let windows1252: [UInt32] = {
    var table = (0..<256).map { UInt32($0) }
    let high: [UInt32] = [
      0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
      0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
      0x0153, 0, 0x017E, 0x0178,
    ]
    for (offset, scalar) in high.enumerated() { table[0x80 + offset] = scalar }
    return table
  }()

  /// The next byte, consumed, or nil at the end of the file.
  @inline(__always)
  private func nextByte() throws(ImportError) -> UInt8? {
    if position >= chunk.count {
      if atEnd { return nil }
      try refill()
      if position >= chunk.count { return nil }
    }
    let byte = chunk[position]
    position += 1
    return byte
  }

  /// Reads one record (see the type's grammar); CSV.swift's `readRow` in bytes.
  private func readRecord() throws(ImportError) -> Outcome {
    if pendingLF {
      pendingLF = false
      try fill()
      if position < chunk.count, chunk[position] == Self.lf { position += 1 }
    }
    try fill()
    if position >= chunk.count { return .end }
    let recordLine = line
    var fields: [String] = []
    if let count = columnNames?.count { fields.reserveCapacity(count) }
    var invalidField: Int?
    var recordProblem: (field: Int, message: String)?
    var endOfRecord = false
    while !endOfRecord {
      scratch.removeAll(keepingCapacity: true)
      fieldLength = 0
      let index = fields.count
      guard let first = try nextByte() else {
        fields.append("")
        break
      }
      if first == Self.quote {
        endOfRecord = try readQuoted(recordLine: recordLine, field: index)
      } else {
        position -= 1
        endOfRecord = try readUnquoted()
      }
      // The field as text: validated as UTF-8 (Swift's validator follows Unicode Table 3-7).
      if fieldLength > Self.maxFieldBytes {
        if recordProblem == nil {
          recordProblem = (
            index,
            "field is \(Phrasing.counted(fieldLength, "byte")) long; the limit is \(Phrasing.counted(Self.maxFieldBytes, "byte"))"
          )
        }
        fields.append("")
        continue
      }
      let text = scratch.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
      guard let text else {
        if invalidField == nil { invalidField = index }
        fields.append("")
        continue
      }
      if recordProblem == nil, scratch.contains(0) {
        recordProblem = (index, "NUL byte in field")
      }
      fields.append(text)
    }
    if let invalidField {
      throw ImportError(
        file: url.path, line: recordLine, column: columnName(invalidField),
        message: "invalid UTF-8 (a Windows-1252 file needs --encoding windows-1252)")
    }
    if let recordProblem {
      return .invalidRecord(
        ImportError(
          file: url.path, line: recordLine, column: columnName(recordProblem.field), message: recordProblem.message))
    }
    return .record(CSVRow(fields: fields, line: recordLine))
  }

  /// Appends bytes to the current field, keeping at most ``maxFieldBytes`` + 1 of them.
  @inline(__always)
  private func keep(_ bytes: ArraySlice<UInt8>) {
    fieldLength += bytes.count
    if scratch.count <= Self.maxFieldBytes { scratch.append(contentsOf: bytes) }
  }

  /// Reads an unquoted field up to the delimiter (consumed), a line break (consumed) or the end
  /// of the file. Returns whether the record ended.
  private func readUnquoted() throws(ImportError) -> Bool {
    while true {
      try fill()
      if position >= chunk.count { return true }
      let start = position
      let end = chunk.count
      var found: UInt8?
      let delimiter = self.delimiter
      chunk.withUnsafeBufferPointer { bytes in
        var i = start
        while i < end {
          let byte = bytes[i]
          if byte == delimiter || byte == Self.cr || byte == Self.lf {
            found = byte
            break
          }
          i += 1
        }
        position = i
      }
      keep(chunk[start..<position])
      guard let found else { continue }
      position += 1
      if found == delimiter { return false }
      line += 1
      if found == Self.cr { pendingLF = true }
      return true
    }
  }

  /// Reads a quoted field after its opening quote, up to and including what follows the closing
  /// quote. Returns whether the record ended. Throws broken quoting (file-level).
  private func readQuoted(recordLine: Int, field: Int) throws(ImportError) -> Bool {
    let openedLine = line
    var afterCR = false
    while true {
      try fill()
      if position >= chunk.count {
        throw ImportError(
          file: url.path, line: recordLine, column: columnName(field),
          message: "broken CSV quoting: the quoted field opened on line \(openedLine) is never closed")
      }
      let start = position
      let end = chunk.count
      var closed = false
      var lines = 0
      chunk.withUnsafeBufferPointer { bytes in
        var i = start
        while i < end {
          let byte = bytes[i]
          if byte > Self.quote {
            afterCR = false
          } else if byte == Self.quote {
            closed = true
            break
          } else if byte == Self.cr {
            lines += 1
            afterCR = true
          } else if byte == Self.lf {
            if !afterCR { lines += 1 }
            afterCR = false
          } else {
            afterCR = false
          }
          i += 1
        }
        position = i
      }
      line += lines
      keep(chunk[start..<position])
      guard closed else { continue }
      position += 1
      // After the closing quote.
      guard let next = try nextByte() else { return true }
      switch next {
      case Self.quote:
        keep([Self.quote])
        afterCR = false
      case delimiter:
        return false
      case Self.cr:
        line += 1
        pendingLF = true
        return true
      case Self.lf:
        line += 1
        return true
      default:
        let shown =
          (0x20..<0x7F).contains(next)
          ? "'\(Character(Unicode.Scalar(next)))'" : "byte 0x\(String(next, radix: 16))"
        throw ImportError(
          file: url.path, line: recordLine, column: columnName(field),
          message: "broken CSV quoting: \(shown) after the closing quote of a quoted field on line \(line) "
            + "(a quote inside a quoted field must be doubled)")
      }
    }
  }
}
