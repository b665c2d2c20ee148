import ConsultDrafting
import Testing

/// The draft text used across revisions: three sections, one anchor explicit.
private let revision1 = """
  # Introduction {#intro}

  Germany's security policy must answer threats in cyberspace as well as on land, at sea and in the air.

  ## Norms of responsible state behaviour

  The federal government will press for a global, inclusive dialogue on norms of responsible state behaviour and on confidence-building measures.

  ## Capacity building

  Capacity building for developing and emerging economies should be coordinated internationally.
  """

private let quote = "a global, inclusive dialogue on norms"

private func sections(_ text: String) throws -> [DraftSection] { try DraftDocument.sections(of: text) }

private func selector(_ text: String = revision1, section: String = "norms-of-responsible-state-behaviour") throws
  -> TextQuoteSelector
{
  let home = try #require(try sections(text).first { $0.anchor == section })
  return try #require(TextQuoteSelector.quoting(quote, in: TextAnchoring.text(of: home)))
}

@Suite("Draft sections and anchors")
struct DraftSectionTests {
  @Test func explicitAndDerivedAnchors() throws {
    let found = try sections(revision1)
    #expect(found.map(\.anchor) == ["intro", "norms-of-responsible-state-behaviour", "capacity-building"])
    #expect(found.map(\.isExplicit) == [true, false, false])
    #expect(found[0].heading == "Introduction")
    #expect(found[1].level == 2)
    #expect(
      found[2].body == "Capacity building for developing and emerging economies should be coordinated internationally.")
  }

  @Test func anchorsSurviveEditsElsewhere() throws {
    let edited = revision1.replacingOccurrences(of: "# Introduction {#intro}", with: "# A new opening {#intro}")
      .replacingOccurrences(of: "## Capacity building", with: "## Resilience\n\nNew text.\n\n## Capacity building")
    let anchors = try sections(edited).map(\.anchor)
    #expect(anchors == ["intro", "norms-of-responsible-state-behaviour", "resilience", "capacity-building"])
  }

  @Test func repeatedHeadingsAreNumberedAndBadAnchorsNameTheLine() throws {
    #expect(try sections("# A\n\nx\n\n# A\n\ny").map(\.anchor) == ["a", "a-1"])
    #expect(throws: DraftTextError(line: 3, "anchor '{#x}' is already used on line 1")) {
      try DraftDocument.sections(of: "# A {#x}\n\n# B {#x}")
    }
    #expect(throws: DraftTextError.self) { try DraftDocument.sections(of: "# A {#Bad Anchor}") }
    // pandoc's attribute list: classes and key=value pairs are not part of the heading, as pandoc reads it.
    let classed = try DraftDocument.sections(of: "# A {.cls}\n\nx\n\n# B {#b .cls lang=en}\n\ny")
    #expect(classed.map(\.heading) == ["A", "B"])
    #expect(classed.map(\.anchor) == ["a", "b"])
    // `{#…}` that is no attribute list is refused, quoted whole.
    #expect(
      throws: DraftTextError(
        line: 1, "anchor '{#a b!}' must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
      )
    ) {
      try DraftDocument.sections(of: "# A {#a b!}")
    }
  }

  @Test func headingsInCodeFencesAreNotSections() throws {
    #expect(try sections("# Real\n\n```\n# not a heading\n```\n").map(\.anchor) == ["real"])
  }

  @Test func citationsOfContributionsAndComments() {
    let cited = DraftDocument.citations(in: "As said [#3, #1] and asked [c2]; again [#3]. Not [x] nor [#].")
    #expect(cited.contributions == [3, 1])
    #expect(cited.comments == [2])
  }
}

@Suite("Anchoring comments across revisions")
struct AnchoringTests {
  @Test func selectorKeepsContext() throws {
    let found = try selector()
    #expect(found.exact == quote)
    #expect(found.prefix.hasSuffix("will press for "))
    #expect(found.suffix.hasPrefix(" of responsible"))
  }

  @Test func editElsewhereKeepsAnExactMatch() throws {
    let revision2 = revision1.replacingOccurrences(of: "coordinated internationally", with: "coordinated by the EU")
    let anchor = TextAnchoring.anchor(
      section: "norms-of-responsible-state-behaviour", selector: try selector(), in: try sections(revision2))
    #expect(anchor.match == .exact)
    #expect(anchor.section == "norms-of-responsible-state-behaviour")
    #expect(anchor.text == quote)
  }

  @Test func editNearbyKeepsAnExactMatch() throws {
    let revision2 = revision1.replacingOccurrences(
      of: "The federal government will press for", with: "Together with its partners, Germany will seek")
    let anchor = TextAnchoring.anchor(
      section: "norms-of-responsible-state-behaviour", selector: try selector(), in: try sections(revision2))
    #expect(anchor.match == .exact)
  }

