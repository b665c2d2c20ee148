import CSV
import ConsultCore
import Foundation

@testable import ConsultImport

/// The reference for the differential tests: consult's CSV reading before it had a reader of
/// its own (CSV.swift 2.5 behind a quote checker), kept as it was.
///
/// Reads a UTF-8 CSV file row by row with CSV.swift's `CSVReader`, streaming from an
/// `InputStream`, and adds what CSV.swift leaves out: physical line numbers and errors, as
/// ``ImportError``, for broken quoting, invalid UTF-8, NUL bytes and oversized fields.
///
/// CSV.swift has no error for broken quoting: an unterminated quote silently swallows the rest of
/// the file into one field, and a character after a closing quote (`"a"b,`) is dropped while the
/// field goes on, which can merge two records into one with the right field count. Invalid UTF-8
/// looks like the end of the file, the error only being left in `CSVReader.error`. So the bytes
/// pass through a ``LegacyQuoteChecker`` on their way to CSV.swift, and `CSVReader.error` is checked
/// after every row.
final class CSVSwiftRowReader {
  /// The largest field accepted, in UTF-8 bytes.
  static let maxFieldBytes = 1_000_000

  /// The file being read, for error messages.
  let url: URL
  /// Header names (trimmed) used to name columns in errors once the header is known.
  var columnNames: [String]?

  private let stream: LegacyCheckedInputStream
  private let reader: CSVReader
  private var nextLine = 1
  private var finished = false

  /// Whether reading has stopped for good: after the end of the file or a file-level error
  /// (broken quoting, invalid UTF-8, a read error). An error thrown by ``next()`` while this is
  /// still `false` is about one record only (a NUL byte or an oversized field), and calling
  /// ``next()`` again goes on with the following record.
  var isFinished: Bool { finished }

  /// How many bytes of the file have been read so far: the end of the last row returned plus a
  /// read-ahead of at most 64 KiB (for progress estimates; see ``SubmissionRecord/byteOffset``).
  var bytesRead: Int { stream.bytesFromBase }

  /// Opens `url` for reading. Throws ``ImportError`` if the file cannot be opened or read, or is
  /// UTF-16/UTF-32 (only UTF-8, with or without BOM, is accepted; or Windows-1252 when asked).
  ///
  /// - Parameters:
  ///   - url: The CSV file.
  ///   - delimiter: The field separator, an ASCII character (default `,`; Decidim uses `;`).
  ///   - encoding: The file's character encoding; Windows-1252 bytes are transcoded to UTF-8
  ///     chunk by chunk before CSV.swift sees them.
  init(url: URL, delimiter: UInt8 = 0x2C, encoding: SourceEncoding = .utf8) throws(ImportError) {
    self.url = url
    try ImportError.checkReadable(url)
    guard let base = InputStream(url: url) else {
      throw ImportError(file: url.path, message: "cannot open file")
    }
    stream = LegacyCheckedInputStream(base: base, delimiter: delimiter, encoding: encoding)
    stream.open()
    guard stream.streamStatus == .open else {
      throw ImportError(
        file: url.path,
        message: "cannot open file"
          + (stream.streamError.map { ": \($0.localizedDescription)" } ?? ""))
    }
    let head = stream.peekPrefix(4)
    if encoding == .utf8,
      head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
        || head.starts(with: [0x00, 0x00, 0xFE, 0xFF])
    {
      throw ImportError(
        file: url.path, line: 1,
        message: "file is UTF-16 or UTF-32 encoded (byte-order mark found); only UTF-8 is supported"
      )
    }
    do {
      reader = try CSVReader(
        stream: stream, codecType: UTF8.self, delimiter: Unicode.Scalar(delimiter))
    } catch {
      throw ImportError(file: url.path, message: Self.describe(error))
    }
  }

