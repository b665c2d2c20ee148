import Foundation

extension EmbeddedCluster {
  /// The programs a directory must hold to run the embedded cluster: `initdb` creates it,
  /// `pg_ctl` starts and stops it, and `postgres` is the server `pg_ctl` launches from its
  /// own directory (pg_ctl reference page).
  static let requiredServerPrograms = ["initdb", "pg_ctl", "postgres"]

  /// Where Debian and Ubuntu install each PostgreSQL major version's server programs:
  /// `/usr/lib/postgresql/<version>/bin` (the `postgresql-common` layout). They are not on
  /// `PATH` there.
  static let distributionDirectory = URL(fileURLWithPath: "/usr/lib/postgresql", isDirectory: true)

  /// Finds the directory holding PostgreSQL's server programs (`initdb`, `pg_ctl`,
  /// `postgres`; `createdb` and `psql` are expected beside them).
  ///
  /// Tried in order, the first that holds all three programs wins:
  /// 1. `$CONSULT_PG_BINDIR`, when set and non-empty (an error if it lacks them);
  /// 2. `pg_config --bindir`, with `pg_config` looked up on `PATH` (on Debian it comes
  ///    with `libpq-dev` and names the server's directory);
  /// 3. the newest `/usr/lib/postgresql/<version>/bin`, versions compared numerically
  ///    (so 16 beats 9.6);
  /// 4. each `PATH` entry holding `initdb`, symbolic links resolved so that the programs
  ///    beside the real `initdb` are used.
  ///
  /// - Parameter environment: where `CONSULT_PG_BINDIR` and `PATH` are read; defaults to
  ///   this process's environment.
  /// - Returns: the directory, as an absolute file URL.
  /// - Throws: ``EmbeddedClusterError`` saying to `apt-get install postgresql` (or to set
  ///   `CONSULT_PG_BINDIR`) when no candidate holds the programs.
  public static func findBinDirectory(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(EmbeddedClusterError) -> URL {
    try findBinDirectory(environment: environment, distributionDirectory: distributionDirectory)
  }

  /// ``findBinDirectory(environment:)`` with the distribution directory (step 3) given,
  /// so tests can point it elsewhere.
  static func findBinDirectory(
    environment: [String: String],
    distributionDirectory: URL
  ) throws(EmbeddedClusterError) -> URL {
    if let configured = environment["CONSULT_PG_BINDIR"], !configured.isEmpty {
      let directory = URL(fileURLWithPath: configured, isDirectory: true).standardizedFileURL
      let missing = missingServerPrograms(in: directory)
      guard missing.isEmpty else {
        throw EmbeddedClusterError(
          message: """
            CONSULT_PG_BINDIR is \(configured), but \(missing.joined(separator: ", ")) \
            \(missing.count == 1 ? "is" : "are") not there. Set it to the directory holding \
            PostgreSQL's server programs (e.g. /usr/lib/postgresql/15/bin), or unset it.
            """
        )
      }
      return directory
    }
    if let directory = pgConfigBinDirectory(environment: environment),
      missingServerPrograms(in: directory).isEmpty
    {
      return directory
    }
    for directory in versionedBinDirectories(under: distributionDirectory)
    where missingServerPrograms(in: directory).isEmpty {
      return directory
    }
    for entry in (environment["PATH"] ?? "").split(separator: ":") where !entry.isEmpty {
      let initdb = URL(fileURLWithPath: String(entry), isDirectory: true)
        .appendingPathComponent("initdb")
      guard FileManager.default.isExecutableFile(atPath: initdb.path) else { continue }
      let directory = initdb.resolvingSymlinksInPath().deletingLastPathComponent()
      if missingServerPrograms(in: directory).isEmpty {
        return directory
      }
    }
    throw EmbeddedClusterError(
      message: """
        PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found: not via \
        pg_config, not in \(distributionDirectory.path)/<version>/bin, not on PATH. The \
        embedded database needs them: install the server (Debian/Ubuntu: \
        apt-get install postgresql), set CONSULT_PG_BINDIR to their directory, or configure \
        a server of your own with PGHOST/PGDATABASE or CONSULT_DATABASE_URL.
        """
    )
  }

  /// The names in ``requiredServerPrograms`` that are not executable files in `directory`.
  static func missingServerPrograms(in directory: URL) -> [String] {
    requiredServerPrograms.filter { program in
      !FileManager.default.isExecutableFile(
        atPath: directory.appendingPathComponent(program).path
      )
    }
  }

  /// What `pg_config --bindir` prints, with `pg_config` found on the `PATH` of
  /// `environment`; `nil` when there is no `pg_config` or it fails.
  static func pgConfigBinDirectory(environment: [String: String]) -> URL? {
    let pgConfig = (environment["PATH"] ?? "").split(separator: ":").lazy
      .map {
        URL(fileURLWithPath: String($0), isDirectory: true).appendingPathComponent("pg_config")
      }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    guard let pgConfig else { return nil }
    guard
      let result = try? ToolRunner.launch(
        pgConfig,
        ["--bindir"],
        environment: ToolRunner.toolEnvironment(from: environment)
      ),
      result.succeeded
    else { return nil }
    let path = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    guard path.hasPrefix("/") else { return nil }
    return URL(fileURLWithPath: path, isDirectory: true)
  }

  /// The `<version>/bin` directories under `parent`, newest version first.
  ///
  /// Only entries whose names are dot-separated numbers (`15`, `9.6`) count; they are
  /// compared component by component as integers, as `sort -V` would.
  static func versionedBinDirectories(under parent: URL) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
    let versions: [(name: String, numbers: [Int])] = names.compactMap { name in
      let parts = name.split(separator: ".", omittingEmptySubsequences: false)
      let numbers = parts.compactMap { Int($0) }
      guard !parts.isEmpty, numbers.count == parts.count else { return nil }
      return (name, numbers)
    }
    return
      versions
      .sorted { $0.numbers.lexicographicallyPrecedes($1.numbers) }
      .reversed()
      .map {
        parent.appendingPathComponent($0.name, isDirectory: true)
          .appendingPathComponent("bin", isDirectory: true)
      }
  }
}
