import ConsultCore
import Foundation

/// Streams the elements of the record array of a JSON file, one element's bytes at a time, with
/// the line where each starts, so that memory holds one record, not the file.
///
/// The records are the objects of either a top-level array (`[{…}, {…}]`) or the array that is
/// the value of `key` in a top-level object (`{"feedback": [{…}, {…}], …}`). This type only finds
/// where each element begins and ends (it tracks strings, escapes and bracket nesting); each
/// element is then parsed and validated by Foundation's `JSONSerialization`. A UTF-8 byte-order
/// mark at the start is skipped; Windows-1252 input is transcoded to UTF-8 chunk by chunk.
final class JSONArrayElements {
  /// The largest record accepted, in bytes of JSON text: the memory bound per record.
  static let maxRecordBytes = 16_000_000

  /// The file being read, for messages.
  let url: URL
  private let key: String
  private let encoding: SourceEncoding
  private let stream: InputStream
  private var chunk: [UInt8] = []
  private var position = 0
  private var atEOF = false
  private var line = 1
  /// How many bytes have been read from the file so far (the file's own bytes, before any
  /// transcoding): the end of the last record returned plus a read-ahead of at most 64 KiB.
  private(set) var bytesRead = 0
  private var afterCR = false
  private var started = false
  private var finished = false
  private var expectElement = Expect.firstOrEnd

  private enum Expect { case firstOrEnd, element, commaOrEnd }

  /// Opens `url`; `key` names the array in the object form.
  ///
  /// - Throws: ``ImportError`` if the file cannot be opened.
  init(url: URL, key: String, encoding: SourceEncoding) throws(ImportError) {
    self.url = url
    self.key = key
    self.encoding = encoding
    try ImportError.checkReadable(url)
    guard let stream = InputStream(url: url) else {
      throw ImportError(file: url.path, message: "cannot open file")
    }
    self.stream = stream
    stream.open()
    guard stream.streamStatus == .open else {
      throw ImportError(file: url.path, message: "cannot open file")
    }
  }

  deinit { stream.close() }

  /// The next record's JSON text and the 1-based line where it starts, or `nil` after the last.
  ///
  /// - Throws: ``ImportError`` for what makes the rest of the file unreadable: a file that is
  ///   neither an array nor an object with a `key` array, a record that is not an object, a
  ///   missing comma, mismatched brackets, a string or record not closed by the end of the file,
  ///   a record over ``maxRecordBytes`` bytes, UTF-16/UTF-32, bytes Windows-1252 does not define,
  ///   a read error. After a throw, it returns `nil`.
  func next() throws(ImportError) -> (bytes: [UInt8], line: Int)? {
    if finished { return nil }
    do throws(ImportError) {
      if !started {
        started = true
        try findArray()
      }
      guard let byte = try skipWhitespace() else {
        throw failure("unexpected end of file: the record array is not closed with ]")
      }
      switch (expectElement, byte) {
      case (.firstOrEnd, 0x5D), (.commaOrEnd, 0x5D):
        finished = true
        return nil
      case (.commaOrEnd, 0x2C):
        expectElement = .element
        return try next()
      case (.firstOrEnd, 0x7B), (.element, 0x7B):
        expectElement = .commaOrEnd
        return try element()
      case (.commaOrEnd, _):
        throw failure("expected , or ] after a record, found \(show(byte))")
      default:
        throw failure("expected a record object ({…}), found \(show(byte))")
      }
    } catch {
      finished = true
      throw error
    }
  }

  /// An error at the current line.
  private func failure(_ message: String, line: Int? = nil) -> ImportError {
    ImportError(file: url.path, line: line ?? self.line, message: message)
  }

