import DecodeKernels
import ModelRuntime
import Testing

/// A model file that does not describe a runnable Llama is a one-line error at load time.
@Suite struct LlamaModelLoadingTests {
    static func loadError(_ writer: GGUFWriter) throws -> ModelRuntimeError? {
        let directory = try TemporaryDirectory()
        let path = directory.file("bad.gguf")
        try writer.write(to: path)
        do {
            _ = try LlamaModel(path: path)
            return nil
        } catch let error as ModelRuntimeError {
            #expect(error.source == path && !error.description.contains("\n"))
            return error
        }
    }

    @Test func missingTensor() throws {
        var tiny = TinyLlama()
        tiny.omittedTensors = ["blk.1.attn_k.weight"]
        #expect(try Self.loadError(tiny.writer())?.problem == "missing tensor blk.1.attn_k.weight")
    }

    @Test func metadataOfTheWrongTypeOrMissing() throws {
        var writer = TinyLlama().writer()
        writer.set("llama.block_count", .string("2"))
        #expect(try Self.loadError(writer)?.problem == "metadata llama.block_count is string, expected an integer")
        writer = TinyLlama().writer()
        writer.set("llama.attention.layer_norm_rms_epsilon", .bool(true))
        #expect(try Self.loadError(writer)?.problem.contains("expected a float") == true)
        writer = TinyLlama().writer()
        writer.set("general.architecture", .string("mamba"))
        #expect(try Self.loadError(writer)?.problem == "architecture mamba is not supported (only llama)")
    }

    @Test func shapesThatDoNotFit() throws {
        var writer = TinyLlama().writer()
        writer.set("llama.attention.head_count_kv", .uint32(3))
        #expect(try Self.loadError(writer)?.problem == "4 query heads cannot be grouped over 3 KV heads")
        writer = TinyLlama().writer()
        writer.set("llama.feed_forward_length", .uint32(128))
        #expect(try Self.loadError(writer)?.problem.contains("blk.0.ffn_gate.weight has shape [64, 96], expected [64, 128]") == true)
    }
}
