/// A weight matrix in one of ggml's storage formats, as a GGUF tensor holds it: `rows` rows
/// of `columns` values (GGUF's ne0 = columns), each row `columns / type.blockSize` blocks,
/// rows back to back. The memory (usually the memory-mapped file) outlives the value.
///
/// `@unchecked Sendable`: `data` points at read-only weights that nothing writes after load.
public struct QuantizedMatrix: @unchecked Sendable {
    public let type: QuantType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer

    /// `columns` must be a whole number of `type`'s blocks; the GGUF reader checks it.
    public init(type: QuantType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
    }

    /// Bytes between the starts of consecutive rows.
    public var rowBytes: Int { self.columns / self.type.blockSize * self.type.bytesPerBlock }

    /// Bytes the whole matrix occupies.
    public var byteCount: Int { self.rows * self.rowBytes }
}
