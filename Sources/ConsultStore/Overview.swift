import ConsultCore
import Foundation
import Postgres

/// One event of a machine as `consult show` presents it: possible now, or what blocks it.
public struct EventAvailability: Sendable, Equatable, Encodable {
  /// The event name.
  public let event: String
  /// The state it leads to when possible (nil when it depends on the state).
  public let target: String?
  /// Whether it can fire now.
  public let possible: Bool
  /// States it is allowed from, when the current state is not one of them.
  public let needsState: [String]?
  /// Failing guard conditions with observed values, e.g. "needs invitations.accepted >= 1; has 0".
  public let blockedBy: [String]?

  init(_ option: EventOption) {
    event = option.event
    target = option.target
    switch option.status {
    case .possible:
      possible = true
      needsState = nil
      blockedBy = nil
    case .needsState(let states):
      possible = false
      needsState = states
      blockedBy = nil
    case .blocked(let failures):
      possible = false
      needsState = nil
      blockedBy = failures.map(\.description)
    }
  }
}

/// An entity with its state and the events possible now (for `consult show`).
public struct EntityOverview: Sendable, Equatable, Encodable {
  /// `consultation`, `workshop`, `proceedings-summary`.
  public let kind: String
  /// A label users recognise: the slug, workshop key, "summary of <key>",
  /// "of <handle> to <workshop>" (invitations), "12 written submissions", "1 statement at cyber".
  public let label: String
  /// Current state.
  public let state: String
  /// Whether the state is final (nothing more can happen).
  public let isFinal: Bool
  /// Every event of the machine with its availability.
  public let events: [EventAvailability]
}

/// Everything `consult show` prints about a consultation.
public struct ConsultationOverview: Sendable, Equatable, Encodable {
  /// The consultation.
  public let consultation: Consultation
  /// Counts by state: "workshops", "invitations", "contributions", "proceedings_summaries" → state → count
  /// (snake_case, as every JSON key consult writes).
  public let counts: [String: [String: Int]]
  /// The consultation itself first, then each workshop and proceedings
  /// summary, open invitations, and groups of open contributions.
  public let entities: [EntityOverview]
}

extension ConsultStore {
  /// Reads a consultation's state, counts and, for every open entity — the
  /// consultation, each workshop and proceedings summary, each invitation not
  /// in a final state, and contributions grouped by state and workshop (their
  /// guards read only the workshop and the consultation, so one member speaks
  /// for all) — every event with whether it is possible now and, if not, what
  /// blocks it. One read-only snapshot (REPEATABLE READ), so counts and
  /// guards agree.
  ///
  /// - Throws: ``StoreError`` (`.notFound`).
  public func overview(of slug: String) throws -> ConsultationOverview {
    try translatingErrors("consultation \(slug)") {
      try connection.withTransaction(isolation: .repeatableRead) {
        let consultation = try consultation(slug)
        let definition = try workflow(name: consultation.workflowName, version: consultation.workflowVersion)
        var counts: [String: [String: Int]] = [:]
        let countSQL: [(String, String)] = [
          ("workshops", "SELECT state, count(*) AS count FROM workshops WHERE consultation_id = $1 GROUP BY state"),
          ("invitations", "SELECT state, count(*) AS count FROM invitations WHERE consultation_id = $1 GROUP BY state"),
          (
            "contributions",
            "SELECT state, count(*) AS count FROM contributions WHERE consultation_id = $1 GROUP BY state"
          ),
          (
            "proceedings_summaries",
            "SELECT state, count(*) AS count FROM proceedings_summaries WHERE consultation_id = $1 GROUP BY state"
          ),
        ]
        for (name, sql) in countSQL {
          var byState: [String: Int] = [:]
          for row in try connection.query(sql, [consultation.id]) {
            byState[try row.decode("state")] = try row.decode("count")
          }
          counts[name] = byState
        }
        var entities: [EntityOverview] = []
        func describe(_ entity: EntityReference, label: String, state: String) throws {
          let machine = try definition.machine(for: entity.kind)
          let facts = try facts(machine.requiredFacts, for: entity, consultationID: consultation.id)
          entities.append(
            EntityOverview(
              kind: entity.kind.rawValue, label: label, state: state, isFinal: machine.isFinal(state),
              events: machine.options(state: state, facts: facts).map(EventAvailability.init)))
        }
        try describe(
          EntityReference(.consultation, consultation.id), label: consultation.slug, state: consultation.state)
        for workshop in try workshops(in: slug) {
          try describe(EntityReference(.workshop, workshop.id), label: workshop.key, state: workshop.state)
        }
        for row in try connection.query(
          """
          SELECT p.id, w.key, p.state FROM proceedings_summaries p LEFT JOIN workshops w ON w.id = p.workshop_id
          WHERE p.consultation_id = $1 ORDER BY w.starts_at NULLS FIRST, w.key
          """, [consultation.id])
        {
          let key = try row.decode("key", as: String?.self)
          try describe(
            EntityReference(.proceedingsSummary, try row.decode("id")),
            label: key.map { "summary of \($0)" } ?? "summary of the consultation", state: try row.decode("state"))
        }
        // Invitations still open (not in a final state), one entry each.
        if let invitationMachine = definition.machines[.invitation] {
          for row in try connection.query(
            """
            SELECT i.id, i.state, coalesce(s.handle, '#' || s.id) AS who, w.key AS workshop
            FROM invitations i JOIN stakeholders s ON s.id = i.stakeholder_id
            LEFT JOIN workshops w ON w.id = i.workshop_id
            WHERE i.consultation_id = $1 ORDER BY w.starts_at NULLS FIRST, w.key, who, i.id
            """, [consultation.id])
          {
            let state: String = try row.decode("state")
            if invitationMachine.isFinal(state) { continue }
            let who: String = try row.decode("who")
            let workshop = try row.decode("workshop", as: String?.self).map { " to \($0)" } ?? ""
            try describe(
              EntityReference(.invitation, try row.decode("id")), label: "of \(who)\(workshop)", state: state)
          }
        }
        // Contributions can number millions: one entry per (state, workshop),
        // whose events are the same for every member (their guards read only
        // the workshop and the consultation).
        if let contributionMachine = definition.machines[.contribution] {
          for row in try connection.query(
            """
            SELECT k.state, w.key AS workshop, min(k.id) AS sample, count(*) AS n
            FROM contributions k LEFT JOIN workshops w ON w.id = k.workshop_id
            WHERE k.consultation_id = $1 GROUP BY k.state, w.key ORDER BY w.key NULLS FIRST, k.state
            """, [consultation.id])
          {
            let state: String = try row.decode("state")
            if contributionMachine.isFinal(state) { continue }
            let count: Int = try row.decode("n")
            let label =
              try row.decode("workshop", as: String?.self).map { "\(Phrasing.counted(count, "statement")) at \($0)" }
              ?? Phrasing.counted(count, "written submission")
            try describe(EntityReference(.contribution, try row.decode("sample")), label: label, state: state)
          }
        }
        return ConsultationOverview(consultation: consultation, counts: counts, entities: entities)
      }
    }
  }
}

