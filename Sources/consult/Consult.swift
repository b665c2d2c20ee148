import ArgumentParser
import Foundation

/// The `consult` command: runs consultations on declarative workflows stored in PostgreSQL.
@main
struct Consult: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run multi-stakeholder consultations on declarative workflows, recorded in PostgreSQL.",
    discussion: """
      Every change is a workflow transition recorded in PostgreSQL with its actor. \
      With no server configured (no --database-url, CONSULT_DATABASE_URL or PG* \
      variables), consult starts a private local cluster under \
      ~/.local/share/consult (or $CONSULT_HOME; /var/lib/consult for root).

      Exit codes: 0 ok; 1 refused by the workflow, bad input or not found; \
      2 usage error; 3 conflict (someone else changed it first; nothing was \
      written, try again); 4 database unavailable, not migrated or failed.
      """,
    version: ConsultVersion.current,
    subcommands: [
      Open.self, List.self, Show.self, Advance.self, Log.self,
      ThemeCommand.self, StakeholderCommand.self, WorkshopCommand.self,
      Invite.self, RSVP.self, Attendance.self, InvitationCommand.self,
      Contribute.self, ContributionsCommand.self, SummaryCommand.self, Export.self,
      DraftCommand.self, ActorCommand.self, DB.self,
      WorkflowCommand.self,
      Tick.self, DeadlineCommand.self,
      Completions.self, Manual.self,
    ]
  )

  /// Parses, runs, and maps usage errors to exit code 2 (argument-parser uses 64).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      Foundation.exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        printError(fullMessage(for: error))
        Foundation.exit(Exit.usage.rawValue)
      }
      // Help and version go to standard output as argument-parser prints them; any other error
      // may quote stored text or a file's contents, so it goes through the terminal-safe path.
      guard code != .success else { exit(withError: error) }
      printError(fullMessage(for: error))
      Foundation.exit(code.rawValue)
    }
  }
}
