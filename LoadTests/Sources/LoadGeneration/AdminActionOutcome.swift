/// What one admin action did: when it was sent and answered (seconds from the run's start),
/// the admin API's status and message, and the model versions taking weighted traffic once
/// it was answered.
public struct AdminActionOutcome: Sendable, Hashable, Codable {
    public var action: AdminAction
    public var sentAt: Double
    public var answeredAt: Double
    /// The HTTP status; nil when no answer came.
    public var status: Int?
    /// The error's message, or what the answer said (a validation summary, the version's state).
    public var message: String
    /// `MODEL@VERSION` of every version with a traffic weight above zero after the answer.
    public var inForceAfter: [String]

    public init(action: AdminAction, sentAt: Double, answeredAt: Double, status: Int?, message: String, inForceAfter: [String]) {
        self.action = action
        self.sentAt = sentAt
        self.answeredAt = answeredAt
        self.status = status
        self.message = message
        self.inForceAfter = inForceAfter
    }

    public var succeeded: Bool { self.status.map { (200..<300).contains($0) } ?? false }
}
