#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Sampler {
    /// The sampled token with its log-probability and the top alternatives when the
    /// configuration asks for them: log-softmax of the penalised logits, before temperature.
    func describe(_ id: Int32, in logits: UnsafeBufferPointer<Float>, maximum: Float) -> SampledToken {
        let isStop = self.configuration.stopTokenIDs.contains(id)
        guard let alternatives = self.configuration.topLogprobs else {
            return SampledToken(id: id, logprob: nil, topLogprobs: [], isStop: isStop)
        }
        var sum = 0.0
        for index in 0..<logits.count {
            sum += exp(Double(logits[index] - maximum))
        }
        let logNormaliser = Double(maximum) + log(sum)
        func logprob(_ index: Int32) -> Float {
            Float(Double(logits[Int(index)]) - logNormaliser)
        }
        let top = LargestValues.indices(of: logits, count: alternatives).map {
            TokenLogprob(id: $0, logprob: logprob($0))
        }
        return SampledToken(id: id, logprob: logprob(id), topLogprobs: top, isStop: isStop)
    }
}
