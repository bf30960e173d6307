import Testing
import Tokenization

@testable import ApusBench

@Suite("Tokenizer benchmark")
struct TokenizerBenchmarkTests {
    @Test("the benchmark reports encode and detokenize rates and exact round trips")
    func benchmarkRuns() {
        let lines = TokenizerBenchmark.run(tokenizer: .embeddedDefault, bytes: 20_000)
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { !$0.contains("DIFFERS") })
    }
}
