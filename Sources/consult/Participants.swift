import ArgumentParser
import ConsultStore
import Foundation

extension Stakeholder.Kind: ExpressibleByArgument {}

struct StakeholderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stakeholder", abstract: "Manage stakeholders (persons and organisations).",
    subcommands: [Add.self, Edit.self, ListStakeholders.self, History.self, Groups.self, Forget.self])

  struct Add: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a stakeholder.",
      discussion:
        "Example: consult stakeholder add ict4peace --kind organisation --name \"ICT4Peace Foundation\" --group international-partners"
    )
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Short handle, e.g. ict4peace.") var handle: String
    @Option(help: "person or organisation.") var kind: Stakeholder.Kind = .person
    @Option(help: "Display name.") var name: String
    @Option(help: "Stakeholder group key (see `consult stakeholder groups`).") var group: String?
    @Option(help: "Handle of the organisation a person belongs to.") var organisation: String?
    @Option(help: "Role or position, e.g. President.") var role: String?
    @Option(help: "Contact e-mail address.") var email: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let s = try store.addStakeholder(
        handle: handle, kind: kind, name: name, group: group, organisation: organisation, role: role, email: email,
        actor: actor, at: try when.time())
      if output.json { return try printJSON(s) }
      say("Added \(s.kind.rawValue) \(s.handle ?? "") (\(s.group ?? "no group"))")
    }
  }

  struct Edit: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change a stakeholder's name, contact, role, group or organisation (an event of the register).",
      discussion: """
        Only the options given change; an empty value clears an optional field (--email ""). The event \
        logged names the stakeholder by id and lists the fields changed; it never holds a name, handle, \
        role or e-mail address, so that erasure can remove them. Example: \
        consult stakeholder edit researcher --role "Senior Fellow" --organisation ict4peace
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The stakeholder's handle.") var handle: String
    @Option(help: "New display name.") var name: String?
    @Option(help: "New stakeholder group key; \"\" clears it.") var group: String?
    @Option(help: "Handle of the organisation a person now belongs to; \"\" clears it.") var organisation: String?
    @Option(help: "New role or position; \"\" clears it.") var role: String?
    @Option(help: "New contact e-mail address; \"\" clears it.") var email: String?
    @Option(help: "A note recorded with the change.") var reason: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let s = try store.editStakeholder(
        handle,
        changes: StakeholderChanges(name: name, email: email, role: role, group: group, organisation: organisation),
        actor: actor, reason: reason, at: try when.time())
      if output.json { return try printJSON(s) }
      say("Changed \(s.kind.rawValue) \(s.reference) (\(s.group ?? "no group"))")
    }
  }

  struct History: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a stakeholder's events in the register (added, edited): when, by whom, which fields.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The stakeholder's handle.") var handle: String
    func execute(_ store: ConsultStore) throws {
      let events = try store.stakeholderHistory(handle)
      if output.json { return try printJSON(events) }
      let formatter = ISO8601DateFormatter()
      for e in events {
        say(
          "#\(e.id)\t\(formatter.string(from: e.occurredAt))\t\(e.event)\t\(terminalLine(e.actor ?? "(erased actor)"))\t"
            + e.changed.map { field in
              (e.values[field] ?? e.values["\(field)_id"].map { "#\($0)" }).map { "\(field) → \(terminalLine($0))" }
                ?? field
            }
            .joined(separator: ", ") + (e.reason.map { "\t" + terminalLine($0) } ?? ""))
      }
    }
  }

  struct ListStakeholders: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List stakeholders (those added by hand; --all adds imported ones as #id).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Include stakeholders created by imports.") var all = false
    @Option(help: "At most N.") var limit: Int?
    func execute(_ store: ConsultStore) throws {
      let all = try store.stakeholders(includeImported: self.all, limit: limit)
      if output.json { return try printJSON(all) }
      for s in all {
        say(
          "\(s.reference)\t\(s.kind.rawValue)\t\(s.group ?? "-")\t\(terminalLine(s.name))"
            + (s.organisation.map { " (\(terminalLine($0)))" } ?? "")
        )
      }
    }
  }

  struct Groups: StoreCommand {
    static let configuration = CommandConfiguration(abstract: "List the stakeholder groups.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    func execute(_ store: ConsultStore) throws {
      let groups = try store.stakeholderGroups()
      if output.json { return try printJSON(groups) }
      for g in groups { say("\(g.key)\t\(terminalLine(g.name))") }
    }
  }
}

struct WorkshopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workshop", abstract: "Manage workshops.",
    subcommands: [
      Add.self, ListWorkshops.self, AdvanceWorkshop.self, Reschedule.self, AttendanceList.self,
      DisclosureThreshold.self,
    ])

  struct Reschedule: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Move a workshop to other times (calendar exports bump its SEQUENCE).",
      discussion: """
        Times are local to --time-zone (default: the workshop's) unless they carry an offset; a local time \
        the clocks skip or show twice there is refused (give the offset).
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key.") var workshop: String
    @Option(help: "New start, YYYY-MM-DDTHH:MM in the time zone (or RFC 3339).") var starts: String
    @Option(help: "New end, same format.") var ends: String
    @Option(help: "New IANA time zone (default: keep the workshop's).") var timeZone: String?
    @Option(help: "A note recorded with the move.") var reason: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let zone = try timeZone ?? store.workshop(workshop, in: consultation).timeZone
      try knownTimeZone(zone, field: timeZone == nil ? "workshop \(workshop)'s stored time zone" : "--time-zone")
      let start = try parseTime(starts, zone: zone, field: "--starts")
      let end = try parseTime(ends, zone: zone, field: "--ends")
      if end < start { throw InputError(message: "--ends is before --starts") }
      let moved = try store.rescheduleWorkshop(
        workshop, in: consultation, startsAt: start, endsAt: end, timeZone: timeZone, actor: actor, reason: reason,
        at: try when.time())
      if output.json { return try printJSON(moved) }
      let formatter = ISO8601DateFormatter()
      formatter.timeZone = TimeZone(identifier: moved.timeZone)
      say(
        "Moved workshop \(moved.key) to \(formatter.string(from: moved.startsAt)) – \(formatter.string(from: moved.endsAt))"
      )
    }
  }

  struct AttendanceList: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "attendance-list",
      abstract: "Allow (or, with --withhold, stop) publishing the attendance list of a Chatham House workshop.",
      discussion: "Statements stay unattributed either way; only who attended may then appear in exports.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key.") var workshop: String
    @Flag(help: "Withhold the list again (the default for Chatham House workshops).") var withhold = false
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      try store.setAttendancePublication(
        !withhold, for: workshop, in: consultation, actor: actor, at: try when.time())
      say("The attendance list of \(workshop) \(withhold ? "is withheld" : "may be published")")
    }
  }

  struct Add: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add a workshop with its co-hosts.",
      discussion:
        """
        Times are local to --time-zone unless they carry an offset: --starts 2015-09-17T09:30 --time-zone \
        Europe/Berlin. A local time the clocks skip or show twice there is refused; give the offset \
        (--starts 2026-10-25T02:30+01:00).
        """
    )
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "Short key for the workshop, e.g. cyber-security.") var key: String
    @Option(help: "Title.") var title: String
    @Option(help: "Venue.") var venue: String?
    @Option(help: "Start, YYYY-MM-DDTHH:MM in --time-zone (or RFC 3339).") var starts: String
    @Option(help: "End, same format.") var ends: String
    @Option(help: "IANA time zone of the venue.") var timeZone = "UTC"
    @Option(help: "Handle of a co-hosting stakeholder; repeat in order.") var host: [String] = []
    @Flag(help: "Held under the Chatham House Rule (statements are never attributed).") var chathamHouse = false
    @Flag(help: "Under the Chatham House Rule, still allow publishing who attended (the attendance list).")
    var publishAttendance = false
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      try knownTimeZone(timeZone)
      let start = try parseTime(starts, zone: timeZone, field: "--starts")
      let end = try parseTime(ends, zone: timeZone, field: "--ends")
      if end < start { throw InputError(message: "--ends is before --starts") }
      let w = try store.addWorkshop(
        key: key, to: consultation, title: title, venue: venue, startsAt: start, endsAt: end, timeZone: timeZone,
        chathamHouse: chathamHouse, publishAttendance: publishAttendance, hosts: host, actor: actor,
        at: try when.time())
      if output.json { return try printJSON(w) }
      say("Added workshop \(w.key) (\(w.state))\(w.chathamHouse ? ", Chatham House Rule" : "")")
    }
  }

  struct ListWorkshops: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List a consultation's workshops.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    func execute(_ store: ConsultStore) throws {
      let all = try store.workshops(in: consultation)
      if output.json { return try printJSON(all) }
      let formatter = ISO8601DateFormatter()
      for w in all { say("\(w.key)\t\(w.state)\t\(formatter.string(from: w.startsAt))\t\(terminalLine(w.title))") }
    }
  }

  struct AdvanceWorkshop: WritingCommand {
    static let configuration = CommandConfiguration(
      commandName: "advance", abstract: "Fire a workshop event (schedule, hold, summarise, cancel…).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key.") var workshop: String
    @Argument(help: "The event.") var event: String
    @Option(help: "A note recorded in the event log.") var reason: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let time = try when.time()
      let record = try store.advanceWorkshop(
        workshop, in: consultation, event: event, actor: actor, reason: reason, at: time)
      try printTransition(record, label: "workshop \(workshop)", json: output.json)
    }
  }
}

