import Testing

@testable import Scheduling

@Suite("Block hash table")
struct BlockHashTableTests {
    @Test("random inserts and removals with colliding probe runs agree with a Dictionary", arguments: 0..<4)
    func agreesWithDictionary(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 99)
        var table = BlockHashTable(maxEntries: 64)
        var model: [BlockHash: Int] = [:]
        // Few distinct first words force long probe runs that wrap around the end of the table.
        let keys = (0..<96).map { k in
            BlockHash(w0: UInt64.random(in: 120...135, using: &rng), w1: UInt64(k), w2: 0, w3: 0)
        }
        for _ in 0..<4000 {
            let key = keys.randomElement(using: &rng)!
            if Bool.random(using: &rng), model.count < 64 || model[key] != nil {
                let v = Int.random(in: 0..<1000, using: &rng)
                table[key] = v
                model[key] = v
            } else {
                table[key] = nil
                model[key] = nil
            }
            #expect(table.count == model.count)
        }
        for key in keys { #expect(table[key] == model[key]) }
        var seen = 0
        table.forEach { k, v in
            #expect(model[k] == v)
            seen += 1
        }
        #expect(seen == model.count)
        table.removeAll()
        #expect(table.count == 0 && keys.allSatisfy { table[$0] == nil })
    }
}