  @Test func editInsideThePassageIsAFuzzyMatch() throws {
    let revision2 = revision1.replacingOccurrences(
      of: "global, inclusive dialogue", with: "global and inclusive dialogue")
    let anchor = TextAnchoring.anchor(
      section: "norms-of-responsible-state-behaviour", selector: try selector(), in: try sections(revision2))
    #expect(anchor.match == .fuzzy)
    #expect(anchor.text?.contains("global and inclusive dialogue") == true)
  }

  @Test func passageMovedToAnotherSectionIsFoundThere() throws {
    let revision2 = revision1.replacingOccurrences(
      of:
        "The federal government will press for a global, inclusive dialogue on norms of responsible state behaviour and on confidence-building measures.",
      with: "This section is now about something else entirely."
    ).replacingOccurrences(
      of: "should be coordinated internationally.",
      with: "should be coordinated internationally, alongside a global, inclusive dialogue on norms of conduct.")
    let anchor = TextAnchoring.anchor(
      section: "norms-of-responsible-state-behaviour", selector: try selector(), in: try sections(revision2))
    #expect(anchor.match == .moved)
    #expect(anchor.section == "capacity-building")
  }

  @Test func passageDeletedIsOrphaned() throws {
    let revision2 = revision1.replacingOccurrences(
      of:
        "The federal government will press for a global, inclusive dialogue on norms of responsible state behaviour and on confidence-building measures.",
      with: "Confidence-building measures remain a priority.")
    let anchor = TextAnchoring.anchor(
      section: "norms-of-responsible-state-behaviour", selector: try selector(), in: try sections(revision2))
    #expect(anchor.match == .orphaned)
    #expect(anchor.section == nil)
  }

  @Test func sectionCommentFollowsItsAnchorAndIsOrphanedWithIt() throws {
    let revision2 = revision1.replacingOccurrences(
      of: "## Capacity building\n", with: "## Capacity building {#capacity-building}\n")
    #expect(
      TextAnchoring.anchor(section: "capacity-building", selector: nil, in: try sections(revision2)).match == .exact)
    let revision3 = revision1.replacingOccurrences(of: "## Capacity building", with: "## Training")
    #expect(
      TextAnchoring.anchor(section: "capacity-building", selector: nil, in: try sections(revision3)).match == .orphaned)
  }

  @Test func repeatedPassageIsToldApartByItsContext() throws {
    let text = "# S\n\nFirst we act now. Later we act now and again."
    let home = try #require(try sections(text).first)
    let later = try #require(TextQuoteSelector.quoting("we act now", in: TextAnchoring.text(of: home)))
    let second = TextQuoteSelector(exact: "we act now", prefix: "now. Later ", suffix: " and again.")
    #expect(later.prefix.hasSuffix("First "))
    let anchor = TextAnchoring.anchor(section: "s", selector: second, in: try sections(text))
    #expect(
      anchor.offset
        == TextAnchoring.text(of: home).distance(
          from: TextAnchoring.text(of: home).startIndex,
          to: TextAnchoring.text(of: home).range(of: "we act now and")!.lowerBound))
  }
}

@Suite("Section-aware diff")
struct DraftDiffTests {
  @Test func addedRemovedMovedChanged() throws {
    let old = try sections("# A\n\none two three\n\n# B\n\nbee\n\n# C\n\nsee\n\n# D\n\ndee")
    let new = try sections("# A\n\none 2 three\n\n# C\n\nsee\n\n# B\n\nbee\n\n# E\n\nnew")
    let changes = DraftDiff.compare(old, new)
    let byAnchor = Dictionary(uniqueKeysWithValues: changes.map { ($0.anchor, $0) })
    #expect(byAnchor["a"]?.isChanged == true)
    #expect(byAnchor["a"]?.pieces == [.same("one "), .deleted("two"), .inserted("2"), .same(" three")])
    #expect(byAnchor["d"]?.isRemoved == true)
    #expect(byAnchor["e"]?.isAdded == true)
    #expect([byAnchor["b"]?.isMoved, byAnchor["c"]?.isMoved].compactMap { $0 }.filter { $0 }.count == 1)
    #expect(byAnchor["b"]?.isChanged == false)
  }

