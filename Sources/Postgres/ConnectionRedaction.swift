import Foundation

/// Keeps passwords out of messages about connection strings: libpq quotes a malformed URI whole
/// (`… in URI: "postgres://u:secret@[bad/x"`) and a bad token of it (`invalid percent-encoded
/// token: "secret%zz"`), so every message that may hold part of a connection string passes
/// through ``redacted(_:secrets:)`` before anyone sees it.
///
/// Connection strings are those of libpq §34.1.1 "Connection Strings": a URI
/// `postgres[ql]://[user[:password]@][host][:port][/dbname][?param=value&…]` or `key=value …`
/// conninfo, values optionally single-quoted with `\` escapes.
public enum ConnectionRedaction {
  /// What replaces a password.
  public static let mask = "***"

  /// The passwords a connection string holds, as written and percent-decoded: the URI's userinfo
  /// password and every `password` parameter (URI query or conninfo). Read forgivingly, since a
  /// malformed string is exactly when libpq quotes it: the userinfo runs to the last `@` before
  /// the query, whatever characters it holds.
  ///
  /// - Parameter connectionString: A URI or conninfo string, possibly malformed.
  /// - Returns: The non-empty secrets, longest first.
  public static func secrets(in connectionString: String) -> [String] {
    var found: [String] = []
    let text = connectionString
    if let scheme = text.range(of: "://"), text[..<scheme.lowerBound].lowercased().hasPrefix("postgres") {
      let rest = text[scheme.upperBound...]
      let query = rest.firstIndex(of: "?")
      let authority = rest[..<(query ?? rest.endIndex)]
      if let at = authority.lastIndex(of: "@") {
        let userinfo = authority[..<at]
        if let colon = userinfo.firstIndex(of: ":") {
          found.append(String(userinfo[userinfo.index(after: colon)...]))
        }
      }
      if let query {
        for pair in rest[rest.index(after: query)...].split(separator: "&") {
          let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
          if parts.count == 2, parts[0].lowercased() == "password" { found.append(String(parts[1])) }
        }
      }
    } else {
      found += conninfoPasswords(text)
    }
    found += found.compactMap { $0.removingPercentEncoding }
    return Array(Set(found.filter { !$0.isEmpty })).sorted { ($0.count, $0) > ($1.count, $1) }
  }

  /// `message` with every password masked: each of `secrets` (of three characters or more
  /// anywhere, shorter ones where the message quotes them whole), then whatever still looks like
  /// one — a URI's `user:password@` becomes `user:***@`, `password=value` (conninfo or URI query,
  /// quoted or not) becomes `password=***`.
  ///
  /// - Parameters:
  ///   - message: A message that may quote a connection string (libpq's, or one of consult's).
  ///   - secrets: Passwords known to be in play (``secrets(in:)`` of the connection string used,
  ///     the `password` parameter).
  /// - Returns: The message without them.
  public static func redacted(_ message: String, secrets: [String] = []) -> String {
    var text = message
    for secret in secrets.sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
      if secret.count >= 3 {
        text = text.replacingOccurrences(of: secret, with: mask)
      } else {
        text = text.replacingOccurrences(of: "\"\(secret)\"", with: "\"\(mask)\"")
      }
    }
    text = replace(uriPassword, in: text, with: "$1:\(mask)@")
    text = replace(keywordPassword, in: text, with: "$1\(mask)")
    return text
  }

  /// `scheme://user:password@` (the password up to the last `@` before a space, quote or the end).
  private static let uriPassword = try! NSRegularExpression(
    pattern: #"([A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s"]*):[^\s"]*@"#)
  /// `password=value`, `password = 'quoted value'` (conninfo), `password=value` in a URI query.
  private static let keywordPassword = try! NSRegularExpression(
    pattern: #"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&"']+)"#, options: [.caseInsensitive])

  private static func replace(_ expression: NSRegularExpression, in text: String, with template: String) -> String {
    expression.stringByReplacingMatches(
      in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
  }

  /// The values of `password` keywords in a conninfo string (libpq §34.1.1.1): unquoted up to
  /// white space, or single-quoted with `\'` and `\\` escapes (an unterminated quote runs to the
  /// end).
  private static func conninfoPasswords(_ text: String) -> [String] {
    var found: [String] = []
    let scalars = Array(text.unicodeScalars)
    var index = 0
    func skipSpaces() { while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 } }
    while index < scalars.count {
      skipSpaces()
      var key = String.UnicodeScalarView()
      while index < scalars.count, scalars[index] != "=", !scalars[index].properties.isWhitespace {
        key.append(scalars[index])
        index += 1
      }
      skipSpaces()
      guard index < scalars.count, scalars[index] == "=" else {
        index += 1
        continue
      }
      index += 1
      skipSpaces()
      var value = String.UnicodeScalarView()
      if index < scalars.count, scalars[index] == "'" {
        index += 1
        while index < scalars.count, scalars[index] != "'" {
          if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
          value.append(scalars[index])
          index += 1
        }
        index += 1
      } else {
        while index < scalars.count, !scalars[index].properties.isWhitespace {
          value.append(scalars[index])
          index += 1
        }
      }
      if String(key).lowercased() == "password" { found.append(String(value)) }
    }
    return found
  }
}
