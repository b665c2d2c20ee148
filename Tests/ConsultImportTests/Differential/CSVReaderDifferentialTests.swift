import Foundation
import Testing

@testable import ConsultImport

/// What a CSV reader made of a file: records and record-level errors in order, then the end or a
/// file-level error.
private enum ReadEvent: Equatable, CustomStringConvertible {
  case record([String], line: Int)
  case recordError(ImportError)
  case fileError(ImportError)

  var description: String {
    switch self {
    case .record(let fields, let line): "\(line): \(fields.map { $0.debugDescription })"
    case .recordError(let error): "record error \(error.line ?? 0):\(error.column ?? "") \(error.message)"
    case .fileError(let error): "file error \(error.line ?? 0):\(error.column ?? "") \(error.message)"
    }
  }
}

/// Whether consult's reading of a file agrees with CSV.swift's: the same events, or, when the
/// first error of the file is file-level, the same records before it and a file-level error
/// naming the same line. What may differ there, and why consult's is the better answer:
/// - a record with two problems (malformed UTF-8 and broken quoting): consult names the first
///   it meets, CSV.swift the one its 64 KiB read-ahead happened to reach;
/// - the record just before the error: CSV.swift looks one character past a CR ending a record
///   and loses that complete record when the character is malformed UTF-8; consult gives it;
/// - the column: CSV.swift's checker loses it in some of those cases; consult names it.
private func agree(_ ours: [ReadEvent], _ reference: [ReadEvent]) -> Bool {
  if ours == reference { return true }
  guard case .fileError(let a) = ours.last, case .fileError(let b) = reference.last, a.line == b.line else {
    return false
  }
  let before = Array(ours.dropLast())
  let referenceBefore = Array(reference.dropLast())
  return before == referenceBefore || Array(before.dropLast()) == referenceBefore
}

private let realData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("shared/realdata")
private let pythonScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("python_csv.py")
private let hasServer = ProcessInfo.processInfo.environment["PGHOST"] != nil

/// Reads `url` to the end with consult's reader (going on after record-level errors).
private func readWithConsult(_ url: URL, delimiter: UInt8 = 0x2C) -> [ReadEvent] {
  var events: [ReadEvent] = []
  let reader: CSVRowReader
  do { reader = try CSVRowReader(url: url, delimiter: delimiter) } catch {
    return [.fileError(error)]
  }
  while true {
    do {
      guard let row = try reader.next() else { return events }
      events.append(.record(row.fields, line: row.line))
    } catch {
      if reader.isFinished { return events + [.fileError(error)] }
      events.append(.recordError(error))
    }
  }
}

/// Reads `url` to the end with CSV.swift as consult read CSV before (the reference).
private func readWithCSVSwift(_ url: URL, delimiter: UInt8 = 0x2C) -> [ReadEvent] {
  var events: [ReadEvent] = []
  let reader: CSVSwiftRowReader
  do { reader = try CSVSwiftRowReader(url: url, delimiter: delimiter) } catch {
    return [.fileError(error)]
  }
  while true {
    do {
      guard let row = try reader.next() else { return events }
      events.append(.record(row.fields, line: row.line))
    } catch {
      if reader.isFinished { return events + [.fileError(error)] }
      events.append(.recordError(error))
    }
  }
}

/// Python's reading of a file: its rows, and its error if it refused the file.
private struct PythonResult: Decodable {
  var rows: [[String]]
  var error: String?
}

/// Runs `executable` with `arguments`; returns its status, stdout and stderr.
private func run(_ executable: String, _ arguments: [String]) throws -> (Int32, Data, String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [executable] + arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  let errors = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, data, String(decoding: errors, as: UTF8.self))
}

