import CLibPQ

/// Writes rows into a running `COPY ... FROM STDIN` (text format); handed to the
/// body of `PostgresConnection.copyFrom`, valid only during that call.
///
/// Rows are encoded in COPY text format (PostgreSQL docs, SQL command COPY,
/// "File Formats → Text Format"): fields separated by tab, rows ended by newline,
/// `\N` for NULL, and backslash, tab, newline and carriage return escaped as
/// `\\`, `\t`, `\n`, `\r`. The UTF-8 bytes are buffered and sent with libpq
/// `PQputCopyData` in chunks of about 64 KiB (§34.10.1).
public struct PostgresCopyWriter {
  private let state: CopyState

  init(connection: OpaquePointer) {
    state = CopyState(connection: connection)
  }

  /// Rows written so far.
  public var rowCount: Int { state.rowCount }

  /// Appends one row; `nil` fields are SQL NULL. The number of fields must match
  /// the COPY column list (the server checks it and fails the COPY otherwise).
  /// - Throws: `PostgresError` `.usage` if a field contains a NUL byte (PostgreSQL
  ///   text cannot hold it; nothing of the row is written) or the COPY is over;
  ///   `.copy` if libpq fails to send the data.
  public mutating func writeRow(_ fields: [String?]) throws(PostgresError) {
    try state.writeRow(fields)
  }

  /// Sends buffered data.
  func flush() throws(PostgresError) {
    try state.flush()
  }

  /// Ends the writer's validity; later `writeRow` calls throw `.usage`.
  func finish() {
    state.isActive = false
    state.buffer = []
  }
}

/// The mutable state behind `PostgresCopyWriter`, shared by copies of the writer
/// so no row can be lost in a stray copy.
private final class CopyState {
  static let chunkSize = 64 * 1024

  let connection: OpaquePointer
  var buffer: [UInt8] = []
  var rowCount = 0
  var isActive = true

  init(connection: OpaquePointer) {
    self.connection = connection
    buffer.reserveCapacity(Self.chunkSize + 4096)
  }

  func writeRow(_ fields: [String?]) throws(PostgresError) {
    guard isActive else {
      throw .usage("the COPY is over; the writer can only be used inside the copyFrom body")
    }
    for (index, field) in fields.enumerated() {
      if let field, containsNUL(field) {
        throw .usage(
          "COPY row \(rowCount + 1) field \(index + 1) contains a NUL byte (0x00), which PostgreSQL text cannot hold"
        )
      }
    }
    for (index, field) in fields.enumerated() {
      if index > 0 { buffer.append(UInt8(ascii: "\t")) }
      guard let field else {
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "N"))
        continue
      }
      for byte in field.utf8 {
        switch byte {
        case UInt8(ascii: "\\"):
          buffer.append(UInt8(ascii: "\\"))
          buffer.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "\t"):
          buffer.append(UInt8(ascii: "\\"))
          buffer.append(UInt8(ascii: "t"))
        case UInt8(ascii: "\n"):
          buffer.append(UInt8(ascii: "\\"))
          buffer.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"):
          buffer.append(UInt8(ascii: "\\"))
          buffer.append(UInt8(ascii: "r"))
        default:
          buffer.append(byte)
        }
      }
    }
    buffer.append(UInt8(ascii: "\n"))
    rowCount += 1
    if buffer.count >= Self.chunkSize { try flush() }
  }

  func flush() throws(PostgresError) {
    guard !buffer.isEmpty else { return }
    let status = buffer.withUnsafeBufferPointer { bytes in
      bytes.withMemoryRebound(to: CChar.self) { chars in
        PQputCopyData(connection, chars.baseAddress, Int32(chars.count))
      }
    }
    guard status == 1 else {
      throw PostgresError(
        kind: .copy, message: lastErrorMessage(connection, fallback: "PQputCopyData failed"))
    }
    buffer.removeAll(keepingCapacity: true)
  }
}
