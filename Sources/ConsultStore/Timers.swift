import ConsultCore
import Foundation
import Postgres

/// One timed transition that is due for one entity: found by ``ConsultStore/dueTimers(now:)``,
/// fired by ``ConsultStore/fireTimer(_:now:)``.
public struct DueTimer: Sendable, Equatable, Encodable {
  /// The consultation's slug.
  public let consultation: String
  /// The entity's kind (`invitation`, `consultation`, …).
  public let entityKind: String
  /// The entity's id.
  public let entityID: Int64
  /// A short label: the consultation's slug, a workshop's key, `handle to workshop` for an invitation.
  public let label: String
  /// The entity's state when it was found due (one of the transition's `from` states).
  public let state: String
  /// The event the timer fires.
  public let event: String
  /// The timer as written, e.g. `after P21D` or `at consultation.deadline`.
  public let timer: String
  /// When the timer became due (UTC, microseconds).
  public let dueAt: Date

  /// The entity's version when found; firing requires it unchanged.
  let version: Int
  /// The workflow the consultation was pinned to when found.
  let workflowName: String
  let workflowVersion: String
  /// The index of the timed transition in its machine's transitions.
  let transitionIndex: Int

  enum CodingKeys: String, CodingKey {
    case consultation, entityKind, entityID, label, state, event, timer, dueAt
  }
}

/// What happened to one due timer in a tick.
public struct TimerFiring: Sendable, Equatable, Encodable {
  /// What happened.
  public enum Outcome: String, Sendable, Equatable, Encodable {
    /// The event fired; ``TimerFiring/record`` is the transition.
    case fired
    /// The event's guard does not hold (``TimerFiring/reason`` says why); the timer stays due and
    /// the next tick tries again.
    case blocked
    /// Another tick (or writer) holds the entity or changed it since it was found due, or it is no
    /// longer due; nothing was written by this tick.
    case skipped
  }

  /// The timer.
  public let due: DueTimer
  /// What happened.
  public let outcome: Outcome
  /// The recorded transition, when fired.
  public let record: TransitionRecord?
  /// Why it was blocked (the workflow's refusal), when blocked.
  public let reason: String?
}

/// The result of one ``ConsultStore/tick(now:)``.
public struct TickReport: Sendable, Equatable, Encodable {
  /// The time the tick ran at (the injected clock), UTC.
  public let now: Date
  /// Every timer found due, in due order, with what happened to it.
  public let timers: [TimerFiring]

  /// The timers that fired.
  public var fired: [TimerFiring] { timers.filter { $0.outcome == .fired } }
}

extension ConsultStore {
  /// The actor recorded in the event log for transitions fired by timers.
  public static let timerActor = "timer"

  /// Fires every due timer once: finds them (``dueTimers(now:)``), then fires each in its own
  /// transaction (``fireTimer(_:now:)``).
  ///
  /// Safe to run concurrently and from cron: a timer being fired by another tick is skipped (its
  /// row is locked: `FOR UPDATE SKIP LOCKED`), one already fired no longer matches its version,
  /// and a tick killed midway rolls back the one transition it was writing (the rest were each
  /// committed or not started), so the next tick completes the work. A transition fired by a
  /// timer may make another timer due; the next tick fires that one.
  ///
  /// - Parameter now: The current time — the only clock the store reads; the CLI passes the
  ///   system time unless `--now` is given. Events fired are recorded as occurring at `now`.
  /// - Returns: Every timer found due and what happened to it.
  /// - Throws: ``StoreError`` for database failures (timers fired before the failure stay fired).
  public func tick(now: Date) throws -> TickReport {
    let due = try dueTimers(now: now)
    var firings: [TimerFiring] = []
    for timer in due {
      firings.append(try fireTimer(timer, now: now))
    }
    return TickReport(now: now, timers: firings)
  }

