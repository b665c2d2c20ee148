import ArgumentParser
import ConsultStore
import Foundation

/// `consult actor`: the people and services that record things.
struct ActorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "actor", abstract: "Register and list actors (who records things; the log refers to them by id).",
    discussion: """
      A handle is lower-case letters, digits, '.', '_' and '-' (never an e-mail address or a name); the \
      display name is personal data, kept only in the actors table and erasable. Give --actor HANDLE to \
      a change; the default actor ($CONSULT_ACTOR, else the login name) is registered on first use.
      """,
    subcommands: [Add.self, ListActors.self])

  /// `consult actor add HANDLE [--name NAME]`.
  struct Add: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Register an actor (or set the display name of one).",
      discussion: "Example: consult actor add head-of-division --name \"Head of division\"")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The handle, e.g. head-of-division.") var handle: String
    @Option(help: "Display name.") var name: String?
    func execute(_ store: ConsultStore) throws {
      let actor = try store.registerActor(handle, name: name)
      if output.json { return try printJSON(actor) }
      say("Actor \(actor.handle) (#\(actor.id))\(actor.name.map { ": \(terminalLine($0))" } ?? "")")
    }
  }

  /// `consult actor list`.
  struct ListActors: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the registered actors.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    func execute(_ store: ConsultStore) throws {
      let all = try store.actors()
      if output.json { return try printJSON(all) }
      for actor in all { say("\(actor.handle)\t\(terminalLine(actor.name ?? ""))") }
    }
  }
}
