/// IEEE half-precision conversions for the fp16 scales inside quantized blocks. Swift's
/// `Float16` is available on x86-64 Linux; these read and write its bits at unaligned offsets,
/// as GGUF blocks place them.
@inline(__always)
func loadHalf(_ base: UnsafeRawPointer, _ byteOffset: Int) -> Float {
    Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: byteOffset, as: UInt16.self)))
}

@inline(__always)
func storeHalf(_ value: Float, _ base: UnsafeMutableRawPointer, _ byteOffset: Int) {
    base.storeBytes(of: Float16(value).bitPattern, toByteOffset: byteOffset, as: UInt16.self)
}

/// Rounds half away from zero, as C's `roundf` does in ggml's quantizers.
@inline(__always)
func roundToInt(_ value: Float) -> Int {
    Int(value.rounded(.toNearestOrAwayFromZero))
}
