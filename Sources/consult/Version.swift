/// The version of consult: printed by `consult --version`, written into the manual page
/// (`consult manual`). Defined here only; change it here when releasing.
enum ConsultVersion {
  /// The release, as MAJOR.MINOR.PATCH (semantic versioning).
  static let current = "0.1.0"
}
