import ConsultStore
import Foundation

/// Renders the attendance of a consultation's workshops as CSV or JSON: one
/// row per workshop × invitation, workshops by start time, invitations by
/// stakeholder group then invitation id.
///
/// Columns (CSV header and JSON keys, in this order): `workshop` (key),
/// `stakeholder_group` (group key), `invitation_state` (the invitation
/// machine's current state, e.g. `attended`, `no-show`, `declined`), `rsvp`
/// (the last reply: `accepted`, `tentative`, `declined`; empty/null when none),
/// `attended` (`true`/`false`), `name`, `organisation`.
///
/// A workshop held under the Chatham House Rule has no rows at all: its
/// attendance list is not published (the rule protects the identity and
/// affiliation of every participant, and a per-person list of stakeholder
/// groups would reveal affiliations); its participation appears only as
/// counts by stakeholder group in the proceedings summary — unless the
/// workshop says its attendance list may be published
/// (`consult workshop add --publish-attendance`, `consult workshop
/// attendance-list`), and then its rows are listed with names as for an open
/// workshop. The JSON form is
/// `{"attendance": [ROW, …], "consultation": SLUG, "schema": "consult.attendance/1"}`.
public struct AttendanceExporter {
  /// The column names, in order.
  public static let columns = [
    "workshop", "stakeholder_group", "invitation_state", "rsvp", "attended", "name", "organisation",
  ]
  /// The JSON schema identifier.
  public static let schema = "consult.attendance/1"

  /// Makes an exporter.
  public init() {}

  /// Renders the records.
  ///
  /// - Parameters:
  ///   - records: What the store read (``ConsultStore/attendanceRecords(of:)``).
  ///   - consultation: The consultation's slug (JSON only).
  ///   - format: CSV or JSON.
  /// - Returns: The bytes (UTF-8), ending in a line break.
  /// - Throws: `EncodingError`; CSV.swift's errors.
  public func render(_ records: [AttendanceRecord], consultation: String, format: TabularFormat) throws -> Data {
    let rows = records.filter { !$0.chathamHouse || $0.publishAttendance }.map(Self.row)
    switch format {
    case .csv:
      return try CSVChunk.encode(
        [Self.columns]
          + rows.map {
            [
              $0.workshop, $0.stakeholderGroup.value ?? "", $0.invitationState, $0.rsvp.value ?? "",
              $0.attended ? "true" : "false", $0.name.value ?? "", $0.organisation.value ?? "",
            ]
          })
    case .json:
      var data = try ExportJSON.encoder(pretty: true).encode(
        Document(attendance: rows, consultation: consultation, schema: Self.schema))
      data.append(0x0A)
      return data
    }
  }

  struct Row: Encodable {
    let workshop: String
    let stakeholderGroup: Nullable<String>
    let invitationState: String
    let rsvp: Nullable<String>
    let attended: Bool
    let name: Nullable<String>
    let organisation: Nullable<String>
  }

  struct Document: Encodable {
    let attendance: [Row]
    let consultation: String
    let schema: String
  }

  /// The published row of a workshop whose attendance list may be published.
  static func row(_ record: AttendanceRecord) -> Row {
    Row(
      workshop: record.workshop, stakeholderGroup: Nullable(record.groupKey), invitationState: record.state,
      rsvp: Nullable(record.reply), attended: record.attended, name: Nullable(record.name),
      organisation: Nullable(record.organisationName))
  }
}