  /// Returns the next row, or `nil` at the end of the file.
  ///
  /// Throws ``ImportError`` naming the line where the row starts for broken quoting, invalid
  /// UTF-8, a NUL byte, a field over ``maxFieldBytes`` bytes, or a read error.
  func next() throws(ImportError) -> CSVRow? {
    if finished { return nil }
    let fields = reader.next()
    if let error = reader.error {
      finished = true
      // A quoting error before this point explains the rest better than what CSV.swift saw.
      try checkQuoting(upTo: nextLine)
      if case CSVError.unicodeDecoding = error, let position = stream.checker.invalidUTF8 {
        throw ImportError(
          file: url.path, line: position.line, column: columnName(position.field), message: Self.describe(error))
      }
      throw ImportError(file: url.path, line: nextLine, message: Self.describe(error))
    }
    guard let fields else {
      finished = true
      try checkQuoting(upTo: .max)
      return nil
    }
    let row = CSVRow(fields: fields, line: nextLine)
    nextLine += 1 + fields.reduce(0) { $0 + Self.lineBreaks(in: $1) }
    // The checker has seen every byte CSV.swift consumed, so it knows of any quoting error in
    // this row or before it.
    try checkQuoting(upTo: nextLine - 1)

    for (index, field) in fields.enumerated() {
      if field.utf8.contains(0) {
        throw ImportError(
          file: url.path, line: row.line, column: columnName(index), message: "NUL byte in field")
      }
      if field.utf8.count > Self.maxFieldBytes {
        throw ImportError(
          file: url.path, line: row.line, column: columnName(index),
          message:
            "field is \(Phrasing.counted(field.utf8.count, "byte")) long; the limit is \(Phrasing.counted(Self.maxFieldBytes, "byte"))"
        )
      }
    }
    return row
  }

  /// The header name of the 0-based field `index` when known and not empty, else its 1-based index.
  func columnName(_ index: Int) -> String {
    if let columnNames, index < columnNames.count, !columnNames[index].isEmpty {
      return columnNames[index]
    }
    return String(index + 1)
  }

  /// Throws the quoting error the checker found in a record starting at or before `line`.
  private func checkQuoting(upTo line: Int) throws(ImportError) {
    if let problem = stream.checker.problem, problem.line <= line {
      finished = true
      throw ImportError(
        file: url.path, line: problem.line, column: columnName(problem.field),
        message: "broken CSV quoting: \(problem.message)")
    }
  }

  /// Plain-English text for an error thrown or recorded by CSV.swift.
  private static func describe(_ error: any Error) -> String {
    switch error {
    case CSVError.unicodeDecoding: return "invalid UTF-8 (a Windows-1252 file needs --encoding windows-1252)"
    case CSVError.cannotOpenFile: return "cannot open file"
    case CSVError.cannotReadFile: return "cannot read file"
    case CSVError.streamErrorHasOccurred(let underlying):
      return "read error: \(underlying.localizedDescription)"
    case CSVError.stringEncodingMismatch, CSVError.stringEndianMismatch:
      return "file is not UTF-8 encoded"
    default: return "cannot read CSV: \(error)"
    }
  }

  /// How many line breaks (CRLF, lone CR or lone LF, each counted once) `text` contains; the same
  /// breaks CSV.swift treats as row ends outside quotes and keeps verbatim inside them.
  static func lineBreaks(in text: String) -> Int {
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
}

/// Checks the quoting of CSV bytes as they stream past, without building any fields, and notes
/// where the first byte that is not well-formed UTF-8 stands (record line and field), which
/// CSV.swift does not say.
///
/// It follows the same rules as CSV.swift's `CSVReader` (``delimiter``, no trimming): a field
/// is quoted when its first character is `"`; inside it `""` is a quote and line breaks are
/// data; the closing quote must be followed by the delimiter, a line break or the end of the file.
/// Outside quoted fields, CR, LF and CRLF end a record. A `"` inside an unquoted field is kept
/// literally, as CSV.swift does. It records the first problem only: a character after a closing
/// quote (which CSV.swift would silently drop, carrying on inside the field) or a quoted field
/// still open at the end of the file (which CSV.swift would silently run to the end).
struct LegacyQuoteChecker {
  /// A quoting problem: the record's first physical line, the 0-based field, and what is wrong.
  struct Problem {
    var line: Int
    var field: Int
    var message: String
  }

