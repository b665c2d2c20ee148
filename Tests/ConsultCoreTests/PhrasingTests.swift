import ConsultCore
import Testing

@Suite("Phrasing: grouped numbers, plurals, near misses")
struct PhrasingTests {
  @Test("numbers are grouped by three with commas; plurals are real")
  func numbers() {
    #expect(Phrasing.grouped(0) == "0")
    #expect(Phrasing.grouped(999) == "999")
    #expect(Phrasing.grouped(60_000) == "60,000")
    #expect(Phrasing.grouped(-1_234_567) == "-1,234,567")
    #expect(Phrasing.counted(1, "record") == "1 record")
    #expect(Phrasing.counted(0, "record") == "0 records")
    #expect(Phrasing.counted(12_210, "record") == "12,210 records")
    #expect(Phrasing.counted(2, "entity", plural: "entities") == "2 entities")
  }

  @Test("the closest name by edit distance, only when it is a likely slip")
  func closest() {
    let events = ["schedule", "postpone", "hold", "summarise", "cancel"]
    #expect(Phrasing.closest(to: "shedule", among: events) == "schedule")
    #expect(Phrasing.closest(to: "hodl", among: events) == "hold")
    #expect(Phrasing.closest(to: "dance", among: events) == nil)
    #expect(Phrasing.closest(to: "publish", among: events) == nil)
    #expect(Phrasing.closest(to: "cyber", among: ["cyber-security", "climate"]) == "cyber-security")
    #expect(Phrasing.closest(to: "WP", among: ["wp", "other"]) == "wp")
    #expect(Phrasing.closest(to: "white-paper-2106", among: ["white-paper-2016"]) == "white-paper-2016")
    #expect(Phrasing.closest(to: "wp", among: ["wp"]) == nil)
    #expect(Phrasing.didYouMean("acept", among: ["accept", "decline"]) == " (did you mean 'accept'?)")
    #expect(Phrasing.didYouMean("zzz", among: ["accept", "decline"]) == "")
  }
}
