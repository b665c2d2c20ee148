import Foundation
import Testing

@testable import ConsultImport

@Suite("HTML character references in source texts")
struct HTMLEntitiesTests {
  @Test("named, decimal and hexadecimal references are decoded once; anything else stays")
  func decoding() {
    #expect(HTMLEntities.decode("now &amp; stop") == "now & stop")
    #expect(HTMLEntities.decode("&quot;waiver&quot; &#39;x&#39; &apos;y&apos;") == "\"waiver\" 'x' 'y'")
    #expect(HTMLEntities.decode("&lt;b&gt; &#x2019; &#8212; &eacute;t&eacute;") == "<b> ’ — été")
    #expect(HTMLEntities.decode("&amp;lt;") == "&lt;")
    #expect(
      HTMLEntities.decode("AT&T & Co; &unknown; &#0; &#xD800; &#; &amp")
        == "AT&T & Co; &unknown; &#0; &#xD800; &#; &amp")
    #expect(HTMLEntities.decode("no references") == "no references")
  }

  @Test("regulations.gov comment texts are stored as typed")
  func regulationsGovTexts() throws {
    let dir = try FixtureDirectory()
    let docket = try dir.write("docket.csv", Docket.file(Docket.row("D-1")))
    let texts = try dir.write(
      "texts.csv", Docket.textsHeader + "D-1,Please support waiver reform now &amp; stop &quot;handouts&quot;\n")
    let records = try Docket.readAll(RegulationsGovSource(docketFile: docket, textsFile: texts))
    #expect(records.first?.text == "Please support waiver reform now & stop \"handouts\"")
  }
}