  private enum State { case fieldStart, unquoted, quoted, afterQuote }

  /// The first problem found, if any.
  private(set) var problem: Problem?
  /// Where the first byte that is not well-formed UTF-8 is (Unicode §3.9, Table 3-7): its
  /// record's first physical line and its 0-based field; nil while the bytes are valid. Only
  /// the position is recorded: CSV.swift itself stops at that byte and reports the error.
  private(set) var invalidUTF8: (line: Int, field: Int)?
  /// The field separator byte (ASCII), `,` unless given.
  var delimiter: UInt8 = 0x2C

  private var state = State.fieldStart
  private var line = 1
  private var recordLine = 1
  private var field = 0
  private var openedLine = 1
  private var afterCR = false
  private var bytesSeen = 0
  private var bom: [UInt8] = []
  /// Continuation bytes still expected in the current UTF-8 sequence, and the range the next
  /// one must fall in (narrower than 0x80...0xBF after E0, ED, F0 and F4).
  private var continuations = 0
  private var nextContinuation: ClosedRange<UInt8> = 0x80...0xBF

  /// Feeds the next bytes of the file.
  mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
    for byte in bytes {
      if problem != nil { return }
      // CSV.swift drops a UTF-8 byte-order mark at the very start; so does this check.
      if bytesSeen < 3 {
        bytesSeen += 1
        bom.append(byte)
        if [0xEF, 0xBB, 0xBF].starts(with: bom) {
          continue
        }
        let pending = bom
        bom = []
        bytesSeen = 3
        for earlier in pending { step(earlier) }
        continue
      }
      step(byte)
    }
  }

  /// Tells the checker the file has ended.
  mutating func finish() {
    if bytesSeen < 3, bom != [0xEF, 0xBB, 0xBF] {
      let pending = bom
      bom = []
      bytesSeen = 3
      for earlier in pending { step(earlier) }
    }
    if problem == nil, state == .quoted {
      problem = Problem(
        line: recordLine, field: field,
        message: "the quoted field opened on line \(openedLine) is never closed")
    }
  }

  private mutating func step(_ byte: UInt8) {
    if invalidUTF8 == nil { checkUTF8(byte) }
    let isBreak = byte == 0x0D || byte == 0x0A
    if byte == 0x0D || (byte == 0x0A && !afterCR) { line += 1 }
    afterCR = byte == 0x0D
    switch state {
    case .fieldStart, .unquoted:
      if byte == 0x22 && state == .fieldStart {
        state = .quoted
        openedLine = line
      } else if byte == delimiter {
        field += 1
        state = .fieldStart
      } else if isBreak {
        endRecord()
      } else {
        state = .unquoted
      }
    case .quoted:
      if byte == 0x22 { state = .afterQuote }
    case .afterQuote:
      if byte == 0x22 {
        state = .quoted
      } else if byte == delimiter {
        field += 1
        state = .fieldStart
      } else if isBreak {
        endRecord()
      } else {
        let shown =
          (0x20..<0x7F).contains(byte)
          ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        problem = Problem(
          line: recordLine, field: field,
          message: "\(shown) after the closing quote of a quoted field on line \(line) "
            + "(a quote inside a quoted field must be doubled)")
      }
    }
  }

