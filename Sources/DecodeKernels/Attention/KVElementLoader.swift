/// Reads sixteen consecutive stored elements of a KV tile as Floats (unscaled), one
/// conformance per `KVCacheFormat`, so the attention loop is written once and specialised
/// for each format.
protocol KVElementLoader {
    /// Whether the format stores a scale per (token, head) that must be applied.
    static var hasScales: Bool { get }
    /// Elements `element ..< element + 16` counted from `base`.
    func load16(_ base: UnsafeRawPointer, _ element: Int) -> SIMD16<Float>
}

struct Int8Loader: KVElementLoader {
    static var hasScales: Bool { true }

    @inline(__always)
    func load16(_ base: UnsafeRawPointer, _ element: Int) -> SIMD16<Float> {
        SIMD16<Float>(base.loadUnaligned(fromByteOffset: element, as: SIMD16<Int8>.self))
    }
}

struct FP8Loader: KVElementLoader {
    static var hasScales: Bool { true }

    /// `FP8E4M3.decodeTable`, copied once to memory that lives for the process and is never
    /// written after its initialiser, so sharing the pointer across threads is safe.
    nonisolated(unsafe) static let table: UnsafePointer<Float> = {
        let table = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        for code in 0..<256 { table[code] = FP8E4M3.decodeTable[code] }
        return UnsafePointer(table)
    }()

    let table: UnsafePointer<Float>

    init() {
        self.table = Self.table
    }

    @inline(__always)
    func load16(_ base: UnsafeRawPointer, _ element: Int) -> SIMD16<Float> {
        let codes = base.loadUnaligned(fromByteOffset: element, as: SIMD16<UInt8>.self)
        var result = SIMD16<Float>()
        for lane in 0..<16 { result[lane] = self.table[Int(codes[lane])] }
        return result
    }
}

struct FP16Loader: KVElementLoader {
    static var hasScales: Bool { false }

    @inline(__always)
    func load16(_ base: UnsafeRawPointer, _ element: Int) -> SIMD16<Float> {
        HalfFloat.decode(base.loadUnaligned(fromByteOffset: element * 2, as: SIMD16<UInt16>.self))
    }
}
