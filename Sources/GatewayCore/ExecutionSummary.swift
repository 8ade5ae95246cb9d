/// Where and how long a request ran on its replica's simulated device: the device (or TP
/// group) it was pinned to and the simulated time of every iteration it took part in. The
/// telemetry layer turns it into trace attributes; `Usage.execution` carries it to the
/// `.finished` event.
public struct ExecutionSummary: Sendable, Equatable {
    /// One iteration the request took part in.
    public struct Iteration: Sendable, Equatable {
        /// The scheduler's step id.
        public var step: UInt64
        /// Tokens of this request the iteration processed (a prompt chunk, or 1 to decode).
        public var tokens: Int
        /// What the whole iteration takes on the simulated device.
        public var deviceTime: Duration

        public init(step: UInt64, tokens: Int, deviceTime: Duration) {
            self.step = step
            self.tokens = tokens
            self.deviceTime = deviceTime
        }
    }

    /// Device model, e.g. `H200 SXM`; empty when the replica is pinned to no device.
    public var deviceModel: String
    /// The devices of the replica's TP group, e.g. `["n0/gpu3"]`.
    public var devices: [String]
    public var iterations: [Iteration]

    public init(deviceModel: String, devices: [String], iterations: [Iteration] = []) {
        self.deviceModel = deviceModel
        self.devices = devices
        self.iterations = iterations
    }

    /// Simulated device time of all the request's iterations.
    public var deviceTime: Duration { self.iterations.reduce(.zero) { $0 + $1.deviceTime } }
}