struct Invite: WritingCommand {
  static let configuration = CommandConfiguration(abstract: "Invite stakeholders to a workshop.")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var acting: ActorOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  @Argument(help: "The workshop key.") var workshop: String
  @Argument(help: "Stakeholder handles.") var stakeholders: [String]
  @Flag(help: "Also fire `send` on each new invitation.") var send = false
  @OptionGroup var when: RecordedTime
  func validate() throws {
    if stakeholders.isEmpty { throw ValidationError("name at least one stakeholder handle to invite") }
  }
  func execute(_ store: ConsultStore, actor: String) throws {
    let invitations = try store.invite(
      stakeholders, to: workshop, in: consultation, events: send ? ["send"] : [], actor: actor, at: try when.time())
    if output.json { return try printJSON(invitations) }
    for i in invitations { say("Invited \(i.stakeholder) to \(i.workshop) (\(i.state))") }
  }
}

struct RSVP: WritingCommand {
  static let configuration = CommandConfiguration(
    commandName: "rsvp", abstract: "Record a stakeholder's RSVP to a workshop invitation.",
    discussion:
      "RESPONSE is an invitation event of the workflow: accept, decline or tentative in the shipped workflows.")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var acting: ActorOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  @Argument(help: "The workshop key.") var workshop: String
  @Argument(help: "The stakeholder handle.") var stakeholder: String
  @Argument(help: "accept, decline or tentative.") var response: String
  @OptionGroup var when: RecordedTime
  func execute(_ store: ConsultStore, actor: String) throws {
    let record = try store.advanceInvitation(
      response, for: stakeholder, to: workshop, in: consultation, actor: actor, at: try when.time())
    try printTransition(record, label: "invitation of \(stakeholder)", json: output.json)
  }
}

