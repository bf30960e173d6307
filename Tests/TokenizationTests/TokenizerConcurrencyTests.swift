import Foundation
import ServingCore
import Testing
@testable import Tokenization

@Suite("Tokenizer shared between tasks")
struct TokenizerConcurrencyTests {
    @Test("concurrent encodes through the shared word cache give the serial result")
    func concurrentEncodes() async throws {
        let tokenizer = try Fixtures.tokenizer("bytelevel_llama3")
        let texts = try Fixtures.expectations("bytelevel_llama3").cases.map(\.text)
        let serial = texts.map { tokenizer.encode($0) }
        let results = await withTaskGroup(of: (Int, [[TokenID]]).self) { group in
            for worker in 0..<8 {
                group.addTask { (worker, texts.map { tokenizer.encode($0) }) }
            }
            var all: [[[TokenID]]] = []
            for await (_, result) in group { all.append(result) }
            return all
        }
        #expect(results.count == 8)
        for result in results { #expect(result == serial) }
    }
}
