import Foundation

/// SHA-256 (FIPS 180-4) of a file, streamed in 1 MiB reads: the repository checks weights
/// against their manifest's digest before loading them. Foundation on Linux has no digest
/// API, and the check needs nothing more than this.
enum SHA256 {
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    struct State {
        var hash: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        var pending: [UInt8] = []
        var length: UInt64 = 0

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            self.length &+= UInt64(bytes.count)
            var offset = 0
            if !self.pending.isEmpty {
                let take = min(64 - self.pending.count, bytes.count)
                self.pending.append(contentsOf: bytes[0..<take])
                offset = take
                if self.pending.count == 64 {
                    let block = self.pending
                    block.withUnsafeBytes { self.compress($0.baseAddress!) }
                    self.pending.removeAll(keepingCapacity: true)
                }
            }
            while offset + 64 <= bytes.count {
                self.compress(bytes.baseAddress! + offset)
                offset += 64
            }
            if offset < bytes.count { self.pending.append(contentsOf: bytes[offset...]) }
        }

        mutating func finish() -> String {
            let bitLength = self.length &* 8
            var tail: [UInt8] = [0x80]
            while (self.pending.count + tail.count) % 64 != 56 { tail.append(0) }
            for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            let savedLength = self.length
            tail.withUnsafeBytes { self.update($0) }
            self.length = savedLength
            return self.hash.map { word in
                let text = String(word, radix: 16)
                return String(repeating: "0", count: 8 - text.count) + text
            }.joined()
        }

        private mutating func compress(_ block: UnsafeRawPointer) {
            // The message schedule lives on the stack: one heap array per 64-byte block
            // would dominate the time on a 100 MB weights file.
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                self.compress(block, schedule: w)
            }
        }

        private mutating func compress(_ block: UnsafeRawPointer, schedule w: UnsafeMutableBufferPointer<UInt32>) {
            for i in 0..<16 {
                let b = block + i * 4
                w[i] = UInt32(b.load(as: UInt8.self)) << 24 | UInt32(b.load(fromByteOffset: 1, as: UInt8.self)) << 16
                    | UInt32(b.load(fromByteOffset: 2, as: UInt8.self)) << 8 | UInt32(b.load(fromByteOffset: 3, as: UInt8.self))
            }
            for i in 16..<64 {
                let s0 = w[i - 15].rotatedRight(7) ^ w[i - 15].rotatedRight(18) ^ (w[i - 15] >> 3)
                let s1 = w[i - 2].rotatedRight(17) ^ w[i - 2].rotatedRight(19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = (hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7])
            for i in 0..<64 {
                let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                let choice = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ choice &+ SHA256.roundConstants[i] &+ w[i]
                let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ majority
                (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            self.hash[0] &+= a; self.hash[1] &+= b; self.hash[2] &+= c; self.hash[3] &+= d
            self.hash[4] &+= e; self.hash[5] &+= f; self.hash[6] &+= g; self.hash[7] &+= h
        }
    }

    /// Lower-case hex digest of `bytes`.
    static func digest(_ bytes: [UInt8]) -> String {
        var state = State()
        bytes.withUnsafeBytes { state.update($0) }
        return state.finish()
    }

    /// Lower-case hex digest of the file at `path`, or nil when it cannot be read.
    static func digest(ofFileAt path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var state = State()
        do {
            // `read(upToCount:)` answers nil or empty data at the end of the file.
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { state.update($0) }
            }
        } catch {
            return nil
        }
        return state.finish()
    }
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 - count)) }
}