struct Attendance: WritingCommand {
  static let configuration = CommandConfiguration(
    abstract: "Record who attended a workshop and who did not (all in one transaction).")
  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var acting: ActorOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The consultation.") var consultation: String
  @Argument(help: "The workshop key.") var workshop: String
  @Option(parsing: .upToNextOption, help: "Handles of stakeholders who attended.") var attended: [String] = []
  @Option(
    name: .customLong("no-show"), parsing: .upToNextOption, help: "Handles of accepted invitees who did not come.")
  var noShow: [String] = []
  @OptionGroup var when: RecordedTime
  func validate() throws {
    if attended.isEmpty && noShow.isEmpty { throw ValidationError("give --attended and/or --no-show handles") }
  }
  func execute(_ store: ConsultStore, actor: String) throws {
    let records = try store.recordAttendance(
      attended: attended, noShow: noShow, at: workshop, in: consultation, actor: actor, time: try when.time())
    if output.json { return try printJSON(records) }
    say("Recorded attendance at \(workshop): \(grouped(attended.count)) attended, \(grouped(noShow.count)) no-show")
  }
}

struct InvitationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "invitation", abstract: "List invitations or fire other invitation events (withdraw, expire…).",
    subcommands: [ListInvitations.self, AdvanceInvitation.self])
  struct ListInvitations: StoreCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the invitations to a workshop.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key.") var workshop: String
    func execute(_ store: ConsultStore) throws {
      let all = try store.invitations(to: workshop, in: consultation)
      if output.json { return try printJSON(all) }
      for i in all { say("\(i.stakeholder)\t\(i.state)") }
    }
  }
  struct AdvanceInvitation: WritingCommand {
    static let configuration = CommandConfiguration(commandName: "advance", abstract: "Fire an invitation event.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "The workshop key.") var workshop: String
    @Argument(help: "The stakeholder handle.") var stakeholder: String
    @Argument(help: "The event, e.g. withdraw.") var event: String
    @Option(help: "A note recorded in the event log.") var reason: String?
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let record = try store.advanceInvitation(
        event, for: stakeholder, to: workshop, in: consultation, actor: actor, reason: reason, at: try when.time())
      try printTransition(record, label: "invitation of \(stakeholder)", json: output.json)
    }
  }
}
