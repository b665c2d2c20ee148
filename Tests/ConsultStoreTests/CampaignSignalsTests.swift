import ConsultImport
import ConsultStore
import Foundation
import Testing

@Suite("Campaign signals: bursts, repeated senders and names, campaigns arriving in bursts")
struct CampaignSignalsTests {
  @Test("bursts, one sender and one name behind many submissions are counted; no name is reported")
  func signals() throws {
    let db = try TestDatabase()
    try Scenario.build(db.store)
    let scratch = try ScratchDirectory()
    let mapping = try CSVMapping.parse(
      "id: id\ntext: text\nauthor: name\nauthor-id: email\ndate: submitted\n", file: "mapping.yaml")
    var csv = "id,submitted,name,email,text\n"
    var id = 0
    func row(_ at: String, _ name: String, _ email: String, _ text: String) {
      id += 1
      csv += "\(id),\(at),\(name),\(email),\"\(text)\"\n"
    }
    // 30 copies of one letter in one second, from 30 senders.
    for i in 0..<30 {
      row("2017-05-13T10:00:00Z", "Sender \(i)", "s\(i)@mail.example", "Keep the internet open and fair.")
    }
    // One address behind 12 different submissions, spread over the day.
    for i in 0..<12 {
      row("2017-05-13T\(10 + i):30:00Z", "Bot Account", "bot@mail.example", "Comment number \(i) of many.")
    }
    // One name (Jane Roe) of 11 senders, one submission each, in one minute.
    for i in 0..<11 {
      row("2017-05-13T09:00:\(10 + i)Z", "Jane Roe", "jane\(i)@mail.example", "My own words, take \(i).")
    }
    let file = try scratch.write("docket.csv", csv)
    _ = try db.store.importSubmissions(
      MappedCSVSource(file, mapping: mapping), into: Scenario.slug, language: "en", actor: "i")

    let s = try db.store.campaignSignals(in: Scenario.slug, burstSize: 20, repeatedSize: 10)
    #expect(s.submissions == 53)
    #expect(s.burstSeconds == 1 && s.submissionsInBurstSeconds == 30)
    #expect(s.busiestSeconds.first?.submissions == 30 && s.busiestSeconds.first?.inCampaigns == 30)
    #expect(s.busiestSeconds.first?.start == Date(timeIntervalSince1970: 1_494_669_600))
    #expect(s.busiestMinutes.map(\.submissions).prefix(2) == [30, 11])
    #expect(s.sameSender.count == 1 && s.sameSender.submissions == 12 && s.sameSender.largest == [12])
    #expect(s.sameName.count == 1 && s.sameName.submissions == 11 && s.sameName.largest == [11])
    #expect(s.campaignsInBursts.count == 1)
    #expect(s.campaignsInBursts.first?.size == 30 && s.campaignsInBursts.first?.inBursts == 30)
    #expect(s.campaignsInBursts.first?.largestSecond == 30)
    #expect(s.campaignsInBursts.first?.excerpt == "Keep the internet open and fair.")
    // Nothing in the signals names a person.
    let encoded = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
    for personal in ["Jane", "Roe", "Bot Account", "bot@mail.example", "Sender 1", "s1@"] {
      #expect(!encoded.contains(personal))
    }
    // Higher thresholds: no burst, no repeated sender.
    let quiet = try db.store.campaignSignals(in: Scenario.slug, burstSize: 31, repeatedSize: 13)
    #expect(quiet.burstSeconds == 0 && quiet.campaignsInBursts.isEmpty)
    #expect(quiet.sameSender.count == 0 && quiet.sameName.count == 0)
    #expect(throws: StoreError.self) { try db.store.campaignSignals(in: Scenario.slug, burstSize: 1) }
  }
}
