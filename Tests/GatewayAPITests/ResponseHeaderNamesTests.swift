import GatewayAPI
import HTTPTypes
import Testing

@Suite struct ResponseHeaderNamesTests {
    @Test func headerNamesAreLowercase() {
        #expect(HTTPField.Name.requestID.canonicalName == "x-request-id")
        #expect(HTTPField.Name.modelVersion.canonicalName == "x-switchyard-model-version")
    }
}
