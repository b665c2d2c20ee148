import Postgres
import Testing

@Suite("Passwords masked in connection messages")
struct ConnectionRedactionTests {
  @Test("the passwords of URIs and conninfo strings are found, as written and decoded")
  func secrets() {
    #expect(ConnectionRedaction.secrets(in: "postgres://u:p%40ss@h/db").contains("p%40ss"))
    #expect(ConnectionRedaction.secrets(in: "postgres://u:p%40ss@h/db").contains("p@ss"))
    #expect(ConnectionRedaction.secrets(in: "postgresql://u:a@b@[bad/x") == ["a@b"])
    #expect(ConnectionRedaction.secrets(in: "postgres://u@h/db?sslmode=require&password=qq1") == ["qq1"])
    #expect(ConnectionRedaction.secrets(in: "host=h password='it\\'s secret' port=5") == ["it's secret"])
    #expect(ConnectionRedaction.secrets(in: "host=h password = plain") == ["plain"])
    #expect(ConnectionRedaction.secrets(in: "postgres://u@h/db").isEmpty)
    #expect(ConnectionRedaction.secrets(in: "host=h user=u").isEmpty)
  }

  @Test("messages: known passwords and whatever looks like one are masked")
  func redacted() {
    let uri =
      "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgres://u:pw@[x\""
    #expect(
      ConnectionRedaction.redacted(uri, secrets: ["pw"])
        == "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgres://u:***@[x\"")
    #expect(
      ConnectionRedaction.redacted("invalid percent-encoded token: \"se%zz\"", secrets: ["se%zz"])
        == "invalid percent-encoded token: \"***\"")
    #expect(ConnectionRedaction.redacted("bad: host=h password=hunter2 port=x") == "bad: host=h password=*** port=x")
    #expect(ConnectionRedaction.redacted("bad: password = 'a b' x") == "bad: password = *** x")
    #expect(ConnectionRedaction.redacted("at postgres://alice:secret@h/db") == "at postgres://alice:***@h/db")
    #expect(ConnectionRedaction.redacted("db \"consult\" does not exist") == "db \"consult\" does not exist")
    #expect(ConnectionRedaction.redacted("postgres://u@h:5432/db") == "postgres://u@h:5432/db")
  }
}