/// One row of the event log.
public struct LogEntry: Sendable, Equatable, Encodable {
  /// Event-log id (increasing in commit order of appends).
  public let id: Int64
  /// When it happened (UTC, microseconds).
  public let occurredAt: Date
  /// Entity kind.
  public let entityKind: String
  /// Entity id.
  public let entityID: Int64
  /// A label: consultation slug, workshop key, "summary of <key>", "invitation #id", "contribution #id".
  public let entity: String
  /// The event.
  public let event: String
  /// State before (nil at creation).
  public let fromState: String?
  /// State after.
  public let toState: String
  /// Who did it.
  public let actor: String
  /// Optional note.
  public let reason: String?
  /// Workflow name and version the transition ran under, "white-paper@1".
  public let workflow: String
}

extension ConsultStore {
  /// The event log of a consultation, oldest first by the time each event
  /// happened (events recorded with a past time sort by that time), then by id.
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - kinds: Only these entity kinds, when not empty; `contribution` includes the events of
  ///     import batches (migration 0040), each the creation of its batch's contributions.
  ///   - limit: At most this many of the newest entries; nil for all.
  /// - Throws: ``StoreError`` (`.notFound`).
  public func eventLog(of slug: String, kinds: [EntityKind] = [], limit: Int? = nil) throws -> [LogEntry] {
    try translatingErrors("event log of \(slug)") {
      let consultation = try consultation(slug)
      // An import batch's event (migration 0040) is the creation of its contributions.
      let kindNames = kinds.map(\.rawValue) + (kinds.contains(.contribution) ? [Self.batchKind] : [])
      let rows = try connection.query(
        """
        SELECT * FROM (
          SELECT e.id, e.occurred_at, e.entity_kind, e.entity_id, e.event, e.from_state, e.to_state,
                 (SELECT handle FROM actors WHERE id = e.actor_id) AS actor,
                 e.reason, e.workflow_name || '@' || e.workflow_version AS workflow,
                 CASE e.entity_kind
                   WHEN 'consultation' THEN c.slug
                   WHEN 'workshop' THEN (SELECT key FROM workshops WHERE id = e.entity_id)
                   WHEN 'proceedings-summary' THEN 'summary of ' ||
                     coalesce((SELECT w.key FROM proceedings_summaries p JOIN workshops w ON w.id = p.workshop_id
                               WHERE p.id = e.entity_id), 'the consultation')
                   WHEN 'contribution-batch' THEN 'import batch #' || e.entity_id || ' ('
                   || coalesce(e.data ->> 'rows', '?') || ' contributions: #'
                   || coalesce((SELECT string_agg(r.lo || '-' || r.hi, ', #' ORDER BY r.lo)
                                FROM consult_id_runs_read(e.data -> 'contributions') r), '')
                   || ')'
                 ELSE e.entity_kind || ' #' || e.entity_id
                 END AS entity
          FROM events e JOIN consultations c ON c.id = e.consultation_id
          WHERE e.consultation_id = $1 AND (cardinality($2::text[]) = 0 OR e.entity_kind = ANY($2::text[]))
          ORDER BY e.occurred_at DESC, e.id DESC LIMIT $3
        ) newest ORDER BY occurred_at, id
        """, [consultation.id, PostgresTextArray(kindNames), limit])
      return try rows.map { row in
        LogEntry(
          id: try row.decode("id"), occurredAt: try row.decode("occurred_at", as: PostgresTimestamp.self).date,
          entityKind: try row.decode("entity_kind"), entityID: try row.decode("entity_id"),
          entity: try row.decode("entity"), event: try row.decode("event"),
          fromState: try row.decode("from_state", as: String?.self), toState: try row.decode("to_state"),
          actor: try row.decode("actor"), reason: try row.decode("reason", as: String?.self),
          workflow: try row.decode("workflow"))
      }
    }
  }
}

/// A `text[]` parameter in PostgreSQL's array literal syntax (PostgreSQL docs
/// §8.15.2 "Array Value Input"): every element double-quoted, with `"` and
/// `\` escaped by a backslash.
struct PostgresTextArray: PostgresEncodable {
  let elements: [String]
  init(_ elements: [String]) { self.elements = elements }
  var postgresText: String {
    "{"
      + elements.map { element in
        "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
      }.joined(separator: ",") + "}"
  }
}
