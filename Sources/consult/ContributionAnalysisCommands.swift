import ArgumentParser
import ConsultStore
import Foundation

extension ContributionsCommand {
  /// `consult contributions campaigns`: lists form-letter campaigns.
  struct Campaigns: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "List campaigns: written submissions sending the same (or, with --near, a similar) text.",
      discussion: """
        Exact: the same text after Unicode NFKC, lower case, HTML entities, a trailing \
        "Re: …" line, punctuation and whitespace are ignored. --near also joins texts whose \
        estimated Jaccard similarity (MinHash of \(NearDuplicateGrouping.shingleWords)-word shingles, \
        \(NearDuplicateGrouping.bands) LSH bands of \(NearDuplicateGrouping.rowsPerBand)) is at least \
        \(NearDuplicateGrouping.threshold), wherever they differ. Prints size, \
        kind (exact or near) and the first \(ConsultStore.campaignExcerptLength) characters \
        of the earliest text, or [not for publication].
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Only campaigns of at least N contributions (at least 2).") var minSize: Int = 2
    @Flag(help: "Also group near-duplicates (the same form letter with a sentence added).") var near = false
    func execute(_ store: ConsultStore) throws {
      let campaigns = try store.campaigns(in: consultation, minSize: minSize, near: near)
      if output.json { return try printJSON(campaigns) }
      if campaigns.isEmpty { return print("No campaigns of \(grouped(minSize)) or more contributions.") }
      for c in campaigns {
        let variants = c.kind == .near ? " (\(counted(c.distinctTexts, "variant")))" : ""
        print(
          "\(grouped(c.size))\t\(c.kind.rawValue)\(variants)\t#\(c.firstContributionID)\t\(c.excerpt.map(terminalLine) ?? "[not for publication]")"
        )
      }
      let members = campaigns.reduce(0) { $0 + $1.size }
      print("\(counted(campaigns.count, "campaign")), \(counted(members, "contribution"))")
    }
  }

  /// `consult contributions search`: full-text search.
  struct Search: StoreCommand {
    static let configuration = CommandConfiguration(
      abstract: "Full-text search over a consultation's contributions, best match first.",
      discussion: """
        QUERY uses web-search syntax: words, "a phrase", or, -word. Each text is matched in \
        its language's text-search configuration (en: english, de: german, …; unknown: \
        simple). Prints id, theme and a snippet with the matches between « and ».
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Argument(help: "What to look for.") var query: String
    @Option(help: "At most N hits.") var limit: Int = 20
    func execute(_ store: ConsultStore) throws {
      let hits = try store.searchContributions(in: consultation, query: query, limit: limit)
      if output.json { return try printJSON(hits) }
      if hits.isEmpty { return print("No contributions match.") }
      for hit in hits {
        print("#\(hit.id)\t\(hit.theme ?? "-")\t\(hit.snippet.map(terminalLine) ?? "[not for publication]")")
      }
    }
  }

  /// `consult contributions tag`: sets a theme on every search match.
  struct Tag: WritingCommand {
    static let configuration = CommandConfiguration(
      abstract: "Set a theme on every contribution matching a search (one transaction).",
      discussion: """
        Matches as `consult contributions search` does, without a limit. Each changed theme \
        is a `tag` event in the event log (old and new theme, the query, the actor).
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var acting: ActorOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "The search query (web-search syntax).") var search: String
    @Option(help: "The theme key to set.") var theme: String
    @Flag(help: "Only count the matches; change nothing.") var dryRun = false
    @OptionGroup var when: RecordedTime
    func execute(_ store: ConsultStore, actor: String) throws {
      let report = try store.tagContributions(
        in: consultation, query: search, theme: theme, dryRun: dryRun, actor: actor, at: try when.time())
      if output.json { return try printJSON(report) }
      let verb = dryRun ? "Would tag" : "Tagged"
      print(
        "\(verb) \(grouped(report.tagged)) of \(counted(report.matched, "matching contribution")) with '\(report.theme)' "
          + "(\(grouped(report.retagged)) had another theme; \(grouped(report.unchanged)) already had it)"
      )
    }
  }
}