/// Python's `csv` module's reading of each file (one process for all of them).
private func readWithPython(_ urls: [URL]) throws -> [PythonResult] {
  let (status, data, errors) = try run("python3", [pythonScript.path] + urls.map(\.path))
  try #require(status == 0, "python3 failed: \(errors)")
  return try data.split(separator: UInt8(ascii: "\n")).map {
    try JSONDecoder().decode(PythonResult.self, from: Data($0))
  }
}

/// PostgreSQL's `COPY … (FORMAT csv)` of `url` into a table of `columns` text columns (the
/// server the tests run against reads the file): its rows, NULL read as "" (COPY reads an
/// unquoted empty field as NULL), or its error.
private func readWithPostgres(_ url: URL, columns: Int, delimiter: String = ",") throws -> Result<
  [[String]], PostgresRefusal
> {
  let names = (1...columns).map { "c\($0)" }
  let (status, data, errors) = try run(
    "psql",
    [
      "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", "postgres",
      "-c", "CREATE TEMPORARY TABLE t (n serial, \(names.map { "\($0) text" }.joined(separator: ", ")))",
      // The server reads the file itself (psql's \\copy would cut a line at a NUL byte).
      "-c", "COPY t (\(names.joined(separator: ","))) FROM '\(url.path)' WITH (FORMAT csv, DELIMITER '\(delimiter)')",
      "-c",
      "SELECT coalesce(json_agg(json_build_array(\(names.map { "coalesce(\($0), '')" }.joined(separator: ","))) ORDER BY n), '[]') FROM t",
    ])
  if status != 0 { return .failure(PostgresRefusal(message: errors)) }
  return .success(try JSONDecoder().decode([[String]].self, from: data))
}

/// COPY's error text.
private struct PostgresRefusal: Error, Equatable {
  var message: String
}

/// A small deterministic random number generator (SplitMix64), so a failing case can be replayed.
private struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A generated well-formed CSV file: its bytes, the records it holds and their field count.
private struct GeneratedCSV {
  var bytes: [UInt8]
  var records: [[String]]
  var columns: Int
  var hasBOM: Bool

  /// Fields from an alphabet of what breaks readers (delimiters, quotes, CR, LF, CRLF, non-ASCII,
  /// spaces, backslashes), quoted when they must be and sometimes when they need not; records
  /// end with one line ending for the whole file (LF, CRLF or CR), the last one sometimes without.
  static func random(using rng: inout SplitMix) -> GeneratedCSV {
    let alphabet = ["a", "b", "Z", "1", " ", ",", "\"", "\n", "\r\n", "\r", "é", "中", "😀", "\\", ";", "\t", "'"]
    let columns = Int.random(in: 1...5, using: &rng)
    let count = Int.random(in: 0...6, using: &rng)
    let ending = ["\n", "\r\n", "\r"].randomElement(using: &rng)!
    let hasBOM = Int.random(in: 0..<6, using: &rng) == 0
    var text = hasBOM ? "\u{FEFF}" : ""
    var records: [[String]] = []
    for index in 0..<count {
      var fields: [String] = []
      for _ in 0..<columns {
        let length = Int.random(in: 0...4, using: &rng)
        fields.append((0..<length).map { _ in alphabet.randomElement(using: &rng)! }.joined())
      }
      // A record of one empty field is a blank line: unambiguous only unquoted and not last.
      let written = fields.map { field -> String in
        let must = field.utf8.contains(where: { [0x2C, 0x22, 0x0D, 0x0A].contains($0) })
        if must || (Int.random(in: 0..<4, using: &rng) == 0 && !(columns == 1 && field.isEmpty)) {
          return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return field
      }
      text += written.joined(separator: ",")
      let last = index == count - 1
      if !last || Bool.random(using: &rng) || (columns == 1 && fields[0].isEmpty) { text += ending }
      records.append(fields)
    }
    return GeneratedCSV(bytes: Array(text.utf8), records: records, columns: columns, hasBOM: hasBOM)
  }
}

/// Random bytes biased towards CSV's structure and UTF-8's edges: delimiters, quotes, CR, LF,
/// NUL, a BOM, multi-byte characters, and malformed UTF-8 (a lone continuation byte, a truncated
/// sequence, an overlong form, a surrogate, 0xFF).
private func fuzzBytes(using rng: inout SplitMix) -> [UInt8] {
  let pieces: [[UInt8]] = [
    [0x61], [0x62], [0x2C], [0x2C], [0x22], [0x22], [0x22, 0x22], [0x0A], [0x0D], [0x0D, 0x0A], [0x20],
    Array("é".utf8), Array("中".utf8), Array("😀".utf8), [0x00], [0x80], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80],
    [0xFF], [0xEF, 0xBB, 0xBF], [0xF4, 0x90, 0x80, 0x80],
  ]
  var bytes: [UInt8] = Int.random(in: 0..<5, using: &rng) == 0 ? [0xEF, 0xBB, 0xBF] : []
  for _ in 0..<Int.random(in: 0...24, using: &rng) {
    // Structure far more often than malformed bytes, so that most inputs get past the first error.
    let piece =
      Int.random(in: 0..<10, using: &rng) < 8
      ? pieces[Int.random(in: 0..<14, using: &rng)] : pieces.randomElement(using: &rng)!
    bytes += piece
  }
  return bytes
}

