import ConsultCore
import ConsultDrafting
import ConsultExport
import ConsultStore
import Foundation
import Postgres
import Testing

/// The draft text of the tests, in our own words: three sections, two with explicit anchors.
enum DraftText {
  static let passage = "a global, inclusive dialogue on norms of responsible state behaviour"

  static let revision1 = """
    # Introduction {#intro}

    Security policy must meet threats in cyberspace as it meets those on land, at sea and in the air.

    ## Norms in cyberspace {#norms}

    The federal government will press for \(passage) and for confidence-building measures [#1].

    ## Capacity building

    Capacity building for developing and emerging economies should be coordinated internationally [#3].
    """
}

/// Drafts, revisions, comments, sign-off and the resolution matrix through the store, on the
/// White Paper 2016 scenario (workshop co-hosted by bmvg, unibw and bitkom: the approvers with bmvg).
@Suite("Drafting the paper")
struct DraftTests {
  static func drafted() throws -> TestDatabase {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    try db.store.createDraft(
      in: Scenario.slug, title: "White Paper 2016", body: DraftText.revision1, actor: "editor")
    return db
  }

  @Test func revisionsAreNumberedHashedAndLogged() throws {
    let db = try Self.drafted()
    let store = db.store
    let revised = DraftText.revision1.replacingOccurrences(of: "in the air", with: "in the air and in space")
    let draft = try store.reviseDraft(in: Scenario.slug, title: nil, body: revised, actor: "editor")
    #expect(draft.revision == 2)
    #expect(draft.state == "drafting")
    let revisions = try store.draftRevisions(of: Scenario.slug)
    #expect(revisions.map(\.revision) == [1, 2])
    #expect(revisions.map(\.body) == [DraftText.revision1, revised])
    #expect(revisions[0].contentHash != revisions[1].contentHash)
    #expect(revisions.allSatisfy { $0.contentHash.count == 64 })
    // Each revision is an event pinning its content hash.
    let pinned = try store.connection.query(
      """
      SELECT event, encode(content_hash, 'hex') AS h FROM events WHERE entity_kind = 'draft' ORDER BY id
      """
    ).map { "\(try $0.decode("event", as: String.self)) \(try $0.decode("h", as: String.self))" }
    #expect(pinned == ["create \(revisions[0].contentHash)", "revise-draft \(revisions[1].contentHash)"])
    #expect(try store.verifyLog(of: Scenario.slug).isIntact)
    #expect(try store.checkLog(of: Scenario.slug).isConsistent)
    // A second draft, a bad anchor and a citation of nothing are refused.
    #expect(throws: StoreError.self) {
      try store.createDraft(in: Scenario.slug, title: "Again", body: "# A", actor: "editor")
    }
    let badAnchor = #expect(throws: StoreError.self) {
      try store.reviseDraft(in: Scenario.slug, title: nil, body: "# A {#x}\n\n# B {#x}", actor: "editor")
    }
    #expect(badAnchor?.message == "line 3: anchor '{#x}' is already used on line 1")
    let badCitation = #expect(throws: StoreError.self) {
      try store.reviseDraft(in: Scenario.slug, title: nil, body: "# A\n\nAs said [#999] and [c42].", actor: "editor")
    }
    #expect(badCitation?.message.contains("#999") == true)
    // An empty text, the latest revision's text again, and the sources an export appends are refused.
    for body in ["", "  \n\n \n", revised, revised + "\n\n## Sources {#sources}\n\n### Norms\n\n- [#1]\n"] {
      #expect(throws: StoreError.self, "\(body.prefix(20))") {
        try store.reviseDraft(in: Scenario.slug, title: nil, body: body, actor: "editor")
      }
    }
    #expect(try store.draft(of: Scenario.slug).revision == 2)
  }

  @Test func revisionsAreImmutableAndEditsAreCaughtByLogVerify() throws {
    let db = try Self.drafted()
    let store = db.store
    try store.addComment(
      in: Scenario.slug, revision: 1, section: "norms", quote: DraftText.passage, stakeholder: "aa", consent: .named,
      type: .technical, text: "Name the United Nations.", proposedChange: nil, actor: "editor")
    try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "editor")
    // The editor role cannot change a revision or an approval (append-only by privilege and trigger).
    for sql in [
      "UPDATE draft_revisions SET body = 'x'", "DELETE FROM draft_revisions", "DELETE FROM draft_approvals",
    ] {
      let refused = #expect(throws: PostgresError.self) { try store.connection.execute(sql) }
      #expect(refused?.sqlState == SQLState.insufficientPrivilege)
    }
    for (what, sql, kind) in [
      ("a revision's text", "UPDATE draft_revisions SET body = body || ' Forged.'", "draft"),
      ("a comment's text", "UPDATE draft_comments SET body = 'Forged comment.'", "comment"),
      ("a comment's response", "UPDATE draft_comments SET response = 'Forged response.'", "comment"),
      (
        "an approval's approver",
        "UPDATE draft_approvals SET stakeholder_id = (SELECT id FROM stakeholders WHERE handle = 'bitkom')",
        "draft"
      ),
    ] {
      let copy = try TestDatabase()
      try Scenario.build(copy.store)
      try copy.store.createDraft(in: Scenario.slug, title: "WP", body: DraftText.revision1, actor: "editor")
      try copy.store.addComment(
        in: Scenario.slug, revision: 1, section: "norms", quote: DraftText.passage, stakeholder: "aa",
        consent: .named, type: .technical, text: "Name the United Nations.", proposedChange: nil, actor: "editor")
      try copy.store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "editor")
      #expect(try copy.store.verifyLog(of: Scenario.slug).isIntact, "before editing \(what)")
      try LogVerificationTests.tamper(copy, sql)
      let verification = try copy.store.verifyLog(of: Scenario.slug)
      #expect(!verification.isIntact, "editing \(what) was not caught")
      #expect(verification.brokenLinks.map(\.entityKind).contains(kind), "\(what): \(verification.brokenLinks)")
    }
  }

  @Test func oversizedRevisionsAndStakeholderNamesAreRefusedWhateverTheCaller() throws {
    let db = try Self.drafted()
    let big = "# Big\n\n" + String(repeating: "x", count: DraftDocument.maxBytes)
    let refused = #expect(throws: StoreError.self) {
      try db.store.reviseDraft(in: Scenario.slug, title: nil, body: big, actor: "editor")
    }
    #expect(refused?.kind == .invalidInput)
    #expect(refused?.message == "the draft is 1,000,007 bytes long; a draft may be at most 1,000,000 bytes")
    #expect(try db.store.draft(of: Scenario.slug).revision == 1)
    let longName = String(repeating: "N", count: NameRule.maxNameLength + 1)
    let added = #expect(throws: StoreError.self) {
      try db.store.addStakeholder(handle: "long", kind: .person, name: longName, group: nil, actor: "clerk")
    }
    #expect(added?.message == "the stakeholder's name is 301 characters long; a name may be at most 300 characters")
    try db.store.addStakeholder(
      handle: "long", kind: .person, name: String(longName.dropLast()), group: nil, actor: "clerk")
    let edited = #expect(throws: StoreError.self) {
      try db.store.editStakeholder("long", changes: StakeholderChanges(name: longName), actor: "clerk")
    }
    #expect(edited?.kind == .invalidInput)
  }

  @Test func aWorkflowWithoutDraftingMachinesRefusesDraftCommands() throws {
    let db = try TestDatabase()
    let workflow = try db.store.resolveWorkflow(
      Scenario.workflowFile.deletingLastPathComponent().appendingPathComponent("notice-and-comment.yaml").path)
    _ = try db.store.openConsultation(slug: "docket", title: "Docket", owner: nil, workflow: workflow, actor: "clerk")
    let refused = #expect(throws: StoreError.self) {
      try db.store.createDraft(in: "docket", title: "Paper", body: "# A", actor: "clerk")
    }
    #expect(refused?.kind == .refused)
    #expect(refused?.message.contains("which has no draft machine") == true)
    #expect(try db.count("drafts") == 0)
  }

  @Test func commentLifecycle() throws {
    let db = try Self.drafted()
    let store = db.store
    let comment = try store.addComment(
      in: Scenario.slug, revision: 1, section: "norms", quote: DraftText.passage, stakeholder: "aa", consent: .named,
      type: .technical, text: "Name the United Nations as the forum.", proposedChange: "Add: in the United Nations",
      actor: "editor")
    #expect(comment.state == "open")
    #expect(comment.quote?.exact == DraftText.passage)
    #expect(comment.quote?.prefix == "The federal government will press for ".suffix(32).description)
    #expect(comment.line == 7)
    // A comment needs an existing section and a passage that is in it.
    #expect(throws: StoreError.self) {
      try store.addComment(
        in: Scenario.slug, revision: 1, section: "nroms", quote: nil, stakeholder: "aa", consent: .named,
        type: .general, text: "x", proposedChange: nil, actor: "editor")
    }
    #expect(throws: StoreError.self) {
      try store.addComment(
        in: Scenario.slug, revision: 1, section: "intro", quote: DraftText.passage, stakeholder: "aa",
        consent: .named, type: .general, text: "x", proposedChange: nil, actor: "editor")
    }
    // Each decision carries the drafting team's response and the revision that carries the change.
    let noResponse = #expect(throws: StoreError.self) {
      try store.decideComment(
        comment.id, in: Scenario.slug, event: "accept", response: nil, resolvedIn: nil, actor: "editor")
    }
    #expect(noResponse?.kind == .invalidInput)
    let revised = DraftText.revision1.replacingOccurrences(
      of: "confidence-building measures", with: "confidence-building measures in the United Nations")
    try store.reviseDraft(in: Scenario.slug, title: nil, body: revised, actor: "editor")
    let accepted = try store.decideComment(
      comment.id, in: Scenario.slug, event: "accept", response: "Added, in section norms.", resolvedIn: 2,
      actor: "editor")
    #expect(accepted.state == "accepted")
    #expect(accepted.response == "Added, in section norms.")
    #expect(accepted.resolvedIn == 2)
    let data: String = try store.connection.query(
      "SELECT data::text AS d FROM events WHERE entity_kind = 'comment' AND event = 'accept'"
    ).rows[0].decode("d")
    #expect(data == #"{"response": "Added, in section norms.", "resolved_in": "2"}"#)
    // The workflow refuses what its comment machine does not allow.
    let twice = #expect(throws: StoreError.self) {
      try store.decideComment(
        comment.id, in: Scenario.slug, event: "reject", response: "No.", resolvedIn: nil, actor: "editor")
    }
    #expect(twice?.kind == .refused)
    #expect(throws: StoreError.self) {
      try store.decideComment(
        comment.id, in: Scenario.slug, event: "accept", response: "x", resolvedIn: 9, actor: "editor")
    }
    let closed = try store.decideComment(
      comment.id, in: Scenario.slug, event: "close", response: nil, resolvedIn: nil, actor: "editor")
    #expect(closed.state == "closed")
    #expect(closed.decision == "accepted")
    #expect(closed.response == "Added, in section norms.")
    #expect(try store.verifyLog(of: Scenario.slug).isIntact)
    #expect(try store.checkLog(of: Scenario.slug).isConsistent)
  }

  @Test func nothingRefersToARevisionBeforeItWasRecorded() throws {
    let db = try Self.drafted()
    let store = db.store
    let early = Scenario.time("2015-09-20T09:00:00Z")
    let comment = #expect(throws: StoreError.self) {
      try store.addComment(
        in: Scenario.slug, revision: 1, section: "intro", quote: nil, stakeholder: "aa", consent: .named,
        type: .general, text: "Too early.", proposedChange: nil, actor: "editor", at: early)
    }
    #expect(comment?.message.contains("would come before it") == true)
    let id = try store.addComment(
      in: Scenario.slug, revision: 1, section: "intro", quote: nil, stakeholder: "aa", consent: .named,
      type: .general, text: "In time.", proposedChange: nil, actor: "editor"
    ).id
    try store.reviseDraft(in: Scenario.slug, title: nil, body: DraftText.revision1 + "\n\nMore.", actor: "editor")
    let revision2 = try store.draftRevision(of: Scenario.slug, number: 2).recordedAt
    let decision = #expect(throws: StoreError.self) {
      try store.decideComment(
        id, in: Scenario.slug, event: "accept", response: "Done.", resolvedIn: 2, actor: "editor",
        at: revision2.addingTimeInterval(-1))
    }
    #expect(decision?.message.hasPrefix("revision 2 was recorded at") == true)
  }

  @Test func commentsAreReanchoredInTheLatestRevision() throws {
    let db = try Self.drafted()
    let store = db.store
    func comment(_ section: String, _ quote: String?) throws -> Int64 {
      try store.addComment(
        in: Scenario.slug, revision: 1, section: section, quote: quote, stakeholder: "aa", consent: .named,
        type: .editorial, text: "On \(quote ?? section).", proposedChange: nil, actor: "editor"
      ).id
    }
    let elsewhere = try comment("intro", "threats in cyberspace")
    let nearby = try comment("norms", "confidence-building measures")
    let edited = try comment("norms", DraftText.passage)
    let moved = try comment("capacity-building", "developing and emerging economies")
    let deleted = try comment("intro", "on land, at sea and in the air")
    let revision2 = """
      # Introduction {#intro}

      Security policy must meet threats in cyberspace.

      ## Norms in cyberspace {#norms}

      Germany will press for a global and inclusive dialogue on norms of responsible state behaviour, and for \
      confidence-building measures [#1].

      ## Capacity building

      Capacity building should be coordinated internationally [#3].

      ## Partners {#partners}

      Above all for developing and emerging economies.
      """
    try store.reviseDraft(in: Scenario.slug, title: nil, body: revision2, actor: "editor")
    let anchors = Dictionary(uniqueKeysWithValues: try store.comments(in: Scenario.slug).map { ($0.id, $0.anchor) })
    #expect(anchors[elsewhere]?.match == .exact)
    #expect(anchors[nearby]?.match == .exact)
    #expect(anchors[edited]?.match == .fuzzy)
    #expect(anchors[edited]?.section == "norms")
    #expect(anchors[moved]?.match == .moved)
    #expect(anchors[moved]?.section == "partners")
    #expect(anchors[deleted]?.match == .orphaned)
  }

  @Test func aNewRevisionVoidsEarlierApprovals() throws {
    let db = try Self.drafted()
    let store = db.store
    var status = try store.signOffStatus(of: Scenario.slug)
    #expect(status.required == ["bmvg", "unibw", "bitkom"])
    #expect(status.missing == ["bmvg", "unibw", "bitkom"])
    status = try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "head")
    status = try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "unibw", actor: "head")
    #expect(status.approved == ["bmvg", "unibw"])
    #expect(status.missing == ["bitkom"])
    #expect(!status.isFinal)
    // Only required approvers, once each.
    #expect(throws: StoreError.self) {
      try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "aa", actor: "head")
    }
    #expect(throws: StoreError.self) {
      try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "head")
    }
    // A new revision voids them; the log names the approvals voided.
    try store.reviseDraft(
      in: Scenario.slug, title: nil, body: DraftText.revision1 + "\n\nOne more line.", actor: "editor")
    status = try store.signOffStatus(of: Scenario.slug)
    #expect(status.revision == 2)
    #expect(status.approved == [])
    #expect(status.missing == ["bmvg", "unibw", "bitkom"])
    #expect(status.approvals.map(\.isVoid) == [true, true])
    let reason: String = try store.connection.query(
      "SELECT reason FROM events WHERE event = 'revise-draft'"
    ).rows[0].decode("reason")
    #expect(reason == "revision 2; voids 2 approvals of revision 1")
    let stale = #expect(throws: StoreError.self) {
      try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bitkom", actor: "head")
    }
    #expect(stale?.message.contains("superseded") == true)
    // An open comment blocks the final state even when everyone approved.
    let open = try store.addComment(
      in: Scenario.slug, revision: 2, section: "intro", quote: nil, stakeholder: "mdb", consent: .named,
      type: .general, text: "Shorter, please.", proposedChange: nil, actor: "editor")
    for approver in ["bmvg", "unibw"] {
      try store.approveDraft(in: Scenario.slug, revision: 2, stakeholder: approver, actor: "head")
    }
    status = try store.approveDraft(in: Scenario.slug, revision: 2, stakeholder: "bitkom", actor: "head")
    #expect(status.missing == [])
    #expect(!status.isFinal)
    #expect(status.blockedBy?.contains("comments.open == 0") == true)
    #expect(throws: StoreError.self) {
      try store.advanceDraft(in: Scenario.slug, event: "withdraw-not-declared", actor: "head")
    }
    try store.decideComment(
      open.id, in: Scenario.slug, event: "note", response: "Noted.", resolvedIn: nil, actor: "editor")
    try store.advanceDraft(in: Scenario.slug, event: "finalise", actor: "head")
    let final = try store.draft(of: Scenario.slug)
    #expect(final.isFinal)
    #expect(final.state == "final")
    // Nothing changes a signed-off draft: no revision, and no comment reopened or decided.
    #expect(throws: StoreError.self) {
      try store.reviseDraft(in: Scenario.slug, title: nil, body: "# Other", actor: "editor")
    }
    let reopened = #expect(throws: StoreError.self) {
      try store.decideComment(
        open.id, in: Scenario.slug, event: "reopen", response: "again", resolvedIn: nil, actor: "editor")
    }
    #expect(reopened?.message.contains("is 'final'") == true)
    #expect(try store.verifyLog(of: Scenario.slug).isIntact)
    #expect(try store.checkLog(of: Scenario.slug).isConsistent)
  }

  @Test func finaliseIsRefusedWhileAnApproverIsMissing() throws {
    let db = try Self.drafted()
    try db.store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "head")
    let refused = #expect(throws: StoreError.self) {
      try db.store.advanceDraft(in: Scenario.slug, event: "finalise", actor: "head")
    }
    #expect(refused?.message.contains("unibw, bitkom") == true)
  }

  /// Comments under each consent level, one with markup in its text.
  static func commented() throws -> TestDatabase {
    let db = try Self.drafted()
    let store = db.store
    try store.addComment(
      in: Scenario.slug, revision: 1, section: "norms", quote: DraftText.passage, stakeholder: "ict4peace-president",
      consent: .named, type: .technical, text: "Say \"all states\", =not <b>some</b>.",
      proposedChange: "all states, in the UN", actor: "editor")
    try store.addComment(
      in: Scenario.slug, revision: 1, section: "intro", quote: nil, stakeholder: "aa", consent: .stakeholderGroup,
      type: .editorial, text: "Shorter.", proposedChange: nil, actor: "editor")
    try store.addComment(
      in: Scenario.slug, revision: 1, section: "capacity-building", quote: nil, stakeholder: "mdb",
      consent: .notForPublication, type: .general, text: "Confidential remark.", proposedChange: "Secret change",
      actor: "editor")
    try store.decideComment(1, in: Scenario.slug, event: "accept", response: "Done.", resolvedIn: 1, actor: "editor")
    return db
  }

  @Test func matrixInEveryFormatAppliesAttribution() throws {
    let db = try Self.commented()
    let comments = try db.store.comments(in: Scenario.slug)
    let draft = try db.store.draft(of: Scenario.slug)
    let exporter = DraftMatrixExporter()
    let csv = String(decoding: try exporter.render(comments, draft: draft, format: .csv), as: UTF8.self)
    let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    #expect(lines.count == 4)
    #expect(lines[0] == DraftMatrixExporter.columns.joined(separator: ","))
    #expect(
      lines[1].hasPrefix("c1,President of the ICT4Peace Foundation (ICT4Peace Foundation),named,norms,7,technical,"))
    #expect(lines[1].hasSuffix(",accepted,Done.,1,accepted,1,exact in norms"))
    #expect(
      lines[2].hasPrefix(
        "c2,a participant from Ministries and government agencies,stakeholder-group,intro,1,editorial,,Shorter.,"))
    #expect(
      lines[3].hasPrefix(
        "c3,,not-for-publication,capacity-building,9,general,,(not for publication),(not for publication),,,,open,"))
    #expect(!csv.contains("Confidential") && !csv.contains("Secret") && !csv.contains(Scenario.personNames[1]))
    #expect(!csv.contains(Scenario.personNames[2]))

    let markdown = String(decoding: try exporter.render(comments, draft: draft, format: .markdown), as: UTF8.self)
    #expect(
      markdown.contains(
        "| c2 | a participant from Ministries and government agencies | intro / line 1 (revision 1) | editorial | Shorter. |"
      ))
    #expect(
      markdown.contains(
        "| c1 | President of the ICT4Peace Foundation (ICT4Peace Foundation) | norms / line 7 (revision 1) | technical |"
      ))
    #expect(!markdown.contains("Confidential") && !markdown.contains(Scenario.personNames[2]))

    let html = String(decoding: try exporter.render(comments, draft: draft, format: .html), as: UTF8.self)
    #expect(html.contains("Say &quot;all states&quot;, =not &lt;b&gt;some&lt;/b&gt;."))
    #expect(!html.contains("<b>some</b>"))
    #expect(html.contains("<td>a participant from Ministries and government agencies</td>"))
    #expect(!html.contains("Confidential") && !html.contains(Scenario.personNames[2]))
  }

  @Test func draftExportListsItsSourcesWithinTheAttributionRules() throws {
    let db = try Self.commented()
    let store = db.store
    try store.reviseDraft(
      in: Scenario.slug, title: nil, body: DraftText.revision1 + " As asked [c2, c3].", actor: "editor")
    let revision = try store.draftRevision(of: Scenario.slug)
    let text = DraftExporter().markdown(
      revision, contributions: try store.draftCitedContributions(of: Scenario.slug),
      comments: try store.comments(in: Scenario.slug))
    #expect(text.hasPrefix(revision.body.trimmingCharacters(in: .whitespacesAndNewlines)))
    // The workshop ran under the Chatham House Rule: its statements are "a participant".
    #expect(text.contains("### Norms in cyberspace\n\n- [#1] statement at workshop cyber-security, a participant"))
    #expect(
      text.contains(
        "- [c2] editorial comment on revision 1, a participant from Ministries and government agencies; open"))
    #expect(text.contains("- [c3] general comment on revision 1, not for publication; open"))
    for name in Scenario.personNames { #expect(!text.contains(name)) }
  }
}