  /// A byte for messages.
  private func show(_ byte: UInt8) -> String {
    (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
  }

  /// Skips the byte-order mark and whitespace and reads up to the first `[` of the record array.
  private func findArray() throws(ImportError) {
    guard let first = try skipWhitespace(atStart: true) else {
      throw failure("empty file: expected a JSON array of records or an object with a \"\(key)\" array", line: 1)
    }
    if first == 0x5B { return }
    guard first == 0x7B else {
      throw failure(
        "not a JSON array of records or an object with a \"\(key)\" array (starts with \(show(first)))")
    }
    // Inside the top-level object: find `"key": [` at depth 1, skipping every other value.
    var depth = 1
    var inString = false
    var escaped = false
    var text: [UInt8] = []
    var lastString: [UInt8] = []
    var pendingKey: [UInt8]? = nil
    let wanted = Array(key.utf8)
    while let byte = try nextByte() {
      if inString {
        if escaped {
          escaped = false
        } else if byte == 0x5C {
          escaped = true
        } else if byte == 0x22 {
          inString = false
          if depth == 1 { lastString = text }
          continue
        }
        if depth == 1 && text.count < 256 { text.append(byte) }
        continue
      }
      switch byte {
      case 0x22:
        inString = true
        text = []
      case 0x3A where depth == 1: pendingKey = lastString
      case 0x2C where depth == 1: pendingKey = nil
      case 0x5B:
        if depth == 1 && pendingKey == wanted { return }
        depth += 1
      case 0x7B: depth += 1
      case 0x5D, 0x7D:
        depth -= 1
        if depth == 0 { throw failure("the top-level object has no \"\(key)\" array of records") }
      default: break
      }
    }
    throw failure("unexpected end of file inside the top-level object")
  }

  /// Reads one record object, whose `{` was just read, up to its matching `}`.
  private func element() throws(ImportError) -> (bytes: [UInt8], line: Int) {
    let start = line
    var bytes: [UInt8] = [0x7B]
    var stack: [UInt8] = [0x7D]
    var inString = false
    var escaped = false
    while let byte = try nextByte() {
      bytes.append(byte)
      if bytes.count > Self.maxRecordBytes {
        throw failure("record is over \(Phrasing.counted(Self.maxRecordBytes, "byte")) long", line: start)
      }
      if inString {
        if escaped {
          escaped = false
        } else if byte == 0x5C {
          escaped = true
        } else if byte == 0x22 {
          inString = false
        }
        continue
      }
      switch byte {
      case 0x22: inString = true
      case 0x7B: stack.append(0x7D)
      case 0x5B: stack.append(0x5D)
      case 0x7D, 0x5D:
        guard stack.last == byte else {
          throw failure("mismatched \(show(byte)) in the record starting on line \(start)")
        }
        stack.removeLast()
        if stack.isEmpty { return (bytes, start) }
      default: break
      }
    }
    throw failure(
      "unexpected end of file inside the record starting on line \(start)"
        + (inString ? " (a string is not closed)" : ""), line: start)
  }

  /// The next byte that is not JSON whitespace, or `nil` at the end of the file; at the start,
  /// a UTF-8 byte-order mark is skipped and UTF-16/UTF-32 refused.
  private func skipWhitespace(atStart: Bool = false) throws(ImportError) -> UInt8? {
    if atStart {
      try fill()
      let head = Array(chunk.prefix(3))
      if encoding == .utf8 && head.starts(with: [0xEF, 0xBB, 0xBF]) {
        position = 3
      } else if encoding == .utf8 && (head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])) {
        throw failure("file is UTF-16 or UTF-32 encoded (byte-order mark found); only UTF-8 is supported", line: 1)
      }
    }
    while let byte = try nextByte() {
      if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
      return byte
    }
    return nil
  }

  /// The next byte of the file, counting lines (CRLF, CR or LF each end one), or `nil` at the end.
  private func nextByte() throws(ImportError) -> UInt8? {
    if position >= chunk.count {
      try fill()
      if position >= chunk.count { return nil }
    }
    let byte = chunk[position]
    position += 1
    if byte == 0x0D || (byte == 0x0A && !afterCR) { line += 1 }
    afterCR = byte == 0x0D
    return byte
  }

  /// Reads the next chunk once the current one is used up.
  private func fill() throws(ImportError) {
    guard position >= chunk.count, !atEOF else { return }
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let got = buffer.withUnsafeMutableBufferPointer { stream.read($0.baseAddress!, maxLength: $0.count) }
    if got < 0 {
      throw failure("read error: \(stream.streamError.map { "\($0)" } ?? "unknown")")
    }
    if got == 0 {
      atEOF = true
      return
    }
    buffer.removeSubrange(got...)
    bytesRead += got
    if encoding == .windows1252 {
      // Single-byte: every chunk boundary is a character boundary.
      guard let text = String(data: Data(buffer), encoding: .windowsCP1252) else {
        throw failure("a byte that Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90 or 0x9D)")
      }
      buffer = Array(text.utf8)
    }
    chunk = buffer
    position = 0
  }
}