/// Python's rows compared with consult's records: equal, except that Python gives `[]` for a
/// blank line where consult (like CSV.swift) gives one empty field.
private func sameRows(_ consult: [[String]], _ python: [[String]]) -> Bool {
  consult.count == python.count
    && zip(consult, python).allSatisfy { ours, theirs in ours == theirs || (ours == [""] && theirs.isEmpty) }
}

@Suite("CSV reader, differential: consult's reader vs CSV.swift, Python's csv and PostgreSQL's COPY")
struct CSVReaderDifferentialTests {
  /// Every CSV file in ../shared/realdata.
  static var realFiles: [URL] {
    let files =
      FileManager.default.enumerator(at: realData, includingPropertiesForKeys: nil)?
      .compactMap { $0 as? URL }.filter { $0.pathExtension == "csv" } ?? []
    return files.sorted { $0.path < $1.path }
  }

  @Test(
    "every real CSV file gives the same records as CSV.swift and Python's csv module, and as COPY where its fields are uniform",
    .enabled(if: FileManager.default.fileExists(atPath: realData.path), "../shared/realdata is not present"))
  func realFilesAgree() throws {
    let files = Self.realFiles
    #expect(files.count >= 10)
    let python = try readWithPython(files)
    var copied = 0
    for (file, theirs) in zip(files, python) {
      let ours = readWithConsult(file)
      #expect(ours == readWithCSVSwift(file), "\(file.lastPathComponent): consult's reader and CSV.swift differ")
      let records = ours.compactMap { event -> [String]? in
        if case .record(let fields, _) = event { return fields }
        return nil
      }
      #expect(records.count == ours.count, "\(file.lastPathComponent): an error in a real file")
      #expect(theirs.error == nil, "\(file.lastPathComponent): python: \(theirs.error ?? "")")
      #expect(sameRows(records, theirs.rows), "\(file.lastPathComponent): consult's reader and Python's csv differ")
      // COPY needs one field count for every record and keeps a byte-order mark as data.
      let counts = Set(records.map(\.count))
      if hasServer, counts.count == 1, let columns = counts.first {
        var bytes = try [UInt8](Data(contentsOf: file))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("consult-copy-\(UUID()).csv")
        try Data(bytes).write(to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let postgres = try readWithPostgres(copy, columns: columns)
        #expect(postgres == .success(records), "\(file.lastPathComponent): consult's reader and COPY differ")
        copied += 1
      }
    }
    if hasServer { #expect(copied >= 5, "only \(copied) real files compared with COPY") }
  }

  @Test("generated well-formed files: the records written, read alike by CSV.swift, Python's csv and COPY")
  func generatedFilesAgree() throws {
    var rng = SplitMix(state: 4180)
    let directory = try FixtureDirectory()
    var cases: [(URL, GeneratedCSV)] = []
    for index in 0..<400 {
      let generated = GeneratedCSV.random(using: &rng)
      cases.append((try directory.write("g\(index).csv", bytes: generated.bytes), generated))
    }
    let python = try readWithPython(cases.map(\.0))
    var copied = 0
    for ((file, generated), theirs) in zip(cases, python) {
      let ours = readWithConsult(file)
      let expected = generated.records.enumerated().map { ReadEvent.record($1, line: 0) }
      let records = ours.map { event -> ReadEvent in
        if case .record(let fields, _) = event { return .record(fields, line: 0) }
        return event
      }
      #expect(
        records == expected,
        "\(file.lastPathComponent): \(String(decoding: generated.bytes, as: UTF8.self).debugDescription)")
      #expect(ours == readWithCSVSwift(file), "\(file.lastPathComponent): differs from CSV.swift")
      #expect(
        theirs.error == nil && sameRows(generated.records, theirs.rows),
        "\(file.lastPathComponent): differs from Python")
      // COPY keeps a byte-order mark as data; one case in 8 is enough to compare (a process each).
      if hasServer, !generated.hasBOM, copied < 60 {
        copied += 1
        #expect(
          try readWithPostgres(file, columns: generated.columns) == .success(generated.records),
          "\(file.lastPathComponent): differs from COPY: \(String(decoding: generated.bytes, as: UTF8.self).debugDescription)"
        )
      }
    }
  }

  @Test("fuzzed bytes: the same records or the same error as CSV.swift, and as Python's csv")
  func fuzzedBytesAgree() throws {
    var rng = SplitMix(state: 20_171_214)
    let directory = try FixtureDirectory()
    var files: [URL] = []
    for index in 0..<1500 {
      files.append(try directory.write("f\(index).csv", bytes: fuzzBytes(using: &rng)))
    }
    let python = try readWithPython(files)
    for (file, theirs) in zip(files, python) {
      let ours = readWithConsult(file)
      let bytes = (try? [UInt8](Data(contentsOf: file))) ?? []
      let reference = readWithCSVSwift(file)
      #expect(
        agree(ours, reference),
        "\(bytes.map { String(format: "%02x", $0) }.joined(separator: " ")): \(ours) vs CSV.swift \(reference)")
      // Python: the same records, or an error where consult has one. Python decodes UTF-8 ahead
      // of the rows it parses and keeps NUL bytes, so with malformed UTF-8 only "both refuse"
      // is compared, and a record consult refuses for a NUL byte is one Python gives with one.
      let fileError = ours.contains { if case .fileError = $0 { true } else { false } }
      let records = ours.compactMap { event -> [String]? in
        if case .record(let fields, _) = event { return fields }
        return nil
      }
      if fileError {
        #expect(theirs.error != nil, "python read what consult refused: \(ours.last!)")
      } else if !ours.contains(where: { if case .recordError = $0 { true } else { false } }) {
        #expect(theirs.error == nil && sameRows(records, theirs.rows), "differs from Python: \(ours) vs \(theirs.rows)")
      } else {
        #expect(theirs.error == nil)
        #expect(theirs.rows.count == ours.count)
      }
    }
  }

  @Test(
    "what consult refuses, COPY refuses too: an unclosed quote, a NUL byte, malformed UTF-8",
    .enabled(if: hasServer, "no PostgreSQL server (run through scripts/test)"))
  func refusedByCopyToo() throws {
    let directory = try FixtureDirectory()
    let cases: [(String, [UInt8])] = [
      ("unclosed", Array("a,b\n\"c,d\n".utf8)),
      ("nul", Array("a,b\nc,d".utf8) + [0x00] + Array("\n".utf8)),
      ("lone-continuation", Array("a,b\nc,".utf8) + [0x80] + Array("\n".utf8)),
      ("truncated", Array("a,b\nc,\"".utf8) + [0xC3] + Array("\"\n".utf8)),
      ("overlong", Array("a,b\n".utf8) + [0xC0, 0xAF] + Array(",d\n".utf8)),
      ("surrogate", Array("a,b\nc,".utf8) + [0xED, 0xA0, 0x80] + Array("\n".utf8)),
    ]
    for (name, bytes) in cases {
      let file = try directory.write("\(name).csv", bytes: bytes)
      let ours = readWithConsult(file)
      let refused = ours.contains {
        switch $0 {
        case .record: false
        default: true
        }
      }
      #expect(refused, "\(name): consult read it")
      if case .success(let rows) = try readWithPostgres(file, columns: 2) {
        Issue.record("\(name): COPY read \(rows)")
      }
    }
  }

  @Test("every error names the line the record starts on and the column")
  func errorsNamePosition() throws {
    func error(_ text: [UInt8]) -> ImportError? {
      do {
        let reader = try CSVRowReader(bytes: text, name: "x.csv")
        reader.columnNames = ["id", "text"]
        while try reader.next() != nil {}
        return nil
      } catch { return error }
    }
    let unclosed = try #require(error(Array("id,text\n1,\"one\ntwo\n2,three".utf8)))
    #expect(unclosed.line == 2 && unclosed.column == "text")
    #expect(unclosed.message.contains("opened on line 2 is never closed"))
    let afterQuote = try #require(error(Array("id,text\r\n1,\"a\r\nb\"c\r\n".utf8)))
    #expect(afterQuote.line == 2 && afterQuote.column == "text")
    #expect(afterQuote.message.contains("'c' after the closing quote of a quoted field on line 3"))
    let invalid = try #require(error(Array("\u{FEFF}id,text\n1,\"x\n\"\n2,".utf8) + [0xE2, 0x82]))
    #expect(invalid.line == 4 && invalid.column == "text" && invalid.message.hasPrefix("invalid UTF-8"))
    let nul = try #require(error(Array("id,text\n\n1,a".utf8) + [0] + Array("b\n".utf8)))
    #expect(nul.line == 3 && nul.column == "text" && nul.message == "NUL byte in field")
    let utf16 = try #require(error([0xFF, 0xFE, 0x61, 0x00]))
    #expect(utf16.line == 1 && utf16.message.contains("UTF-16"))
  }

  @Test("a field over the limit refuses its record only; the next record is read")
  func oversizedField() throws {
    let long = String(repeating: "x", count: CSVRowReader.maxFieldBytes + 1)
    let reader = try CSVRowReader(bytes: Array("a,\"\(long)\"\nb,c\n".utf8))
    #expect(throws: ImportError.self) { try reader.next() }
    #expect(!reader.isFinished)
    #expect(try reader.next() == CSVRow(fields: ["b", "c"], line: 2))
    #expect(try reader.next() == nil)
  }

  @Test("records across chunk boundaries: a long file read in 256 KiB chunks gives every record")
  func chunkBoundaries() throws {
    var text = "id,text\r\n"
    var expected: [[String]] = [["id", "text"]]
    for index in 0..<30_000 {
      let body = index % 7 == 0 ? "line one\r\nline \"two\"" : "plain text \(index) é"
      text += "\(index),\"\(body.replacingOccurrences(of: "\"", with: "\"\""))\"\r\n"
      expected.append([String(index), body])
    }
    let directory = try FixtureDirectory()
    let file = try directory.write("long.csv", text)
    let ours = readWithConsult(file)
    #expect(ours.count == expected.count)
    #expect(ours == readWithCSVSwift(file))
    if case .record(let fields, let line) = ours.last {
      #expect(fields == expected.last)
      #expect(line == 1 + 1 + 29_999 + 29_999 / 7 + 1)
    }
  }
}
