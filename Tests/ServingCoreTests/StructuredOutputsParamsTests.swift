import ServingCore
import Testing

@Suite("Structured-output parameters")
struct StructuredOutputsParamsTests {
    @Test("an empty constraint, an empty choice list or an oversized spec is refused naming structured_outputs")
    func validation() throws {
        let bad: [StructuredOutputsParams] = [
            StructuredOutputsParams(kind: .json), StructuredOutputsParams(kind: .regex),
            StructuredOutputsParams(kind: .grammar), StructuredOutputsParams(kind: .choice),
            StructuredOutputsParams(kind: .regex, spec: String(repeating: "a", count: (1 << 20) + 1)),
            StructuredOutputsParams(kind: .choice, choice: Array(repeating: "x", count: 4097)),
        ]
        for constraint in bad {
            var params = SamplingParams()
            params.structuredOutputs = constraint
            #expect(throws: SamplingParamsError.self) { try params.validate() }
            do { try params.validate() } catch { #expect(error.parameter == "structured_outputs") }
        }
        var ok = SamplingParams()
        for constraint in [
            StructuredOutputsParams(kind: .jsonObject), StructuredOutputsParams(kind: .choice, choice: ["yes", "no"]),
            StructuredOutputsParams(kind: .json, spec: #"{"type": "object"}"#),
        ] {
            ok.structuredOutputs = constraint
            try ok.validate()
        }
    }
}
