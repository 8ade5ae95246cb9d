/// Why a simulation cannot run, as one line (a bad model, fleet, workload or SLO).
public struct SimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