  /// Follows the well-formed UTF-8 byte sequences of Unicode §3.9, Table 3-7, recording the
  /// position of the first byte that breaks them.
  private mutating func checkUTF8(_ byte: UInt8) {
    if continuations > 0 {
      if nextContinuation.contains(byte) {
        continuations -= 1
        nextContinuation = 0x80...0xBF
        return
      }
      invalidUTF8 = (recordLine, field)
      return
    }
    switch byte {
    case 0x00...0x7F: return
    case 0xC2...0xDF: continuations = 1
    case 0xE0: (continuations, nextContinuation) = (2, 0xA0...0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: continuations = 2
    case 0xED: (continuations, nextContinuation) = (2, 0x80...0x9F)
    case 0xF0: (continuations, nextContinuation) = (3, 0x90...0xBF)
    case 0xF1...0xF3: continuations = 3
    case 0xF4: (continuations, nextContinuation) = (3, 0x80...0x8F)
    default: invalidUTF8 = (recordLine, field)
    }
  }

  /// A line break outside quotes: the next record starts on the current line.
  private mutating func endRecord() {
    state = .fieldStart
    field = 0
    recordLine = line
  }
}

/// An `InputStream` that yields the bytes of `base` (transcoded to UTF-8 when they are
/// Windows-1252), running them through a ``LegacyQuoteChecker``.
///
/// It also answers `hasBytesAvailable` exactly (by reading ahead), because CSV.swift's reader
/// records a spurious `cannotReadFile` error if a stream claims to have bytes and then returns 0.
final class LegacyCheckedInputStream: InputStream {
  /// The quote checker fed with every byte read from `base` so far.
  private(set) var checker = LegacyQuoteChecker()
  /// How many bytes have been read from `base` so far (the file's own bytes, before any
  /// transcoding); at most one 64 KiB chunk ahead of what CSV.swift consumed.
  private(set) var bytesFromBase = 0

  private let base: InputStream
  private var buffer: [UInt8] = []
  private var bufferOffset = 0
  private var baseAtEnd = false
  private var failure: (any Error)?
  private var status: Stream.Status = .notOpen
  private let encoding: SourceEncoding

  /// Wraps `base`; `delimiter` is the CSV field separator the quote checker expects.
  init(base: InputStream, delimiter: UInt8 = 0x2C, encoding: SourceEncoding = .utf8) {
    self.base = base
    self.encoding = encoding
    checker.delimiter = delimiter
    super.init(data: Data())
  }

  override func open() {
    base.open()
    status = base.streamStatus == .open ? .open : .error
  }

  override func close() {
    base.close()
    status = .closed
  }

  override var streamStatus: Stream.Status { status }

  override var streamError: (any Error)? { failure ?? base.streamError }

  override var hasBytesAvailable: Bool {
    fill()
    return bufferOffset < buffer.count
  }

  override func read(_ target: UnsafeMutablePointer<UInt8>, maxLength: Int) -> Int {
    guard status == .open || status == .atEnd else { return -1 }
    fill()
    if failure != nil {
      status = .error
      return -1
    }
    guard bufferOffset < buffer.count else {
      status = .atEnd
      return 0
    }
    let count = min(maxLength, buffer.count - bufferOffset)
    buffer.withUnsafeBufferPointer { source in
      target.update(from: source.baseAddress! + bufferOffset, count: count)
    }
    bufferOffset += count
    return count
  }

  override func getBuffer(
    _ buffer: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
    length len: UnsafeMutablePointer<Int>
  ) -> Bool {
    false
  }

  /// Up to `count` of the first bytes of `base`, without consuming them; call before reading.
  func peekPrefix(_ count: Int) -> [UInt8] {
    fill()
    return Array(buffer[bufferOffset..<min(buffer.count, bufferOffset + count)])
  }

  /// Reads the next chunk of `base` into `buffer` once the buffer is used up.
  private func fill() {
    guard bufferOffset >= buffer.count, !baseAtEnd, failure == nil else { return }
    var chunk = [UInt8](repeating: 0, count: 65_536)
    let got = chunk.withUnsafeMutableBufferPointer {
      base.read($0.baseAddress!, maxLength: $0.count)
    }
    if got < 0 {
      failure = base.streamError ?? CSVError.cannotReadFile
      baseAtEnd = true
    } else if got == 0 {
      baseAtEnd = true
      checker.finish()
    } else {
      chunk.removeSubrange(got...)
      bytesFromBase += got
      if encoding == .windows1252 {
        // Single-byte: every chunk boundary is a character boundary.
        guard let text = String(data: Data(chunk), encoding: .windowsCP1252) else {
          failure = CSVError.cannotReadFile
          baseAtEnd = true
          return
        }
        chunk = Array(text.utf8)
      }
      chunk.withUnsafeBufferPointer { checker.consume($0) }
      buffer = chunk
      bufferOffset = 0
    }
  }
}
