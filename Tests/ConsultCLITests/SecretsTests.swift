import Foundation
import Testing

/// No password reaches standard output or standard error, whatever is wrong with the connection
/// string: libpq quotes a malformed URI whole and a bad token of it in its own messages.
@Suite("Passwords never printed")
struct SecretsTests {
  static let secret = "s3cr3t-Pw"

  /// Every way a connection string can be malformed or fail, each carrying the password.
  static let connectionStrings: [(what: String, string: String)] = [
    ("an IPv6 host bracket never closed", "postgres://u:\(secret)@[bad/x"),
    ("an IPv6 host bracket never closed (postgresql://)", "postgresql://u:\(secret)@[::1/x"),
    ("junk after an IPv6 host", "postgres://u:\(secret)@[::1]x/db"),
    ("an empty IPv6 host", "postgres://u:\(secret)@[]/db"),
    ("bad percent-encoding in the host", "postgres://u:\(secret)@host%zz/x"),
    ("bad percent-encoding in the password", "postgres://u:\(secret)%zz@localhost/x"),
    ("bad percent-encoding of a NUL in the password", "postgres://u:\(secret)%00@localhost/x"),
    ("bad percent-encoding in the user", "postgres://u%zz:\(secret)@localhost/x"),
    ("bad percent-encoding in the database", "postgres://u:\(secret)@localhost/x%g1"),
    ("a port out of range", "postgres://u:\(secret)@localhost:99999/x"),
    ("a port that is no number", "postgres://u:\(secret)@localhost:abc/x"),
    ("an unknown URI parameter", "postgres://u:\(secret)@localhost/x?bogus=1"),
    ("a bad sslmode", "postgres://u:\(secret)@localhost/x?sslmode=bogus"),
    ("a URI parameter without a value", "postgres://u:\(secret)@localhost/x?connect_timeout"),
    ("a password parameter and bad encoding", "postgres://u@localhost/x?password=\(secret)&port=%zz"),
    ("a password parameter and an unknown one", "postgres://u@localhost/x?password=\(secret)&bogus=1"),
    ("nothing listening", "postgres://u:\(secret)@127.0.0.1:1/x?connect_timeout=3"),
    ("no such socket", "postgres://u:\(secret)@/x?host=/nonexistent"),
    ("a bad sslrootcert", "postgres://u:\(secret)@127.0.0.1:1/x?sslmode=verify-full&sslrootcert=/nonexistent"),
    ("conninfo: an unknown keyword", "host=localhost password=\(secret) bogus=1"),
    ("conninfo: an unterminated quote", "host=localhost password='\(secret)"),
    ("conninfo: a quoted password and a bad port", "host=localhost password='\(secret) x' port=abc"),
    ("conninfo: a keyword without =", "host=localhost password=\(secret) dbname"),
    ("conninfo: nothing listening", "host=127.0.0.1 port=1 password=\(secret) connect_timeout=3"),
    ("a bad scheme", "postgre://u:\(secret)@localhost/x"),
  ]

  @Test("every malformed or failing connection string: --database-url and $CONSULT_DATABASE_URL, --verbose too")
  func malformedConnectionStrings() throws {
    let cli = try CLI()
    for (what, string) in Self.connectionStrings {
      let ways: [(arguments: [String], environment: [String: String])] = [
        (["list", "--database-url", string], [:]),
        (["list", "--database-url", string, "--verbose"], [:]),
        (["db", "migrate", "--database-url=\(string)"], [:]),
        (["tick"], ["CONSULT_DATABASE_URL": string]),
      ]
      for way in ways {
        let outcome = try cli.run(way.arguments, environment: way.environment)
        let output = outcome.stdout + outcome.stderr
        #expect(outcome.status != 0, "\(what): \(output)")
        #expect(!output.isEmpty, "\(what): says why")
        #expect(!output.contains(Self.secret) && !output.contains("s3cr3t"), "\(what) (\(way.arguments)): \(output)")
      }
    }
    // A URL given where none is expected: argument-parser's usage error quotes it, masked.
    let stray = try cli.run(["list", "postgres://u:\(Self.secret)@h/db"])
    #expect(stray.status == 2)
    #expect(stray.stderr.contains("'postgres://u:***@h/db'") && !stray.stderr.contains(Self.secret), "\(stray.stderr)")
    // What the user sees instead: the string with the password masked.
    let bracket = try cli.run(["list", "--database-url", "postgres://u:\(Self.secret)@[bad/x"])
    #expect(bracket.status == 4)
    #expect(bracket.stderr.contains("\"postgres://u:***@[bad/x\""), "\(bracket.stderr)")
    let percent = try cli.run(["list", "--database-url", "postgres://u:\(Self.secret)%zz@localhost/x"])
    #expect(percent.stderr.contains("invalid percent-encoded token: \"***\""), "\(percent.stderr)")
  }

  @Test("against a server over TCP with TLS (sslmode=verify-full), the password from .pgpass only: scripts/tls-check")
  func tlsServer() throws {
    let script = WorkflowMatrixTests.root.appendingPathComponent("scripts/tls-check")
    let process = Process()
    process.executableURL = script
    process.arguments = [CLI.executable.path]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(stderr)")
    #expect(stdout.contains("tls-check: ok"), "\(stdout)\(stderr)")
    for refusal in [
      "certificate verify failed", "does not match host name", "no encryption", "password authentication failed",
    ] {
      #expect(stderr.contains(refusal), "\(refusal): \(stderr)")
    }
  }
}