  @Test func wordPiecesSpellBothTexts() {
    let old = "The quick brown fox jumps."
    let new = "The quick red fox leaps far."
    let pieces = DraftDiff.words(from: old, to: new)
    let oldAgain = pieces.map {
      if case .inserted = $0 {
        return ""
      } else if case .same(let t) = $0 {
        return t
      } else if case .deleted(let t) = $0 {
        return t
      } else {
        return ""
      }
    }.joined()
    let newAgain = pieces.map {
      if case .deleted = $0 {
        return ""
      } else if case .same(let t) = $0 {
        return t
      } else if case .inserted(let t) = $0 {
        return t
      } else {
        return ""
      }
    }.joined()
    #expect(oldAgain == old)
    #expect(newAgain == new)
  }
}

@Suite("Anchors carried over a Word round trip")
struct CarryAnchorTests {
  @Test func headingsThatKeptTheirTextGetTheirAnchorsBack() throws {
    let fromWord = "# Introduction\n\ntext\n\n## Norms of responsible state behaviour\n\nmore\n\n## A new heading\n\nx"
    let previous =
      "# Introduction {#intro}\n\nold\n\n## Norms of responsible state behaviour {#norms}\n\nold\n\n## Other {#other}\n\nx"
    let carried = DraftDocument.carryingAnchors(from: previous, into: fromWord)
    #expect(try DraftDocument.sections(of: carried).map(\.anchor) == ["intro", "norms", "a-new-heading"])
  }
}

@Suite("Quoting a passage")
struct QuotingTests {
  @Test func aPassageTypedOnOneLineMatchesTheWrappedText() throws {
    let selector = try #require(
      TextQuoteSelector.quoting(
        "developing and emerging economies", in: "Above all for developing and emerging\neconomies."))
    #expect(selector.exact == "developing and emerging\neconomies")
    #expect(selector.prefix == "Above all for ")
    #expect(selector.suffix == ".")
    #expect(TextQuoteSelector.quoting("not there", in: "Above all") == nil)
  }
}

@Suite("Re-anchoring a comment in a draft of the largest size takes seconds, not minutes")
struct DraftAnchoringSpeedTests {
  /// A revision just under ``DraftDocument/maxBytes``: 400 sections of varied sentences, "the" in
  /// every one.
  static func largeRevision() -> String {
    let words = [
      "the", "government", "will", "press", "for", "dialogue", "on", "norms", "of", "the", "state", "and", "the",
      "measures", "building", "capacity", "in", "the", "region", "with", "partners",
    ]
    var generator = SplitMix(seed: 42)
    var text = ""
    for section in 0..<400 {
      text += "## Section \(section) {#s\(section)}\n\n"
      var paragraph: [String] = []
      while paragraph.joined(separator: " ").utf8.count < 2_300 {
        paragraph.append(words[Int(generator.next() % UInt64(words.count))])
      }
      text += paragraph.joined(separator: " ") + ".\n\n"
    }
    return text
  }

  /// A small deterministic generator (SplitMix64), so the text is the same in every run.
  struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  @Test func a200CharacterQuoteAfterACommonWordChangedEverywhere() throws {
    let revision1 = Self.largeRevision()
    #expect(revision1.utf8.count > 900_000 && revision1.utf8.count <= DraftDocument.maxBytes)
    let home = try DraftDocument.sections(of: revision1).first { $0.anchor == "s200" }!
    let body = TextAnchoring.text(of: home)
    let start = body.index(body.startIndex, offsetBy: 400)
    let quote = String(body[start..<body.index(start, offsetBy: 200)])
    let selector = try #require(TextQuoteSelector.quoting(quote, in: body))
    // Every "the" becomes "this": the passage is close, no longer exact.
    let revision2 = revision1.replacingOccurrences(of: " the ", with: " this ")
    let sections2 = try DraftDocument.sections(of: revision2)
    let clock = ContinuousClock()
    var anchor: TextAnchor?
    let fuzzy = clock.measure {
      anchor = TextAnchoring.anchor(section: "s200", selector: selector, in: sections2)
    }
    #expect(anchor?.match == .fuzzy)
    #expect(anchor?.section == "s200")
    // The passage deleted: every section is searched, exactly and closely, before it is orphaned.
    let paragraph = try #require(sections2.first { $0.anchor == "s200" }).body
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let revision3 = revision2.replacingOccurrences(of: paragraph, with: "Nothing here any more.")
    let sections3 = try DraftDocument.sections(of: revision3)
    let orphaned = clock.measure {
      anchor = TextAnchoring.anchor(section: "s200", selector: selector, in: sections3)
    }
    #expect(anchor?.match != .exact)
    print(
      "re-anchoring a 200-character quote in \(revision2.utf8.count) bytes: fuzzy \(fuzzy), searched everywhere \(orphaned)"
    )
    // Generous for a debug build on a loaded 2-core machine; the former O(m·n) search took 98 s.
    #expect(fuzzy < .seconds(10))
    #expect(orphaned < .seconds(10))
  }
}
