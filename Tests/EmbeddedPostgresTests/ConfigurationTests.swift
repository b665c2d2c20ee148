import Foundation
import Testing

@testable import EmbeddedPostgres

@Suite("Server configuration and default locations")
struct ConfigurationTests {
  @Test(
    "isConfigured truth table",
    arguments: [
      ([:], false),
      (["CONSULT_DATABASE_URL": ""], false),
      (["CONSULT_DATABASE_URL": "postgresql://db.example/consult"], true),
      (["CONSULT_DATABASE_URL": "host=/run/postgresql dbname=consult"], true),
      (["PGHOST": "/var/run/postgresql"], true),
      (["PGHOST": ""], false),
      (["PGHOSTADDR": "127.0.0.1"], true),
      (["PGPORT": "5433"], true),
      (["PGDATABASE": "consult"], true),
      (["PGSERVICE": "consult"], true),
      (["PGUSER": "someone"], false),
      (["PGPASSWORD": "secret", "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "5"], false),
      (["DATABASE_URL": "postgresql://db.example/x"], false),
      (["HOME": "/home/u", "PATH": "/usr/bin"], false),
      (["PGUSER": "someone", "PGPORT": "5432"], true),
    ] as [([String: String], Bool)]
  )
  func isConfigured(environment: [String: String], expected: Bool) {
    #expect(ServerConfiguration.isConfigured(environment) == expected)
  }

  @Test("CONSULT_HOME wins for root and for other users")
  func consultHome() {
    for uid: uid_t in [0, 1000] {
      let root = EmbeddedCluster.defaultRoot(
        environment: ["CONSULT_HOME": "/srv/consult", "HOME": "/home/u", "XDG_DATA_HOME": "/x"],
        effectiveUserID: uid
      )
      #expect(root.path == "/srv/consult")
    }
    #expect(EmbeddedCluster.defaultRoot(environment: ["CONSULT_HOME": "/srv/c/"]).path == "/srv/c")
  }

  @Test("root uses /var/lib/consult")
  func rootDefault() {
    let root = EmbeddedCluster.defaultRoot(
      environment: ["CONSULT_HOME": "", "HOME": "/root", "XDG_DATA_HOME": "/root/.data"],
      effectiveUserID: 0
    )
    #expect(root.path == "/var/lib/consult")
  }

  @Test("other users use XDG_DATA_HOME, else ~/.local/share")
  func userDefault() {
    #expect(
      EmbeddedCluster.defaultRoot(
        environment: ["HOME": "/home/u", "XDG_DATA_HOME": "/home/u/data"],
        effectiveUserID: 1000
      ).path == "/home/u/data/consult"
    )
    #expect(
      EmbeddedCluster.defaultRoot(environment: ["HOME": "/home/u"], effectiveUserID: 1000).path
        == "/home/u/.local/share/consult"
    )
    // The XDG Base Directory specification: a relative path is invalid and ignored.
    #expect(
      EmbeddedCluster.defaultRoot(
        environment: ["HOME": "/home/u", "XDG_DATA_HOME": "relative/data"],
        effectiveUserID: 1000
      ).path == "/home/u/.local/share/consult"
    )
  }

  @Test("cluster paths sit under the root")
  func paths() {
    let cluster = EmbeddedCluster(root: URL(fileURLWithPath: "/srv/consult", isDirectory: true))
    #expect(cluster.dataDirectory.path == "/srv/consult/data")
    #expect(cluster.socketDirectory.path == "/srv/consult/run")
    #expect(cluster.logFile.path == "/srv/consult/log/server.log")
    #expect(cluster.lockFile.path == "/srv/consult/lock")
  }
}
