/// Decodes the HTML character references a source writes into plain text: regulations.gov's
/// text-comments export escapes what commenters typed (`now &amp; stop`, `&quot;waiver&quot;`),
/// so the text stored, searched, quoted and exported is the text as typed (`now & stop`).
///
/// Decodes, in one pass (so `&amp;lt;` becomes `&lt;`, not `<`): decimal `&#39;` and hexadecimal
/// `&#x2019;` references to any Unicode scalar but NUL and surrogates, and the named references
/// of ``named`` (the Latin-1 letters and the punctuation commenters use). Anything else that
/// starts with `&` — an unknown name, a missing `;`, a bare `&` — is kept as it is.
public enum HTMLEntities {
  /// Named character references decoded, by name (case-sensitive, as in HTML).
  static let named: [String: Character] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
    "ndash": "–", "mdash": "—", "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”",
    "bdquo": "„", "hellip": "…", "bull": "•", "middot": "·", "laquo": "«", "raquo": "»", "lsaquo": "‹",
    "rsaquo": "›", "copy": "©", "reg": "®", "trade": "™", "deg": "°", "euro": "€", "pound": "£", "cent": "¢",
    "yen": "¥", "sect": "§", "para": "¶", "times": "×", "divide": "÷", "plusmn": "±", "frac12": "½",
    "frac14": "¼", "frac34": "¾", "iexcl": "¡", "iquest": "¿", "shy": "\u{AD}", "ensp": "\u{2002}",
    "emsp": "\u{2003}", "thinsp": "\u{2009}", "dagger": "†", "Dagger": "‡", "permil": "‰", "prime": "′",
    "Prime": "″", "agrave": "à", "aacute": "á", "acirc": "â", "atilde": "ã", "auml": "ä", "aring": "å",
    "aelig": "æ", "ccedil": "ç", "egrave": "è", "eacute": "é", "ecirc": "ê", "euml": "ë", "igrave": "ì",
    "iacute": "í", "icirc": "î", "iuml": "ï", "eth": "ð", "ntilde": "ñ", "ograve": "ò", "oacute": "ó",
    "ocirc": "ô", "otilde": "õ", "ouml": "ö", "oslash": "ø", "ugrave": "ù", "uacute": "ú", "ucirc": "û",
    "uuml": "ü", "yacute": "ý", "thorn": "þ", "yuml": "ÿ", "szlig": "ß", "Agrave": "À", "Aacute": "Á",
    "Acirc": "Â", "Atilde": "Ã", "Auml": "Ä", "Aring": "Å", "AElig": "Æ", "Ccedil": "Ç", "Egrave": "È",
    "Eacute": "É", "Ecirc": "Ê", "Euml": "Ë", "Igrave": "Ì", "Iacute": "Í", "Icirc": "Î", "Iuml": "Ï",
    "ETH": "Ð", "Ntilde": "Ñ", "Ograve": "Ò", "Oacute": "Ó", "Ocirc": "Ô", "Otilde": "Õ", "Ouml": "Ö",
    "Oslash": "Ø", "Ugrave": "Ù", "Uacute": "Ú", "Ucirc": "Û", "Uuml": "Ü", "Yacute": "Ý", "THORN": "Þ",
  ]

  /// The longest name in ``named``; a reference is looked for only this far after `&`.
  static let longestName = named.keys.map(\.count).max() ?? 0

  /// `text` with its character references decoded.
  ///
  /// - Parameter text: Text that may contain `&…;` references.
  /// - Returns: The text as typed; `text` itself when it has no `&`.
  public static func decode(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count)
    var index = text.startIndex
    while let ampersand = text[index...].firstIndex(of: "&") {
      result += text[index..<ampersand]
      let afterAmpersand = text.index(after: ampersand)
      if let (decoded, end) = reference(in: text, from: afterAmpersand) {
        result.append(decoded)
        index = end
      } else {
        result.append("&")
        index = afterAmpersand
      }
    }
    result += text[index...]
    return result
  }

  /// The character a reference starting at `start` (just after `&`) stands for, and the index
  /// after its `;`; nil when it is not one this type decodes.
  private static func reference(in text: String, from start: String.Index) -> (Character, String.Index)? {
    var end = start
    var body = ""
    while end < text.endIndex, text[end] != ";", body.count <= max(longestName, 8) {
      body.append(text[end])
      end = text.index(after: end)
    }
    guard end < text.endIndex, text[end] == ";", !body.isEmpty else { return nil }
    let after = text.index(after: end)
    if body.hasPrefix("#") {
      let digits = body.dropFirst()
      let value: UInt32?
      if let first = digits.first, first == "x" || first == "X" {
        value = digits.count > 1 ? UInt32(digits.dropFirst(), radix: 16) : nil
      } else {
        value = digits.isEmpty ? nil : UInt32(digits, radix: 10)
      }
      guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
      return (Character(scalar), after)
    }
    return named[body].map { ($0, after) }
  }
}
