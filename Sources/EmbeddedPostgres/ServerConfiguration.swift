/// Decides whether the user configured a PostgreSQL server of their own.
///
/// The rule is the product's: "A configured server (standard PG* variables or a connection
/// URL) is used as is"; only when none is configured does the CLI fall back to the
/// embedded cluster (``EmbeddedCluster``).
public enum ServerConfiguration {
  /// The libpq environment variables that select *which server or database* to use
  /// (PostgreSQL docs, libpq "Environment Variables"): `PGHOST`, `PGHOSTADDR`, `PGPORT`,
  /// `PGDATABASE` and `PGSERVICE` (a service file entry names a server).
  ///
  /// Variables that only adjust a connection (`PGUSER`, `PGPASSWORD`, `PGSSLMODE`,
  /// `PGCONNECT_TIMEOUT`, ...) are deliberately absent: setting them alone does not point
  /// the CLI at another server.
  public static let serverSelectingVariables = [
    "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE",
  ]

  /// The variable holding a connection URL (`postgresql://...`) or keyword/value
  /// connection string for the CLI.
  public static let databaseURLVariable = "CONSULT_DATABASE_URL"

  /// Whether `environment` configures a server, so the embedded cluster must NOT be used.
  ///
  /// - Parameter environment: the process environment to judge, typically
  ///   `ProcessInfo.processInfo.environment`.
  /// - Returns: `true` when `CONSULT_DATABASE_URL` is non-empty, or when any of
  ///   ``serverSelectingVariables`` is set to a non-empty value. An empty variable counts
  ///   as unset, as it does for libpq (an empty `PGHOST` means libpq's default).
  public static func isConfigured(_ environment: [String: String]) -> Bool {
    if let url = environment[databaseURLVariable], !url.isEmpty {
      return true
    }
    return serverSelectingVariables.contains { name in
      guard let value = environment[name] else { return false }
      return !value.isEmpty
    }
  }
}