@Suite("Drafting: concurrent writers")
struct DraftConcurrencyTests {
  /// The last two approvers approve at the same moment, on two connections, while a third holds
  /// the draft's row: both approvals are kept, the draft becomes final exactly once.
  @Test func lastTwoApprovalsAtOnceFinaliseOnce() throws {
    let db = try DraftTests.drafted()
    try db.store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: "bmvg", actor: "head")
    let holder = ConsultStore(connection: try db.connect())
    try holder.connection.execute("BEGIN")
    try holder.connection.execute("SELECT 1 FROM drafts FOR UPDATE")
    let name = db.name
    let outcomes = [OutcomeBox(), OutcomeBox()]
    let done = DispatchSemaphore(value: 0)
    for (index, approver) in ["unibw", "bitkom"].enumerated() {
      Thread.detachNewThread {
        defer { done.signal() }
        do {
          let store = ConsultStore(connection: try TestDatabase.connect(name))
          let status = try store.approveDraft(in: Scenario.slug, revision: 1, stakeholder: approver, actor: "head")
          outcomes[index].set("approved; missing \(status.missing)")
        } catch {
          outcomes[index].set("failed: \(error)")
        }
      }
    }
    let watcher = try db.connect()
    var waiting = 0
    for _ in 0..<1000 {  // up to 20 s on a slow machine
      waiting = try watcher.query(
        """
        SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name = 'consult-tests'
        """, [name]
      ).rows[0].decode("n")
      if waiting == 2 { break }
      Thread.sleep(forTimeInterval: 0.02)
    }
    try holder.connection.execute("COMMIT")
    done.wait()
    done.wait()
    #expect(waiting == 2, "both approvers should have waited on the draft's row")
    #expect(outcomes.map { $0.get() }.allSatisfy { $0.hasPrefix("approved") }, "\(outcomes.map { $0.get() })")
    let status = try db.store.signOffStatus(of: Scenario.slug)
    #expect(status.isFinal)
    #expect(status.missing == [])
    let finalised: Int = try db.store.connection.query(
      "SELECT count(*) AS n FROM events WHERE entity_kind = 'draft' AND event = 'finalise'"
    ).rows[0].decode("n")
    #expect(finalised == 1)
    #expect(try db.store.verifyLog(of: Scenario.slug).isIntact)
  }
}