  /// The timers due at `now`: for every workflow version in use and every timed transition of
  /// it, the entities in one of the transition's `from` states whose due time is at or before
  /// `now`, found in SQL.
  ///
  /// The due time of `after: DURATION` is the entity's last event's `occurred_at` (the event
  /// that put it in its current state) plus the duration, calendar units added in UTC (a day is
  /// 24 hours; P1M from 31 January is 28 or 29 February); of `at: FIELD`, the field's time. A
  /// timer whose field is unset (no deadline; no workshop) is never due. Guards are not
  /// evaluated here: a due timer whose guard fails is reported by ``fireTimer(_:now:)`` as
  /// blocked.
  ///
  /// - Parameter now: The current time.
  /// - Returns: The due timers, earliest first (then by kind and id).
  /// - Throws: ``StoreError`` (`.database`; ``WorkflowError`` if a registered workflow no longer
  ///   validates).
  public func dueTimers(now: Date) throws -> [DueTimer] {
    try translatingErrors("timers") {
      var result: [DueTimer] = []
      let pinned = try connection.query(
        "SELECT DISTINCT workflow_name, workflow_version FROM consultations ORDER BY 1, 2")
      for row in pinned {
        let name: String = try row.decode("workflow_name")
        let version: String = try row.decode("workflow_version")
        let definition = try workflow(name: name, version: version)
        for kind in EntityKind.allCases {
          guard let machine = definition.machines[kind] else { continue }
          for (index, transition) in machine.transitions.enumerated() where transition.timer != nil {
            result += try dueEntities(
              kind: kind, transition: transition, index: index, workflow: (name, version), now: now,
              entityID: nil)
          }
        }
      }
      return result.sorted {
        ($0.dueAt, $0.entityKind, $0.entityID, $0.transitionIndex) < (
          $1.dueAt, $1.entityKind, $1.entityID, $1.transitionIndex
        )
      }
    }
  }

  /// Fires one due timer in its own transaction: ``applyTimer(_:now:)``, committed.
  ///
  /// - Parameters:
  ///   - timer: A timer from ``dueTimers(now:)``.
  ///   - now: The current time; the event is recorded as occurring then.
  /// - Returns: `fired` with the transition; `blocked` with the workflow's refusal when the
  ///   guard fails (nothing written); `skipped` when another tick or writer holds or changed the
  ///   entity, or the timer is no longer due (nothing written).
  /// - Throws: ``StoreError`` for database failures.
  public func fireTimer(_ timer: DueTimer, now: Date) throws -> TimerFiring {
    do {
      let record = try transaction("timer \(timer.event) of \(timer.entityKind) #\(timer.entityID)") {
        try applyTimer(timer, now: now)
      }
      return TimerFiring(due: timer, outcome: record == nil ? .skipped : .fired, record: record, reason: nil)
    } catch let error as StoreError where error.kind == .refused {
      return TimerFiring(due: timer, outcome: .blocked, record: nil, reason: error.description)
    } catch let error as StoreError where error.kind == .conflict {
      return TimerFiring(due: timer, outcome: .skipped, record: nil, reason: nil)
    }
  }

