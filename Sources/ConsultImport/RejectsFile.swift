import CSV
import ConsultCore
import Foundation

/// A CSV file listing the records an import passed over, one row per record:
/// `file,line,column,reason` (header first; UTF-8, CRLF line ends as the exports, quoted as RFC 4180 requires),
/// written through CSV.swift's `CSVWriter`, each cell safe for a spreadsheet
/// (``OutputText/csvCell(_:)``: a reason quoting the file's text cannot start a formula).
///
/// The rows go to a temporary file beside ``url`` (`.NAME.partial-PID`), which ``close()`` moves
/// into place and ``discard()`` removes: an import refused as a whole leaves neither a rejects
/// file listing records that were not imported anyway nor a truncated earlier one.
public final class RejectsFile {
  /// Where the rows end up.
  public let url: URL
  /// How many rows were written, the header not counted.
  public private(set) var count = 0

  private let partial: URL
  /// Whether `url` is written in place: it is a device or a pipe (`/dev/null`), never replaced.
  private let inPlace: Bool
  private let stream: OutputStream
  private let writer: CSVWriter

  /// Starts the rejects file: creates its temporary file and writes the header row; `url`
  /// itself is untouched until ``close()``. A `url` that exists and is not a regular file
  /// (`/dev/null`, a named pipe) is written in place instead, never replaced.
  ///
  /// - Throws: ``ImportError`` if the file cannot be created or written.
  public init(url: URL) throws(ImportError) {
    self.url = url
    var isDirectory: ObjCBool = false
    let directory = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ImportError(
        file: url.path, message: "cannot create the rejects file: the directory \(directory) does not exist")
    }
    var info = stat()
    inPlace = stat(url.path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG
    let target = url.resolvingSymlinksInPath()
    partial =
      inPlace
      ? url
      : target.deletingLastPathComponent().appendingPathComponent(
        ".\(target.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
    guard let stream = OutputStream(url: partial, append: false) else {
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
      writer = try CSVWriter(stream: stream, newline: .crlf)  // RFC 4180 §2, as the exports
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
      let row = [error.file, error.line.map(String.init) ?? "", error.column ?? "", error.message]
      try writer.write(row: row.map(OutputText.csvCell))
    } catch {
      throw ImportError(file: url.path, message: "cannot write the rejects file: \(error)")
    }
    count += 1
  }

  /// Ends the last row, closes the file and moves it to ``url`` (replacing any file there).
  ///
  /// - Throws: ``ImportError`` if the file cannot be moved into place.
  public func close() throws(ImportError) {
    let newline: [UInt8] = [0x0D, 0x0A]
    _ = stream.write(newline, maxLength: 2)
    stream.close()
    guard !inPlace else { return }
    let target = url.resolvingSymlinksInPath()
    // rename(2) replaces a file already there in one step (POSIX.1-2017, rename); Foundation's
    // replaceItemAt failed on Linux with "the file doesn't exist" when a rejects file was there.
    guard rename(partial.path, target.path) == 0 else {
      let reason = String(cString: strerror(errno))
      throw ImportError(file: url.path, message: "cannot write the rejects file: \(reason)")
    }
  }

  /// Closes and removes the temporary file, leaving ``url`` as it was.
  public func discard() {
    stream.close()
    guard !inPlace else { return }
    try? FileManager.default.removeItem(at: partial)
  }
}
