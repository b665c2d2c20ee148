import Foundation

/// An error found while locating or reading an external submission file.
///
/// It names the file, the line and the column when known, so that a user can find the problem
/// in the file. Callers treat any `ImportError` as "write nothing".
public struct ImportError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The path of the file the error is about, as given to the importer.
  public let file: String
  /// The 1-based physical line where the offending record starts (a record with a multi-line
  /// quoted field spans several lines), or `nil` when the error is about the file as a whole.
  public let line: Int?
  /// The offending column: its header name when known, otherwise its 1-based field index as a
  /// decimal string; `nil` when the error is not about one column.
  public let column: String?
  /// What is wrong, in plain English.
  public let message: String

  /// Creates an error; see the properties for what each argument means.
  public init(file: String, line: Int? = nil, column: String? = nil, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// `file:line: column "name": message`, leaving out what is not known.
  public var description: String {
    var text = file
    if let line { text += ":\(line)" }
    text += ": "
    if let column { text += "column \"\(column)\": " }
    return text + message
  }
}

extension ImportError {
  /// Checks, before any stream is opened, that `url` names a readable regular file, so a
  /// missing file gets one clear message (Foundation's `InputStream` prints CoreFoundation
  /// noise for it on Linux).
  ///
  /// - Throws: ``ImportError`` "no such file", "is a directory" or "cannot read the file".
  static func checkReadable(_ url: URL) throws(ImportError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw ImportError(file: url.path, message: "no such file")
    }
    if isDirectory.boolValue { throw ImportError(file: url.path, message: "is a directory, not a file") }
    guard FileManager.default.isReadableFile(atPath: url.path) else {
      throw ImportError(file: url.path, message: "cannot read the file (permission denied)")
    }
  }
}
