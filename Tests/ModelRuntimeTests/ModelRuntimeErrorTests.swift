import ModelRuntime
import Testing

@Suite struct ModelRuntimeErrorTests {
    @Test func errorIsOneLineNamingTheSource() {
        let error = ModelRuntimeError("model.gguf", "wrong magic 0x00000000")
        #expect(error.description == "model.gguf: wrong magic 0x00000000")
        #expect(!error.description.contains("\n"))
    }
}
