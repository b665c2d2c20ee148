import ConsultImport
import ConsultStore
import Foundation
import Postgres
import Testing

@Suite("Campaigns, full-text search and tagging")
struct CampaignSearchTests {
  /// Records a written submission (no stakeholder) with the given text.
  @discardableResult
  static func write(
    _ store: ConsultStore, _ text: String, language: String? = "en",
    attribution: Contribution.Attribution = .named, at seconds: TimeInterval
  ) throws -> Contribution {
    try store.recordContribution(
      NewContribution(
        text: text, stakeholder: nil, language: language, attribution: attribution,
        receivedAt: Date(timeIntervalSince1970: 1_500_000_000 + seconds)), in: Scenario.slug, actor: "clerk")
  }

  @Test(
    "the real regulations.gov docket holds two exact campaigns (6 and 2) and one near one (21: every variant of the food-stamps letter)",
    .enabled(if: Scenario.regulationsGovData != nil, "../shared/realdata is not present"))
  func realDocket() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let source = try RegulationsGovSource.locate(try #require(Scenario.regulationsGovData))
    _ = try db.store.importSubmissions(source, into: Scenario.slug, actor: "importer")

    // Exact: the mass-mail text SOURCES.md counts as "6 duplicate texts" (5 byte-identical,
    // one with "Please," — a comma), and one short form letter sent twice.
    let exact = try db.store.campaigns(in: Scenario.slug)
    #expect(exact.map(\.size) == [6, 2])
    #expect(exact.allSatisfy { $0.kind == .exact && $0.distinctTexts == 1 })
    #expect(
      exact[0].excerpt?.hasPrefix(
        "Please reinstate work requirements for food stamps and support conservative waiver reform.") == true)
    #expect(exact[1].excerpt?.hasPrefix("Please reinstate work requirements for food stamps. Re:") == true)
    // Cut at a word boundary, marked with an ellipsis.
    let excerpt = try #require(exact[0].excerpt)
    #expect(excerpt.count <= ConsultStore.campaignExcerptLength + 1 && excerpt.hasSuffix("…"))
    let full = try db.store.connection.query(
      "SELECT text FROM contributions WHERE text LIKE 'Please reinstate work requirements for food stamps and support%' LIMIT 1"
    ).rows[0].decode("text", as: String.self)
    let words = full.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    let kept = String(excerpt.dropLast())
    #expect(words.hasPrefix(kept))
    #expect(words.dropFirst(kept.count).first.map { $0 == " " || $0.isPunctuation } == true)
    // "See attached file(s)" twice is a placeholder, not a campaign.
    let placeholders = try db.store.connection.query(
      "SELECT count(*) AS n, count(fingerprint) AS f FROM contributions WHERE text = 'See attached file(s)'")
    #expect(try placeholders.rows[0].decode("n", as: Int.self) == 2)
    #expect(try placeholders.rows[0].decode("f", as: Int.self) == 0)
    #expect(try db.store.campaigns(in: Scenario.slug, minSize: 3).map(\.size) == [6])

    // Near (MinHash, estimated Jaccard ≥ 0.45): every variant of the "reinstate work requirements
    // for food stamps" letter joins — with or without "and support conservative waiver reform"
    // (the 6 and the 2), "Please," or "Tell the USDA to" before it, "Thanks" after it (21 texts,
    // 15 distinct); pg_trgm blocking by the first and last 40 characters found 16 and 4.
    let near = try db.store.campaigns(in: Scenario.slug, near: true)
    #expect(near.map(\.size) == [21])
    #expect(near.map(\.distinctTexts) == [15])
    #expect(near.allSatisfy { $0.kind == .near })
    #expect(near[0].excerpt?.contains("waiver reform") == true)

    // The summary counts each campaign once.
    let data = try db.store.proceedings(of: Scenario.slug)
    #expect(data.writtenTotal == 199)
    #expect(data.writtenCampaigns.map(\.size) == [6, 2])
    #expect(data.writtenCampaigns.allSatisfy { $0.kind == .exact })
    #expect(data.writtenDistinct == 199 - 5 - 1)

