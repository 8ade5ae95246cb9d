/// One GPU of a fleet: its node and its index on the node.
public struct DeviceID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var node: Int
    public var index: Int

    public init(node: Int, index: Int) {
        self.node = node
        self.index = index
    }

    public var description: String { "n\(self.node)/gpu\(self.index)" }

    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool {
        (lhs.node, lhs.index) < (rhs.node, rhs.index)
    }
}

/// `NODESxDEVICES`, e.g. `1x8` (one p5e node) or `4x8`.
public struct FleetShape: Sendable, Hashable, Codable, CustomStringConvertible {
    public var nodes: Int
    public var devicesPerNode: Int

    public init(nodes: Int, devicesPerNode: Int) {
        self.nodes = nodes
        self.devicesPerNode = devicesPerNode
    }

    public init(parsing text: String) throws(DeviceSimulationError) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let nodes = Int(parts[0]), let devices = Int(parts[1]),
            (1...1024).contains(nodes), (1...64).contains(devices)
        else {
            throw DeviceSimulationError(.invalidSpecification, "fleet '\(text)': expected NODESxDEVICES such as 1x8 (1...1024 nodes, 1...64 devices each)")
        }
        self.init(nodes: nodes, devicesPerNode: devices)
    }

    public var description: String { "\(self.nodes)x\(self.devicesPerNode)" }

    public var devices: [DeviceID] {
        (0..<self.nodes).flatMap { node in (0..<self.devicesPerNode).map { DeviceID(node: node, index: $0) } }
    }
}
