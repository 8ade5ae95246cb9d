import DeviceSimulation
import Testing

@Suite struct HBMLedgerTests {
    let gigabyte = 1_000_000_000

    @Test func neverOverCommitsAndFreesOnUnload() throws {
        var ledger = HBMLedger(device: DeviceID(node: 0, index: 0), capacityBytes: 100 * self.gigabyte, utilizationLimit: 0.9)
        #expect(ledger.usableBytes == 90 * self.gigabyte)
        try ledger.commit(HBMAllocation(replica: "a", weightBytes: 40 * self.gigabyte, kvBytes: 10 * self.gigabyte, reserveBytes: self.gigabyte))
        try ledger.commit(HBMAllocation(replica: "b", weightBytes: 30 * self.gigabyte, kvBytes: 5 * self.gigabyte, reserveBytes: self.gigabyte))
        #expect(ledger.freeBytes == 3 * self.gigabyte)
        let before = ledger
        let error = #expect(throws: DeviceSimulationError.self) {
            try ledger.commit(HBMAllocation(replica: "c", weightBytes: 4 * self.gigabyte, kvBytes: 0, reserveBytes: 0))
        }
        #expect(error?.code == .overCommit)
        #expect(error?.message.contains("short by 1.0 GB") == true)
        #expect(ledger == before)
        #expect(ledger.committedBytes <= ledger.usableBytes)

        let released = ledger.release(replica: "a")
        let releasedAgain = ledger.release(replica: "a")
        #expect(released && !releasedAgain)
        #expect(ledger.freeBytes == 54 * self.gigabyte)
        try ledger.commit(HBMAllocation(replica: "c", weightBytes: 50 * self.gigabyte, kvBytes: 0, reserveBytes: 0))
        #expect(ledger.replicas == ["b", "c"])
        #expect(ledger.weightBytes == 80 * self.gigabyte && ledger.kvBytes == 5 * self.gigabyte && ledger.reserveBytes == self.gigabyte)
    }

    @Test func utilizationCountsTheKVInUse() throws {
        var ledger = HBMLedger(device: DeviceID(node: 0, index: 1), capacityBytes: 100 * self.gigabyte, utilizationLimit: 0.9)
        try ledger.commit(HBMAllocation(replica: "a", weightBytes: 20 * self.gigabyte, kvBytes: 40 * self.gigabyte, reserveBytes: 0))
        #expect(abs(ledger.utilization - 0.2) < 1e-9)
        #expect(abs(ledger.committedFraction - 0.6) < 1e-9)
        try ledger.recordKVInUse(replica: "a", bytes: 10 * self.gigabyte)
        #expect(abs(ledger.utilization - 0.3) < 1e-9)
        // Clamped to the reserve; an unknown replica is an error.
        try ledger.recordKVInUse(replica: "a", bytes: 100 * self.gigabyte)
        #expect(abs(ledger.utilization - 0.6) < 1e-9)
        #expect(throws: DeviceSimulationError.self) { try ledger.recordKVInUse(replica: "z", bytes: 1) }
        ledger.release(replica: "a")
        #expect(ledger.utilization == 0)
    }

    @Test func duplicateAndNegativeAllocationsAreRefused() throws {
        var ledger = HBMLedger(device: DeviceID(node: 0, index: 0), capacityBytes: 10 * self.gigabyte, utilizationLimit: 1)
        try ledger.commit(HBMAllocation(replica: "a", weightBytes: 1, kvBytes: 1, reserveBytes: 1))
        #expect(throws: DeviceSimulationError.self) { try ledger.commit(HBMAllocation(replica: "a", weightBytes: 1, kvBytes: 1, reserveBytes: 1)) }
        #expect(throws: DeviceSimulationError.self) { try ledger.commit(HBMAllocation(replica: "b", weightBytes: -5, kvBytes: 1, reserveBytes: 1)) }
    }
}
