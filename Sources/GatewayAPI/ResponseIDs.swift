import GatewayCore
import Synchronization

/// Response ids (`cmpl-…`, `chatcmpl-…`): a random prefix drawn once per handler and a
/// counter, so ids are unique without a random draw (a system call) per response.
final class ResponseIDs: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        // A fresh request id's hex digits serve as the random prefix.
        self.prefix = String(RequestID.random().rawValue.dropFirst("req_".count).prefix(12))
    }

    func next(_ endpoint: CompletionRequest.Endpoint) -> String {
        let number = self.counter.add(1, ordering: .relaxed).newValue
        let hex = String(number, radix: 16)
        return endpoint.idPrefix + self.prefix + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }
}
