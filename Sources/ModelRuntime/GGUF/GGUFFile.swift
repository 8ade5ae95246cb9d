import DecodeKernels
import Glibc

/// A GGUF file (versions 2 and 3) mapped read-only into memory. Metadata is parsed once;
/// tensor data is never copied: `tensorData(_:)` returns views into the mapping, valid for
/// as long as this object lives.
///
/// `@unchecked Sendable`: every stored property is immutable after `init`, and the mapping
/// is read-only (PROT_READ), so sharing the object across threads cannot race.
public final class GGUFFile: @unchecked Sendable {
    /// The path as given; every error names it.
    public let path: String
    public let version: UInt32
    /// Keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFMetadataValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Offset of the tensor data section from the start of the file.
    public let dataOffset: Int
    /// The whole mapped file.
    public let bytes: UnsafeRawBufferPointer

    private let tensorIndex: [String: Int]
    private let mapping: UnsafeMutableRawPointer?
    private let mappedSize: Int

    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian u32
    public static let defaultAlignment = 32
    public static let supportedVersions: ClosedRange<UInt32> = 2...3

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ModelRuntimeError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ModelRuntimeError(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw ModelRuntimeError(path, "not a regular file")
        }
        let size = Int(status.st_size)
        var mapping: UnsafeMutableRawPointer? = nil
        if size > 0 {
            let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let address, address != MAP_FAILED else {
                throw ModelRuntimeError(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
            }
            mapping = address
        }
        self.mapping = mapping
        self.mappedSize = size
        self.bytes = UnsafeRawBufferPointer(start: mapping.map { UnsafeRawPointer($0) }, count: size)

        // Parse; on failure unmap before rethrowing (deinit does not run for a failed init).
        do {
            let header = try Self.parse(self.bytes, fileName: path)
            self.version = header.version
            self.metadataKeys = header.keys
            self.metadata = header.metadata
            self.tensors = header.tensors
            self.alignment = header.alignment
            self.dataOffset = header.dataOffset
            self.tensorIndex = header.tensorIndex
        } catch {
            if let mapping { munmap(mapping, size) }
            throw error
        }
    }

    deinit {
        if let mapping = self.mapping { munmap(mapping, self.mappedSize) }
    }

    public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
        self.tensorIndex[name].map { self.tensors[$0] }
    }

    /// The bytes of tensor `name`; bounds were checked when the file was opened.
    public func tensorData(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let info = self.tensorInfo(name) else {
            throw ModelRuntimeError(self.path, "missing tensor \(name)")
        }
        return self.tensorData(info)
    }

    public func tensorData(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = self.dataOffset + info.offset
        return UnsafeRawBufferPointer(rebasing: self.bytes[start..<(start + info.byteCount)])
    }
}
