import ConsultStore
import Foundation

/// Renders a consultation's workshops as an iCalendar object (RFC 5545):
/// one VCALENDAR with one VEVENT per workshop.
///
/// - `UID` is `workshop-<id>@<slug>.consult`, stable across exports.
/// - `DTSTAMP` is the last change of the workshop or one of its invitations
///   in the event log (not the export time, so exports are deterministic);
///   `CREATED` is when the workshop was recorded.
/// - `DTSTART`/`DTEND` are UTC date-times (`…Z`, RFC 5545 §3.3.5 form #2);
///   the workshop's IANA zone is not needed to read them.
/// - `SEQUENCE` counts the workshop's `postpone` and `cancel` events (§3.8.7.4).
/// - `STATUS` (§3.8.1.11): `cancelled` → CANCELLED, `planned` → TENTATIVE,
///   any other state → CONFIRMED.
/// - `ORGANIZER` is the first co-host, `ORGANIZER;CN="…":mailto:…`, written
///   only when that stakeholder has an e-mail address; otherwise omitted.
/// - One `ATTENDEE` per invitation (withdrawn ones left out), its address
///   `mailto:` the e-mail address when recorded, else `urn:uuid:` a stable
///   RFC 4122 version 3 UUID of the stakeholder, with `PARTSTAT` from the
///   invitation: accepted/attended → ACCEPTED, declined → DECLINED, tentative
///   → TENTATIVE, no-show → its last reply, anything else → NEEDS-ACTION.
/// - **Chatham House Rule:** for a workshop under the rule (unless it allows publishing its
///   attendance list, `Workshop.publishAttendance`) no `ATTENDEE` line is
///   written at all (neither names nor addresses), and the DESCRIPTION says so.
///
/// Lines end in CRLF and are folded at 75 octets without splitting a UTF-8
/// sequence (§3.1); TEXT values escape `\`, `;`, `,` and newlines (§3.3.11);
/// `CN` parameter values are quoted, with `"` replaced by `'` and control
/// characters by spaces (§3.2).
public struct CalendarExporter {
  /// The product identifier written to `PRODID` (§3.7.3).
  public static let productID = "-//consult//consult export calendar//EN"

  /// Makes an exporter.
  public init() {}

  /// Renders the calendar.
  ///
  /// - Parameters:
  ///   - workshops: What the store read (``ConsultStore/calendarWorkshops(of:)``).
  ///   - consultation: The consultation's slug (used in UIDs).
  ///   - title: The consultation's title (calendar `NAME`, RFC 7986 §5.1).
  /// - Returns: The iCalendar text, CRLF line endings.
  public func render(_ workshops: [CalendarWorkshop], consultation: String, title: String) -> String {
    var lines = [
      "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + Self.productID, "CALSCALE:GREGORIAN",
      "NAME:" + Self.text(title),
    ]
    for item in workshops {
      let workshop = item.workshop
      lines.append("BEGIN:VEVENT")
      lines.append("UID:workshop-\(workshop.id)@\(consultation).consult")
      lines.append("DTSTAMP:" + Self.dateTime(item.lastChangedAt))
      lines.append("CREATED:" + Self.dateTime(item.createdAt))
      lines.append("DTSTART:" + Self.dateTime(workshop.startsAt))
      lines.append("DTEND:" + Self.dateTime(workshop.endsAt))
      lines.append("SEQUENCE:\(item.revisions)")
      lines.append("STATUS:" + Self.status(workshop.state))
      lines.append("SUMMARY:" + Self.text(workshop.title))
      if let venue = workshop.venue { lines.append("LOCATION:" + Self.text(venue)) }
      let listed = !workshop.chathamHouse || workshop.publishAttendance
      if workshop.chathamHouse {
        lines.append(
          "DESCRIPTION:"
            + Self.text(
              listed
                ? "Held under the Chatham House Rule; statements are not attributed."
                : "Held under the Chatham House Rule; participants are not listed."))
      }
      if let email = item.organizerEmail, let address = Self.mailto(email) {
        let name = item.organizerName.map { ";CN=" + Self.parameter($0) } ?? ""
        lines.append("ORGANIZER\(name):\(address)")
      }
      if listed {
        for invitee in item.invitees where invitee.state != "withdrawn" {
          let address = invitee.email.flatMap(Self.mailto) ?? "urn:uuid:" + Self.uuid(digest: invitee.nameDigest)
          lines.append(
            "ATTENDEE;CN=\(Self.parameter(invitee.name));PARTSTAT=\(Self.partstat(invitee)):\(address)")
        }
      }
      lines.append("END:VEVENT")
    }
    lines.append("END:VCALENDAR")
    return lines.map(Self.fold).joined()
  }

