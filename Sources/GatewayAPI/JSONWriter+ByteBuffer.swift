import GatewayCore
import NIOCore

extension JSONWriter {
    /// What was written, in one buffer.
    var buffer: ByteBuffer { ByteBuffer(bytes: self.output) }
}