  /// The body of ``fireTimer(_:now:)`` for a caller holding an open transaction.
  ///
  /// Locks the entity's row if it is free and still at the version it was found at
  /// (`SELECT … FOR UPDATE SKIP LOCKED`), checks in the same transaction that the timer is still
  /// due (the deadline may have moved), and fires the event through
  /// ``applyTransition(_:on:actor:reason:at:)`` with actor ``timerActor``, a reason naming the
  /// timer and its due time, and `now` as the event's time. A `now` before the entity's last
  /// event is refused (reported as blocked), so the event log stays in time order.
  ///
  /// - Returns: The transition, or `nil` when the row is locked by someone else, has changed,
  ///   or the timer is no longer due (nothing written).
  /// - Throws: ``StoreError`` `.refused` when the guard fails; as
  ///   ``applyTransition(_:on:actor:reason:at:)``.
  public func applyTimer(_ timer: DueTimer, now: Date) throws -> TransitionRecord? {
    guard let kind = EntityKind(rawValue: timer.entityKind) else { return nil }
    let locked = try connection.query(Self.lockSQL(kind), [timer.entityID, timer.version])
    guard !locked.isEmpty else { return nil }
    let definition = try workflow(name: timer.workflowName, version: timer.workflowVersion)
    let machine = try definition.machine(for: kind)
    guard timer.transitionIndex < machine.transitions.count else { return nil }
    let transition = machine.transitions[timer.transitionIndex]
    let still = try dueEntities(
      kind: kind, transition: transition, index: timer.transitionIndex,
      workflow: (timer.workflowName, timer.workflowVersion), now: now, entityID: timer.entityID)
    guard let current = still.first else { return nil }
    let formatter = ISO8601DateFormatter()
    // The log must stay in time order: never record a timer before the entity's last event
    // (a rehearsal with --now in the past on a live consultation would otherwise rewrite history).
    let last = try connection.query(
      "SELECT max(occurred_at) AS last FROM events WHERE entity_kind = $1 AND entity_id = $2",
      [kind.rawValue, timer.entityID])
    if let lastAt = try last.rows.first?.decode("last", as: PostgresTimestamp?.self)?.date, now < lastAt {
      throw StoreError(
        .refused,
        "\(kind.rawValue) #\(timer.entityID): the tick's time \(formatter.string(from: now)) is before its last event (\(formatter.string(from: lastAt))); not fired"
      )
    }
    return try applyTransition(
      timer.event, on: EntityReference(kind, timer.entityID), actor: Self.timerActor,
      reason: "timer: \(timer.event) \(timer.timer), due \(formatter.string(from: current.dueAt))", at: now)
  }

  /// Sets or clears a consultation's deadline (read by timers `at: consultation.deadline`), in
  /// one transaction with its `set-deadline` or `clear-deadline` record event (the old and new
  /// deadline in its data).
  ///
  /// - Parameters:
  ///   - slug: The consultation.
  ///   - deadline: The new deadline (an instant, stored in UTC), or `nil` to clear it.
  ///   - actor: Who set it.
  ///   - time: When it was set, to record the past; nil: now.
  /// - Returns: The consultation as updated.
  /// - Throws: ``StoreError`` (`.notFound`, `.conflict`).
  @discardableResult
  public func setDeadline(of slug: String, to deadline: Date?, actor: String, at time: Date? = nil) throws
    -> Consultation
  {
    try transaction("deadline of \(slug)") {
      try lockForChange(EntityReference(.consultation, try consultation(slug).id))
      let current = try consultation(slug)
      try recordChange(
        deadline == nil ? RecordEvent.deadlineCleared : RecordEvent.deadlineSet,
        on: EntityReference(.consultation, current.id), actor: actor,
        data: ["from": Self.isoText(current.deadline), "to": Self.isoText(deadline)], at: time)
      try connection.execute(
        "UPDATE consultations SET deadline = $2 WHERE id = $1", [current.id, deadline.map(PostgresTimestamp.init)])
      return try consultation(slug)
    }
  }

  // MARK: - SQL

  /// The entities of `kind` for which `transition`'s timer is due at `now` (optionally only
  /// entity `entityID`).
  private func dueEntities(
    kind: EntityKind, transition: Transition, index: Int, workflow: (name: String, version: String), now: Date,
    entityID: Int64?
  ) throws -> [DueTimer] {
    guard let rule = transition.timer else { return [] }
    var ruleName = "after"
    var duration = [0, 0, 0, 0, 0, 0, 0]
    switch rule {
    case .after(let d): duration = [d.years, d.months, d.weeks, d.days, d.hours, d.minutes, d.seconds]
    case .at(let field): ruleName = field.rawValue
    }
    var parameters: [(any PostgresEncodable)?] = [
      workflow.name, workflow.version, transition.from.joined(separator: ","), PostgresTimestamp(now), entityID,
      kind.rawValue, ruleName,
    ]
    for component in duration { parameters.append(component) }
    return try connection.query(Self.dueSQL(kind), parameters).map { row in
      DueTimer(
        consultation: try row.decode("slug"), entityKind: kind.rawValue, entityID: try row.decode("id"),
        label: try row.decode("label"), state: try row.decode("state"), event: transition.event,
        timer: rule.description, dueAt: try row.decode("due_at", as: PostgresTimestamp.self).date,
        version: try row.decode("version"), workflowName: workflow.name, workflowVersion: workflow.version,
        transitionIndex: index)
    }
  }

