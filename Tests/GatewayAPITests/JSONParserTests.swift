@testable import GatewayAPI
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) -> JSONValue? {
        Array(text.utf8).withUnsafeBytes { try? JSONParser.parse($0) }
    }

    @Test func readsEveryKindOfValue() {
        #expect(parse(#" {"a": [1, -2.5, 3e2, true, false, null, "x\n\u00e9\ud83d\ude00\"\/"], "b": {}} "#) == .object([
            "a": .array([.integer(1), .number(-2.5), .integer(300), .bool(true), .bool(false), .null, .string("x\né😀\"/")]),
            "b": .object([:]),
        ]))
        #expect(parse("9223372036854775807") == .integer(.max))
        #expect(parse("18446744073709551616") == .number(18446744073709551616))
        #expect(parse(#""héllo""#) == .string("héllo"))
        #expect(parse(#"{"k":1,"k":2}"#) == .object(["k": .integer(1)]))
    }

    /// Past a short scan an object is indexed by key: still the first of a repeated key, and
    /// objects compare as JSON does, whatever their member order.
    @Test func objectsWithManyMembers() {
        let members = (0..<40).map { "\"k\($0)\":\($0)" } + [#""k7":99"#]
        guard case .object(let object)? = parse("{" + members.joined(separator: ",") + "}") else {
            Issue.record("not an object")
            return
        }
        #expect(object.count == 40)
        #expect(object["k7"] == .integer(7))
        #expect(object["k39"] == .integer(39))
        #expect(object["k40"] == nil)
        #expect(parse(#"{"a":1,"b":[2]}"#) == parse(#"{"b":[2],"a":1}"#))
        #expect(parse(#"{"a":1,"b":2}"#) != parse(#"{"a":1,"c":2}"#))
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "1e", ".5", "+1", "tru", "nul",
        "\"unterminated", "\"tab\there\"", "\"bad \\x escape\"", "\"\\ud800 lone\"", "\"\\u12\"", "1 2", "[1] x",
        "NaN", "Infinity", "1e999",
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        let invalid: [UInt8] = [0x22, 0xFF, 0xFE, 0x22]
        #expect(invalid.withUnsafeBytes { try? JSONParser.parse($0) } == nil)
        #expect(parse(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)) == nil)
        #expect(parse(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)) != nil)
    }
}

@Suite struct MediaTypeTests {
    @Test(arguments: [
        ("application/json", true), ("application/json; charset=utf-8", true), ("Application/JSON", true),
        ("  application/json\t;x=1", true), ("application/jsonx", false), ("text/plain", false),
        ("application/json-patch+json", false), ("", false), ("application/jso", false),
    ])
    func recognisesJSON(_ contentType: String, _ expected: Bool) {
        #expect(OpenAIRequestHandler.isJSONMediaType(contentType) == expected)
    }
}
