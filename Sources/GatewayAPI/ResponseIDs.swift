import GatewayCore
import Synchronization

/// Response ids (`cmpl-…`, `chatcmpl-…`): a random prefix drawn once per handler and a
/// counter, so ids are unique without a random draw (a system call) per response.
final class ResponseIDs: Sendable {
    /// Each endpoint's id prefix joined to the random one, once.
    private let completionsPrefix: String
    private let chatPrefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        // A fresh request id's hex digits serve as the random prefix.
        let random = String(RequestID.random().rawValue.dropFirst("req_".count).prefix(12))
        self.completionsPrefix = CompletionRequest.Endpoint.completions.idPrefix + random
        self.chatPrefix = CompletionRequest.Endpoint.chat.idPrefix + random
    }

    func next(_ endpoint: CompletionRequest.Endpoint) -> String {
        let number = self.counter.add(1, ordering: .relaxed).newValue
        let prefix = endpoint == .chat ? self.chatPrefix : self.completionsPrefix
        return RequestIDs.id(prefix: prefix, counter: number, digits: 12)
    }
}
