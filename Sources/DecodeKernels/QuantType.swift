/// Tensor storage formats, numbered as ggml/GGUF numbers them. Weights arrive in these
/// formats and the kernels compute on them directly.
public enum QuantType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case q4_K = 12
    case q6_K = 14

    /// Elements per block; a row's length must be a multiple of it.
    public var blockSize: Int {
        switch self {
        case .f32, .f16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        case .q4_K, .q6_K: return 256
        }
    }

    /// Bytes one block occupies (ggml's layouts: fp16 scales, packed nibbles).
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .q4_0: return 2 + 16
        case .q4_1: return 2 + 2 + 16
        case .q8_0: return 2 + 32
        case .q4_K: return 2 + 2 + 12 + 128
        case .q6_K: return 128 + 64 + 16 + 2
        }
    }

    /// Bytes a row of `elements` values takes; nil when `elements` is not a whole number of blocks.
    public func rowBytes(elements: Int) -> Int? {
        guard elements >= 0, elements % self.blockSize == 0 else { return nil }
        return elements / self.blockSize * self.bytesPerBlock
    }

    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q8_0: return "Q8_0"
        case .q4_K: return "Q4_K"
        case .q6_K: return "Q6_K"
        }
    }
}