  /// Locks an entity row at a version if no one else holds it.
  static func lockSQL(_ kind: EntityKind) -> String {
    switch kind {
    case .consultation:
      "SELECT id FROM consultations WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    case .workshop:
      "SELECT id FROM workshops WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    case .invitation:
      "SELECT id FROM invitations WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    case .contribution:
      "SELECT id FROM contributions WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    case .proceedingsSummary:
      "SELECT id FROM proceedings_summaries WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    case .draft:
      "SELECT id FROM drafts WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    case .comment:
      "SELECT id FROM draft_comments WHERE id = $1 AND version = $2 FOR UPDATE SKIP LOCKED"
    }
  }

  /// The due-timer query for one kind: fixed fragments chosen by kind; every value is a parameter.
  ///
  /// `$1`, `$2` workflow name and version; `$3` the `from` states, comma-separated (state names
  /// are `[a-z0-9-]+`); `$4` now; `$5` one entity id or NULL; `$6` the entity kind as logged;
  /// `$7` `after` or a ``DateField`` name; `$8`–`$14` the duration's years, months, weeks, days,
  /// hours, minutes, seconds.
  static func dueSQL(_ kind: EntityKind) -> String {
    let source: String
    switch kind {
    case .consultation:
      source = """
        FROM consultations e JOIN consultations c ON c.id = e.id
        LEFT JOIN workshops w ON false
        """
    case .workshop:
      source = """
        FROM workshops e JOIN consultations c ON c.id = e.consultation_id
        LEFT JOIN workshops w ON w.id = e.id
        """
    case .invitation:
      source = """
        FROM invitations e JOIN consultations c ON c.id = e.consultation_id
        LEFT JOIN workshops w ON w.id = e.workshop_id
        LEFT JOIN stakeholders s ON s.id = e.stakeholder_id
        """
    case .draft, .comment:
      source = """
        FROM \(tableName(of: kind)) e JOIN consultations c ON c.id = e.consultation_id
        LEFT JOIN workshops w ON false
        """
    case .contribution, .proceedingsSummary:
      source = """
        FROM \(tableName(of: kind)) e JOIN consultations c ON c.id = e.consultation_id
        LEFT JOIN workshops w ON w.id = e.workshop_id
        """
    }
    let label: String
    switch kind {
    case .consultation: label = "c.slug"
    case .workshop: label = "w.key"
    case .invitation: label = "coalesce(s.handle, '#' || e.id) || coalesce(' to ' || w.key, '')"
    case .contribution: label = "'#' || e.id"
    case .proceedingsSummary: label = "'summary of ' || w.key"
    case .draft: label = "'draft of ' || c.slug"
    case .comment: label = "'comment c' || e.id"
    }
    return """
      SELECT e.id, e.version, e.state, c.slug, \(label) AS label, due.at AS due_at
      \(source)
      CROSS JOIN LATERAL (
        SELECT CASE $7::text
          WHEN 'after' THEN (
            (SELECT ev.occurred_at FROM events ev
             WHERE ev.entity_kind = $6::text AND ev.entity_id = e.id ORDER BY ev.id DESC LIMIT 1)
            AT TIME ZONE 'UTC'
            + make_interval(years => $8::int, months => $9::int, weeks => $10::int, days => $11::int,
                            hours => $12::int, mins => $13::int, secs => $14::int)
          ) AT TIME ZONE 'UTC'
          WHEN 'consultation.deadline' THEN c.deadline
          WHEN 'consultation.opened' THEN c.opened_at
          WHEN 'workshop.starts' THEN w.starts_at
          WHEN 'workshop.ends' THEN w.ends_at
        END AS at
      ) due
      WHERE c.workflow_name = $1::text AND c.workflow_version = $2::text
        AND e.state = ANY (string_to_array($3::text, ','))
        AND due.at <= $4::timestamptz
        AND ($5::bigint IS NULL OR e.id = $5::bigint)
      ORDER BY due.at, e.id
      """
  }
}