  /// A UTC date-time, `yyyyMMdd'T'HHmmss'Z'` (§3.3.5).
  static func dateTime(_ date: Date) -> String {
    ProceedingsView.format(date, "yyyyMMdd'T'HHmmss'Z'", zone: "UTC")
  }

  /// STATUS from the workshop state.
  static func status(_ state: String) -> String {
    switch state {
    case "cancelled": return "CANCELLED"
    case "planned": return "TENTATIVE"
    default: return "CONFIRMED"
    }
  }

  /// PARTSTAT (§3.2.12) from the invitation state and last reply.
  static func partstat(_ invitee: CalendarWorkshop.Invitee) -> String {
    func fromReply(_ state: String?) -> String {
      switch state {
      case "accepted", "attended": return "ACCEPTED"
      case "declined": return "DECLINED"
      case "tentative": return "TENTATIVE"
      default: return "NEEDS-ACTION"
      }
    }
    return invitee.state == "no-show" ? fromReply(invitee.reply) : fromReply(invitee.state)
  }

  /// A TEXT value escaped per §3.3.11: `\` `;` `,` escaped, line breaks as `\n`.
  static func text(_ value: String) -> String {
    var result = ""
    for scalar in value.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars {
      switch scalar {
      case "\\": result += "\\\\"
      case ";": result += "\\;"
      case ",": result += "\\,"
      case "\n", "\r": result += "\\n"
      default:
        // Other control characters are not allowed in TEXT (§3.3.11 ESCAPED-CHAR / TSAFE-CHAR).
        result.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
      }
    }
    return result
  }

  /// A quoted parameter value (§3.2 quoted-string): `"` becomes `'`, control characters spaces.
  static func parameter(_ value: String) -> String {
    let safe = String(
      String.UnicodeScalarView(
        value.unicodeScalars.map { $0 == "\"" ? "'" : ($0.value < 0x20 || $0.value == 0x7F ? " " : $0) }))
    return "\"" + safe + "\""
  }

  /// A `mailto:` URI (RFC 6068) for a plain address, or nil when it has characters needing encoding.
  static func mailto(_ email: String) -> String? {
    let trimmed = email.trimmingCharacters(in: .whitespaces)
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "@.-_+"))
    guard trimmed.contains("@"), trimmed.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
      return nil
    }
    return "mailto:" + trimmed
  }

  /// An RFC 4122 version 3 UUID (lower case) from an MD5 digest in hex: version and variant bits set (§4.3).
  static func uuid(digest: String) -> String {
    var bytes = stride(from: 0, to: min(digest.count, 32), by: 2).map { offset -> UInt8 in
      let start = digest.index(digest.startIndex, offsetBy: offset)
      return UInt8(digest[start..<digest.index(start, offsetBy: 2)], radix: 16) ?? 0
    }
    while bytes.count < 16 { bytes.append(0) }
    bytes[6] = (bytes[6] & 0x0F) | 0x30
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    let hex = bytes.map { String(format: "%02x", $0) }.joined()
    let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
      String(
        hex[
          hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)]
      )
    }
    return parts.joined(separator: "-")
  }

  /// A content line folded at 75 octets (§3.1): continuation lines start with
  /// one space; no UTF-8 sequence is split. Every line ends in CRLF.
  static func fold(_ line: String) -> String {
    var result = ""
    var octets = 0
    for scalar in line.unicodeScalars {
      let size = String(scalar).utf8.count
      if octets + size > 75 {
        result += "\r\n "
        octets = 1
      }
      result.unicodeScalars.append(scalar)
      octets += size
    }
    return result + "\r\n"
  }
}
