import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("Stop strings and the streaming hold-back")
struct ChoiceProcessorTests {
    let tokenizer = Tokenizer.embeddedDefault

    func processor(stop: [String], include: Bool = false, minTokens: Int = 0) -> ChoiceProcessor {
        var params = SamplingParams()
        params.stop = stop
        params.includeStopStrInOutput = include
        params.minTokens = minTokens
        return ChoiceProcessor(index: 0, tokenizer: tokenizer, promptTokenIDs: [], params: params)
    }

    /// Feeds `text` one character-token at a time (ids of single characters) and collects the deltas.
    func feed(_ p: inout ChoiceProcessor, _ text: String) -> [ChoiceDelta] {
        var out: [ChoiceDelta] = []
        for ch in text {
            guard p.finishReason == nil else { break }
            let ids = tokenizer.encode(String(ch), addSpecialTokens: false)
            out.append(p.process(ApusV1.GenerateOutput(newTokenIDs: ids)))
        }
        return out
    }

    @Test("the earliest-completing stop string wins, even when listed later")
    func earliestCompleting() {
        let m = StopStringMatcher(["cde", "bc"], includeInOutput: false)
        let text = Array("abcdef".unicodeScalars)
        #expect(m.match(in: text, previousCount: 0) == .init(stopIndex: 1, truncateAt: 1))
    }

    @Test("a stop string already passed is not matched again")
    func onlyNewText() {
        let m = StopStringMatcher(["ab"], includeInOutput: false)
        #expect(m.match(in: Array("abxyz".unicodeScalars), previousCount: 3) == nil)
        #expect(m.match(in: Array("xyab".unicodeScalars), previousCount: 3) == .init(stopIndex: 0, truncateAt: 2))
    }

    @Test("a stop string across token boundaries is held back, never emitted, and truncates")
    func holdBackAcrossTokens() {
        var p = processor(stop: ["STOP"])
        let deltas = feed(&p, "abcSTOPdef")
        let emitted = deltas.map(\.text).joined()
        #expect(emitted == "abc")
        #expect(deltas.last?.finishReason == .stop && deltas.last?.stopReason == .string("STOP"))
        #expect(deltas.last?.abortUpstream == true)
        #expect(deltas.dropLast().allSatisfy { !$0.text.contains("S") })
    }

    @Test("held-back text that turns out not to be a stop string is released")
    func falseAlarm() {
        var p = processor(stop: ["STOP"])
        let deltas = feed(&p, "aSTObSTx")
        #expect(deltas.map(\.text).joined() == "aSTOb")
        let last = p.process(ApusV1.GenerateOutput(newTokenIDs: [], finishReason: .length))
        #expect(last.text == "STx" && last.finishReason == .length)
    }

    @Test("stop strings are not checked until min_tokens tokens were generated")
    func minTokens() {
        var p = processor(stop: ["a"], minTokens: 3)
        let deltas = feed(&p, "aaaa")
        #expect(deltas.last?.finishReason == .stop)
        #expect(p.outputText == "aaa")
    }

    @Test("an EOS or stop token is counted but not rendered")
    func stopTokenNotRendered() {
        var p = processor(stop: [])
        let ids = tokenizer.encode("hi", addSpecialTokens: false) + [tokenizer.encode("!", addSpecialTokens: false)[0]]
        let d = p.process(ApusV1.GenerateOutput(newTokenIDs: ids, finishReason: .stop, stopReason: .tokenID(ids.last!)))
        #expect(d.text == "hi" && d.tokenIDs.count == ids.count && d.stopReason == .tokenID(ids.last!))
    }
}
