import CSV
import Foundation

/// A CSV file listing the records an import passed over, one row per record:
/// `file,line,column,reason` (header first; UTF-8, LF line ends, quoted as RFC 4180 requires),
/// written through CSV.swift's `CSVWriter`.
public final class RejectsFile {
  /// Where the rows go.
  public let url: URL
  /// How many rows were written, the header not counted.
  public private(set) var count = 0

  private let stream: OutputStream
  private let writer: CSVWriter

  /// Creates (or truncates) `url` and writes the header row.
  ///
  /// - Throws: ``ImportError`` if the file cannot be created or written.
  public init(url: URL) throws(ImportError) {
    self.url = url
    guard let stream = OutputStream(url: url, append: false) else {
      throw ImportError(file: url.path, message: "cannot create the rejects file")
    }
    stream.open()
    guard stream.streamStatus == .open else {
      throw ImportError(
        file: url.path,
        message: "cannot create the rejects file" + (stream.streamError.map { ": \($0.localizedDescription)" } ?? ""))
    }
    self.stream = stream
    do {
      writer = try CSVWriter(stream: stream)
      try writer.write(row: ["file", "line", "column", "reason"])
    } catch {
      throw ImportError(file: url.path, message: "cannot write the rejects file: \(error)")
    }
  }

  /// Appends one rejected record: its file, line (empty when unknown), column (empty when
  /// unknown) and reason.
  ///
  /// - Throws: ``ImportError`` if the row cannot be written.
  public func write(_ error: ImportError) throws(ImportError) {
    do {
      try writer.write(row: [error.file, error.line.map(String.init) ?? "", error.column ?? "", error.message])
    } catch {
      throw ImportError(file: url.path, message: "cannot write the rejects file: \(error)")
    }
    count += 1
  }

  /// Ends the last row and closes the file.
  public func close() {
    let newline: [UInt8] = [0x0A]
    _ = stream.write(newline, maxLength: 1)
    stream.close()
  }
}
