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
        of the earliest text, or [not for publication]. --signals also reports facts that may \
        point at an organised or automated campaign, with counts and never a person's name: the \
        busiest seconds and minutes, the seconds with at least --burst-size submissions, one \
        sender (author key, e.g. e-mail address) or one name behind at least --repeated-size \
        submissions, and campaigns whose members arrive in bursts.
        """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The consultation.") var consultation: String
    @Option(help: "Only campaigns of at least N contributions (at least 2).") var minSize: Int = 2
    @Flag(help: "Also group near-duplicates (the same form letter edited anywhere).") var near = false
    @Flag(help: "Also report campaign signals: bursts, repeated senders and names (counts only).")
    var signals = false
    @Option(help: "With --signals: the submissions in one second that make it a burst (at least 2).")
    var burstSize: Int = 100
    @Option(help: "With --signals: report a sender or name behind at least N submissions (at least 2).")
    var repeatedSize: Int = 10

    /// The JSON of `--signals`: the campaigns and the signals.
    struct WithSignals: Encodable {
      let campaigns: [Campaign]
      let signals: CampaignSignals
    }

    func execute(_ store: ConsultStore) throws {
      if !signals && (burstSize != 100 || repeatedSize != 10) {
        throw ValidationError("--burst-size and --repeated-size go with --signals")
      }
      let campaigns = try store.campaigns(in: consultation, minSize: minSize, near: near)
      let found =
        signals ? try store.campaignSignals(in: consultation, burstSize: burstSize, repeatedSize: repeatedSize) : nil
      if output.json {
        if let found { return try printJSON(WithSignals(campaigns: campaigns, signals: found)) }
        return try printJSON(campaigns)
      }
      defer { if let found { printSignals(found) } }
      if campaigns.isEmpty { return say("No campaigns of \(grouped(minSize)) or more contributions.") }
      for c in campaigns {
        let variants = c.kind == .near ? " (\(counted(c.distinctTexts, "variant")))" : ""
        say(
          "\(grouped(c.size))\t\(c.kind.rawValue)\(variants)\t#\(c.firstContributionID)\t\(c.excerpt.map(terminalLine) ?? "[not for publication]")"
        )
      }
      let members = campaigns.reduce(0) { $0 + $1.size }
      say("\(counted(campaigns.count, "campaign")), \(counted(members, "contribution"))")
    }

    /// Prints the signals: facts with counts, no verdict, no names.
    func printSignals(_ s: CampaignSignals) {
      let time = ISO8601DateFormatter()
      say("\nSignals (facts for the analyst, not a verdict) among \(counted(s.submissions, "written submission")):")
      say(
        "  bursts: \(counted(s.burstSeconds, "second")) with \(grouped(s.burstSize)) or more submissions, "
          + "\(counted(s.submissionsInBurstSeconds, "submission")) in them")
      for burst in s.busiestSeconds + s.busiestMinutes {
        say(
          "  busiest \(burst.seconds == 1 ? "second" : "minute") \(time.string(from: burst.start)): "
            + "\(counted(burst.submissions, "submission")), \(grouped(burst.inCampaigns)) in campaigns")
      }
      say(
        "  same sender: \(counted(s.sameSender.count, "sender")) behind \(grouped(s.repeatedSize)) or more submissions each "
          + (s.sameSender.count == 0
            ? ""
            : "(\(grouped(s.sameSender.submissions)) together; largest \(s.sameSender.largest.map(grouped).joined(separator: ", ")))")
      )
      say(
        "  same name: \(counted(s.sameName.count, "name")) of several senders behind \(grouped(s.repeatedSize)) or more submissions each "
          + (s.sameName.count == 0
            ? ""
            : "(\(grouped(s.sameName.submissions)) together; largest \(s.sameName.largest.map(grouped).joined(separator: ", ")))")
      )
      for c in s.campaignsInBursts {
        say(
          "  campaign #\(c.firstContributionID) (\(grouped(c.size))): \(grouped(c.inBursts)) in burst seconds, "
            + "up to \(grouped(c.largestSecond)) in one second\t\(c.excerpt.map(terminalLine) ?? "[not for publication]")"
        )
      }
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
      if hits.isEmpty { return say("No contributions match.") }
      for hit in hits {
        say("#\(hit.id)\t\(hit.theme ?? "-")\t\(hit.snippet.map(terminalLine) ?? "[not for publication]")")
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
      say(
        "\(verb) \(grouped(report.tagged)) of \(counted(report.matched, "matching contribution")) with '\(report.theme)' "
          + "(\(grouped(report.retagged)) had another theme; \(grouped(report.unchanged)) already had it)"
      )
    }
  }
}
