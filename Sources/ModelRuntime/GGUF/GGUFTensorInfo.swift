import DecodeKernels

/// Where one tensor lives in a GGUF file. `dimensions[0]` is the innermost (contiguous)
/// dimension, as ggml orders them: a weight matrix with `rows` outputs over `columns` inputs
/// is `[columns, rows]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    public var dimensions: [Int]
    public var type: QuantType
    /// Offset from the start of the tensor data section.
    public var offset: Int
    /// Bytes the tensor occupies.
    public var byteCount: Int

    public var elementCount: Int { self.dimensions.reduce(1, *) }
    /// Length of the innermost dimension.
    public var columns: Int { self.dimensions.first ?? 1 }
    /// Product of the outer dimensions: how many rows of `columns` elements.
    public var rows: Int { self.dimensions.dropFirst().reduce(1, *) }
}
