/// Who must approve a consultation's draft before its latest revision is final, as a workflow
/// file declares it under `sign-off:`:
///
/// ```yaml
/// sign-off:
///   approvers: [workshop-hosts, bmvg]   # every co-host of the consultation's workshops; named stakeholders
///   event: finalise                     # the draft machine's event fired once all have approved
/// ```
public struct SignOffRule: Sendable, Equatable {
  /// One entry of `approvers:`.
  public enum Approver: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `workshop-hosts`: every stakeholder who hosts one of the consultation's workshops.
    case workshopHosts
    /// A stakeholder, by handle.
    case stakeholder(String)

    /// The spelling in workflow files.
    public var description: String {
      switch self {
      case .workshopHosts: SignOffRule.workshopHostsKeyword
      case .stakeholder(let handle): handle
      }
    }
  }

  /// The keyword that names every co-host of the consultation's workshops.
  public static let workshopHostsKeyword = "workshop-hosts"

  /// The approvers, as written (at least one).
  public let approvers: [Approver]
  /// The draft machine's event fired when every approver has approved the latest revision.
  public let event: String

  /// Makes a rule.
  public init(approvers: [Approver], event: String) {
    self.approvers = approvers
    self.event = event
  }
}