    // Full-text search in English: "reforms" and "reform" share the stem.
    let hits = try db.store.searchContributions(in: Scenario.slug, query: "waiver reforms", limit: 5)
    #expect(hits.count == 5)
    #expect(hits.allSatisfy { $0.configuration == "english" && $0.snippet?.contains("«waiver»") == true })
    #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.rank >= $1.rank })
  }

  @Test("texts differing only by case, Unicode form, entities, punctuation, spacing or a Re: line are one campaign")
  func normalisation() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let store = db.store
    try Self.write(
      store, "Protect the Rhine & its floodplains!", attribution: .notForPublication, at: 0)
    try Self.write(store, "protect   the rhine &amp; its\nfloodplains\nRe: Docket EPA-2024-0001 (Rhine)", at: 10)
    try Self.write(store, "ＰＲＯＴＥＣＴ the Rhine & its “floodplains”…", at: 20)
    try Self.write(store, "Protect the Rhine and its floodplains", at: 30)  // "and" is not "&": another text
    try Self.write(store, "See attached file(s)", at: 40)
    try Self.write(store, "See attached file(s)", at: 50)
    let fingerprints = try store.connection.query(
      "SELECT fingerprint FROM contributions WHERE kind = 'written-submission' ORDER BY received_at"
    ).map { try $0.decode("fingerprint", as: String?.self) }
    #expect(fingerprints[0] != nil && fingerprints[0] == fingerprints[1] && fingerprints[1] == fingerprints[2])
    #expect(fingerprints[3] != fingerprints[0])
    #expect(fingerprints[4] == nil && fingerprints[5] == nil)
    let normalised = try store.connection.query(
      "SELECT consult_normalise_text($1) AS n", ["protect   the rhine &amp; its\nfloodplains\nRe: Docket X"]
    ).rows[0].decode("n", as: String.self)
    #expect(normalised == "protect the rhine its floodplains")
    // A text that is only a "Re:" line keeps it.
    #expect(
      try store.connection.query("SELECT consult_normalise_text('Re: the rule') AS n").rows[0].decode(
        "n", as: String.self) == "re the rule")

    let campaigns = try store.campaigns(in: Scenario.slug)
    #expect(campaigns.count == 1)
    let campaign = try #require(campaigns.first)
    #expect(campaign.size == 3 && campaign.kind == .exact)
    // The earliest text is not for publication: no excerpt.
    #expect(campaign.excerpt == nil)
    #expect(try store.campaigns(in: Scenario.slug, minSize: 4).isEmpty)
    #expect(throws: StoreError.self) { try store.campaigns(in: Scenario.slug, minSize: 1) }
    #expect(throws: StoreError.self) { try store.campaigns(in: "no-such-consultation") }
  }

  @Test("near-duplicates: the same form letter with a sentence added joins with --near only")
  func nearDuplicates() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let letter = """
      I am writing to ask the ministry to keep the regional rail services running after 2030. \
      Rural communities depend on them for work, school and medical care, and replacing trains \
      by buses would add hours to many journeys.
      """
    try Self.write(db.store, letter, at: 0)
    try Self.write(db.store, letter, at: 10)
    try Self.write(db.store, letter + " My own village would lose its only connection.", at: 20)
    try Self.write(db.store, "I support the plan to close the regional rail services after 2030.", at: 30)
    let exact = try db.store.campaigns(in: Scenario.slug)
    #expect(exact.map(\.size) == [2])
    let near = try db.store.campaigns(in: Scenario.slug, near: true)
    #expect(near.count == 1)
    #expect(near.first?.size == 3 && near.first?.kind == .near && near.first?.distinctTexts == 2)
    #expect(near.first?.excerpt?.hasPrefix("I am writing to ask the ministry") == true)
    let similarity = NearDuplicateGrouping.estimatedSimilarity(
      letter, letter + " My own village would lose its only connection.")
    #expect(similarity >= NearDuplicateGrouping.threshold)
    // The proceedings count the exact campaign once (near-duplicates are not merged there).
    let data = try db.store.proceedings(of: Scenario.slug)
    #expect(data.writtenTotal == 4)
    #expect(data.writtenCampaigns.map(\.size) == [2])
    #expect(data.writtenDistinct == 3)
  }

  @Test("near-duplicates edited at both ends, or in the middle, join; another text on the subject does not")
  func nearDuplicatesEverywhere() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let letter = """
      I am writing to ask the ministry to keep the regional rail services running after 2030. \
      Rural communities depend on them for work, school and medical care, and replacing trains \
      by buses would add hours to many journeys.
      """
    try Self.write(db.store, letter, at: 0)
    try Self.write(db.store, letter, at: 1)
    try Self.write(db.store, "Dear Minister, " + letter + " Yours sincerely, A. Reader", at: 2)
    try Self.write(db.store, "Hello. " + letter.replacingOccurrences(of: "Rural", with: "Remote") + " Thanks!", at: 3)
    try Self.write(db.store, letter.replacingOccurrences(of: "medical care", with: "hospital visits"), at: 4)
    try Self.write(db.store, "I support the plan to close the regional rail services after 2030.", at: 5)
    try Self.write(db.store, "Please close the regional rail services after 2030 and run buses instead.", at: 6)
    let near = try db.store.campaigns(in: Scenario.slug, near: true)
    #expect(near.map(\.size) == [5])
    #expect(near.first?.distinctTexts == 4)
    #expect(near.first?.firstContributionID != nil)
    let membership = try db.store.campaignOfFingerprint(in: Scenario.slug, near: true)
    #expect(Set(membership.values).count == 1 && membership.count == 4)
  }

  @Test("search uses each contribution's language configuration, ranks, and withholds unpublishable snippets")
  func search() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let store = db.store
    let farming = try Self.write(store, "Farmers were farming the land; farms need water.", at: 0)
    let once = try Self.write(store, "One farm is mentioned here among many other things.", at: 10)
    let german = try Self.write(store, "Wir brauchen mehr Radwege in der Stadt.", language: "de-AT", at: 20)
    let unknown = try Self.write(store, "Wir brauchen mehr Radwege in der Stadt.", language: nil, at: 30)
    let secret = try Self.write(
      store, "Farm subsidies should end.", attribution: .notForPublication, at: 40)

    let farm = try store.searchContributions(in: Scenario.slug, query: "farm")
    #expect(farm.map(\.id).first == farming.id)
    #expect(Set(farm.map(\.id)) == [farming.id, once.id, secret.id])
    #expect(farm.first?.snippet?.contains("«farming»") == true)
    #expect(farm.first { $0.id == secret.id }?.snippet == nil)
    // German stemming applies to the German text only; the untagged copy is matched word for word.
    let radweg = try store.searchContributions(in: Scenario.slug, query: "Radweg")
    #expect(radweg.map(\.id) == [german.id])
    #expect(radweg.first?.configuration == "german")
    let exact = try store.searchContributions(in: Scenario.slug, query: "Radwege")
    #expect(Set(exact.map(\.id)) == [german.id, unknown.id])
    #expect(exact.first { $0.id == unknown.id }?.configuration == "simple")
    // Web-search syntax: exclusion and phrases.
    #expect(
      try store.searchContributions(in: Scenario.slug, query: "farm -water").map(\.id).contains(farming.id) == false)
    #expect(try store.searchContributions(in: Scenario.slug, query: "\"farms need water\"").map(\.id) == [farming.id])
    #expect(try store.searchContributions(in: Scenario.slug, query: "farm", limit: 1).count == 1)
    #expect(try store.searchContributions(in: Scenario.slug, query: "the").isEmpty)  // only a stop word
    #expect(throws: StoreError.self) { try store.searchContributions(in: Scenario.slug, query: "  ") }
  }

  @Test("tagging from a search sets the theme in one transaction, audited, with a dry run")
  func tagging() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let store = db.store
    let a = try Self.write(store, "Cyber norms need a global dialogue.", at: 0)
    let b = try Self.write(store, "Norms of responsible behaviour in cyberspace.", at: 10)
    try store.recordContribution(
      NewContribution(text: "Cyber norms again.", stakeholder: nil, theme: "challenges", language: "en"),
      in: Scenario.slug, actor: "clerk")
    try Self.write(store, "Nothing to see here.", at: 30)
    let events = try db.count("events")

    let dry = try store.tagContributions(
      in: Scenario.slug, query: "norm", theme: "instruments", dryRun: true, actor: "t")
    #expect(dry.matched == 4)  // one ICT4Peace statement of the scenario (theme instruments) too
    #expect(dry.dryRun && dry.tagged == 3 && dry.retagged == 1 && dry.unchanged == 1)
    #expect(try db.count("contribution_tags") == 0)
    #expect(try store.contributions(in: Scenario.slug, id: a.id)[0].theme == nil)

    let done = try store.tagContributions(in: Scenario.slug, query: "norm", theme: "instruments", actor: "tagger")
    #expect(
      done.theme == "instruments" && done.matched == 4 && done.tagged == 3 && done.retagged == 1
        && done.unchanged == 1 && !done.dryRun)
    #expect(try store.contributions(in: Scenario.slug, id: a.id)[0].theme == "instruments")
    #expect(try store.contributions(in: Scenario.slug, id: b.id)[0].theme == "instruments")
    let audit = try store.connection.query(
      "SELECT from_theme, to_theme, search_query, a.handle AS actor FROM contribution_tags t JOIN actors a ON a.id = t.actor_id ORDER BY contribution_id"
    )
    #expect(audit.count == 3)
    #expect(try audit.rows.map { try $0.decode("from_theme", as: String?.self) }.compactMap { $0 } == ["challenges"])
    #expect(try audit.rows.allSatisfy { try $0.decode("actor", as: String.self) == "tagger" })
    // Each retagged contribution: one `tag` event with the old and new theme.
    #expect(try db.count("events") == events + 3)
    #expect(
      try store.connection.query(
        "SELECT count(*) AS n FROM events WHERE event = 'tag' AND from_state = to_state AND data->>'to_theme' = 'instruments'"
      ).rows[0].decode("n", as: Int.self) == 3)
    #expect(try store.checkLog().isConsistent)

    let again = try store.tagContributions(in: Scenario.slug, query: "norm", theme: "instruments", actor: "tagger")
    #expect(again.tagged == 0 && again.unchanged == 4)
    #expect(try db.count("contribution_tags") == 3)

    let error = try #require(throws: StoreError.self) {
      try store.tagContributions(in: Scenario.slug, query: "norm", theme: "nope", actor: "tagger")
    }
    #expect(error.kind == .invalidInput && error.message.contains("instruments"))
  }
}
