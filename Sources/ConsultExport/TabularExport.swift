import CSV
import ConsultCore
import Foundation

/// The two formats of the tabular exports (contributions, attendance).
public enum TabularFormat: String, Sendable, CaseIterable {
  /// RFC 4180 CSV: UTF-8, a header row, CRLF after every record, fields quoted when needed.
  case csv
  /// JSON: an object with `schema`, `consultation` and an array of row objects (snake_case keys).
  case json
}

/// Where an export writes its bytes, chunk by chunk (a file, standard output, memory).
public typealias ExportSink = (Data) throws -> Void

/// CSV records written through CSV.swift's `CSVWriter` (which quotes fields
/// containing `"`, `,`, CR or LF and doubles quotes, RFC 4180 §2), one chunk
/// per call so memory stays flat. Every cell is made safe for a spreadsheet first
/// (``OutputText/csvCell(_:)``: no control character but tab and LF; a `'` before a cell beginning
/// with `=`, `+`, `-`, `@` or a tab).
enum CSVChunk {
  /// The records as CSV text, each followed by CRLF.
  static func encode(_ records: [[String]]) throws -> Data {
    guard !records.isEmpty else { return Data() }
    let stream = OutputStream(toMemory: ())
    let writer = try CSVWriter(stream: stream, newline: .crlf)
    for record in records { try writer.write(row: record.map(OutputText.csvCell)) }
    writer.stream.close()
    var data = (stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data) ?? Data()
    data.append(contentsOf: Array("\r\n".utf8))
    return data
  }
}
