/// Stored text made safe for where it lands: a spreadsheet cell, a document, a terminal. Stored
/// text (contributions, names, titles, anything an import brought in) is whatever someone typed
/// or sent; these rules keep it from attacking the person who reads an export or the output of a
/// command. Pure functions, one rule per destination, used by every writer of that destination.
public enum OutputText {
  /// The first characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV
  /// Injection": `=`, `+`, `-`, `@`, tab, carriage return).
  public static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

  /// Whether `scalar` is a control character other than tab and line feed — C0, DEL or C1
  /// (U+0080–U+009F, whose U+009B is a terminal's CSI): the characters HTML, Markdown and CSV
  /// exports never carry.
  public static func isForbiddenControl(_ scalar: Unicode.Scalar) -> Bool {
    (scalar.value < 0x20 && scalar != "\t" && scalar != "\n") || (0x7F...0x9F).contains(scalar.value)
  }

  /// `text` without control characters, for a document or CSV cell: CRLF and a lone CR become
  /// LF (a line break stays a line break), every other control character (C0 but tab and LF,
  /// DEL, C1) becomes U+FFFD (�), so an export shows that something was there. Nothing else
  /// changes: no trimming.
  ///
  /// - Parameter text: Stored text.
  /// - Returns: The text with only tab and LF among the C0 controls.
  public static func withoutControls(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isForbiddenControl) else { return text }
    var result = String.UnicodeScalarView()
    var previous: Unicode.Scalar?
    for scalar in text.unicodeScalars {
      defer { previous = scalar }
      if scalar == "\n" && previous == "\r" { continue }  // the CR already became LF
      if scalar == "\r" {
        result.append("\n")
      } else {
        result.append(isForbiddenControl(scalar) ? "\u{FFFD}" : scalar)
      }
    }
    return String(result)
  }

  /// A CSV cell that a spreadsheet shows as text: ``withoutControls(_:)``, then, when the value
  /// begins with `=`, `+`, `-`, `@` or a tab (``formulaStarts``; a carriage return is already a
  /// line feed), a single quote (`'`) before it, as OWASP's "CSV Injection" guidance says. The
  /// quote is part of the cell: a program reading the CSV sees `'=1+2`, a spreadsheet shows
  /// `=1+2` as text.
  ///
  /// - Parameter value: A cell's value (any column: stored text, names, keys).
  /// - Returns: The value to write (quoted by the CSV writer as RFC 4180 needs).
  public static func csvCell(_ value: String) -> String {
    let clean = withoutControls(value)
    guard let first = clean.unicodeScalars.first, formulaStarts.contains(first) else { return clean }
    return "'" + clean
  }

  /// Whether `scalar` changes the order or direction text is shown in: the bidirectional
  /// embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069 and the marks U+200E
  /// (LRM) and U+200F (RLM) (Unicode Standard Annex #9).
  public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
    (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
      || scalar.value == 0x200E || scalar.value == 0x200F
  }

  /// `text` made safe to print on a terminal: every control character (C0 but tab and LF, DEL,
  /// C1, so no escape sequence: colour, cursor movement, screen clear, window title) and every
  /// bidirectional control (``isBidiControl(_:)``) is shown visibly escaped as `<U+XXXX>`
  /// (`<U+001B>` for ESC, `<U+202E>` for RIGHT-TO-LEFT OVERRIDE); tab and LF stay.
  ///
  /// - Parameter text: Stored text.
  /// - Returns: Text holding no control character but tab and LF, and no bidirectional control.
  public static func terminal(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      let isControl = scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\t"
      if isControl || isBidiControl(scalar) {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        result.append(contentsOf: "<U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)>".unicodeScalars)
      } else {
        result.append(scalar)
      }
    }
    return String(result)
  }
}
