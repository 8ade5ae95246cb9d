import DecodeKernels

/// One transformer block's weights, as views into the mapped file.
///
/// `@unchecked Sendable`: the buffers point into a read-only mapping that the owning
/// `LlamaModel` keeps alive and nothing ever writes.
public struct LlamaLayerWeights: @unchecked Sendable {
    public var attentionNorm: UnsafeBufferPointer<Float>
    public var query: QuantizedMatrix
    public var key: QuantizedMatrix
    public var value: QuantizedMatrix
    public var attentionOutput: QuantizedMatrix
    public var feedForwardNorm: UnsafeBufferPointer<Float>
    public var gate: QuantizedMatrix
    public var up: QuantizedMatrix
    public var down: QuantizedMatrix
}

extension GGUFFile {
    /// Tensor `name` as a matrix of `rows` outputs over `columns` inputs (ggml dims
    /// `[columns, rows]`), checked against the shape the configuration implies.
    func matrix(_ name: String, rows: Int, columns: Int) throws -> QuantizedMatrix {
        guard let info = self.tensorInfo(name) else {
            throw ModelRuntimeError(self.path, "missing tensor \(name)")
        }
        guard info.dimensions == [columns, rows] else {
            throw ModelRuntimeError(self.path, "tensor \(name) has shape \(info.dimensions), expected [\(columns), \(rows)]")
        }
        guard let base = self.tensorData(info).baseAddress else {
            throw ModelRuntimeError(self.path, "tensor \(name) is empty")
        }
        return QuantizedMatrix(type: info.type, rows: rows, columns: columns, data: base)
    }

    /// An F32 vector of `count` values (norm weights).
    func vector(_ name: String, count: Int) throws -> UnsafeBufferPointer<Float> {
        guard let info = self.tensorInfo(name) else {
            throw ModelRuntimeError(self.path, "missing tensor \(name)")
        }
        guard info.dimensions == [count] else {
            throw ModelRuntimeError(self.path, "tensor \(name) has shape \(info.dimensions), expected [\(count)]")
        }
        guard info.type == .f32 else {
            throw ModelRuntimeError(self.path, "tensor \(name) is \(info.type), expected F32")
        }
        let data = self.tensorData(info)
        // The data section and every tensor offset are aligned (at least 4), so the floats are too.
        return UnsafeBufferPointer(start: data.baseAddress?.assumingMemoryBound(to: Float.self), count: count)
    }
}
