import ConsultStore
import Foundation

/// Draws an import's progress on one line of standard error while it runs: rows read, rows per
/// second and the estimated time left to read the file, redrawn in place (`\r`) at most four
/// times a second; then, while the database writes what was read, that it does so; erased when
/// the import ends.
///
/// The estimate assumes the rest of the file goes as fast as what was read so far, in bytes:
/// time left = elapsed × (file size − bytes read) ÷ bytes read. Bytes read includes the parser's
/// read-ahead (at most 64 KiB), and records a resumed import passes over are read faster than
/// ones it writes, so the first estimates are optimistic. Silent when standard error is not a
/// terminal.
final class ImportProgressLine {
  private let start = ContinuousClock.now
  private var lastDraw: ContinuousClock.Instant?
  private var drawn = false

  /// A progress line when standard error is a terminal; nil otherwise.
  static func forTerminal() -> ImportProgressLine? {
    isatty(STDERR_FILENO) != 0 ? ImportProgressLine() : nil
  }

  /// Takes one report; redraws when 0.25 s passed since the last drawing (always when the
  /// writing starts: no report follows it until the end), erases on the last.
  func update(_ progress: ImportProgress) {
    if progress.finished { return clear() }
    let now = ContinuousClock.now
    if let lastDraw, now - lastDraw < .milliseconds(250), !progress.writing { return }
    lastDraw = now
    write("\r" + Self.text(progress, elapsed: Self.seconds(now - start)) + "\u{1B}[K")
    drawn = true
  }

  /// Erases the line if anything was drawn (also when the import failed).
  func clear() {
    if drawn { write("\r\u{1B}[K") }
    drawn = false
  }

  /// The line's text, e.g. `12,000 rows read · 4,000 rows/s · 40% · about 5 s left to read`,
  /// then, once the database writes what was read,
  /// `30,000 rows read in 7 s · the database is writing the last of them` (at most 10,000: the
  /// earlier ones were written while the file was read).
  ///
  /// - Parameters:
  ///   - progress: The latest report.
  ///   - elapsed: Seconds since the import started.
  static func text(_ progress: ImportProgress, elapsed: Double) -> String {
    if progress.writing {
      return
        "\(grouped(progress.rowsRead)) rows read in \(duration(elapsed)) · the database is writing the last of them"
    }
    var parts = ["\(grouped(progress.rowsRead)) rows read"]
    if elapsed >= 0.5 { parts.append("\(grouped(Int(Double(progress.rowsRead) / elapsed))) rows/s") }
    if progress.rowsCommitted > 0 { parts.append("\(grouped(progress.rowsCommitted)) committed") }
    if let fraction = progress.fractionRead {
      parts.append("\(Int(fraction * 100))%")
      if fraction > 0, elapsed >= 1 {
        parts.append("about \(duration(elapsed * (1 - fraction) / fraction)) left to read")
      }
    }
    return parts.joined(separator: " · ")
  }

  /// `12,345`.
  static func grouped(_ number: Int) -> String {
    consult.grouped(number)
  }

  /// `42 s`, `3 min 05 s`, `1 h 02 min`.
  static func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    if total < 60 { return "\(total) s" }
    if total < 3600 { return "\(total / 60) min \(String(format: "%02d", total % 60)) s" }
    return "\(total / 3600) h \(String(format: "%02d", total % 3600 / 60)) min"
  }

  private static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}
