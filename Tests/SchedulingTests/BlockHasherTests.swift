import Testing

@testable import Scheduling

@Suite("Block hashing")
struct BlockHasherTests {
    // Known answers, reproducible with Python's hashlib from the encoding in BlockHasher's documentation.
    @Test("the root and the first blocks match the documented byte encoding")
    func knownAnswers() {
        let h = BlockHasher(blockSize: 16, seed: 0)
        #expect(h.rootHash.hex == "f0b2943dde58a8d5ba8e5c8d3ebc42779f274bd422907b174a758ee6bb81674e")
        let hashes = h.blockHashes(tokenIDs: TestSupport.tokens(0, 40))
        #expect(hashes.count == 2)
        #expect(hashes[0].hex == "a82cf6f65eaf0909cc72af487306ec544fd3a99242733e1687ac99894ad1296b")
        #expect(hashes[1].hex == "4caa584f27bb5a914b330c231d40a3a7e615541682826f9bdcd451cfb16435fe")
        let salted = BlockHasher.blockHashes(tokenIDs: TestSupport.tokens(0, 16), seed: 42, cacheSalt: "salt1")
        #expect(salted[0].hex == "7adedba7cf93a39994b3d609c0b7a02876cbe535e770022ccc80a3b45e397778")
        let lora = h.blockHashes(tokenIDs: TestSupport.tokens(0, 16), loraName: "adapter")
        #expect(lora[0].hex == "04a3d140330d347e2785c6b3ec90c350fa17015689a6b4cd2851f5b21a13b26e")
    }

    @Test("a hash survives the round trip through its 32 bytes")
    func bytesRoundTrip() {
        let h = TestSupport.hasher.rootHash
        #expect(BlockHash(bytes: h.bytes) == h)
        #expect(h.bytes.count == 32)
    }

    @Test("the seed changes every hash; a request's hashes grow as output tokens complete blocks")
    func seedAndGrowth() {
        let a = BlockHasher(blockSize: 16, seed: 1).blockHashes(tokenIDs: TestSupport.tokens(0, 16))
        let b = BlockHasher(blockSize: 16, seed: 2).blockHashes(tokenIDs: TestSupport.tokens(0, 16))
        #expect(a != b)
        let r = TestSupport.request("r", TestSupport.tokens(0, 30))
        #expect(r.blockHashes.count == 1)
        r.appendOutputToken(30)
        #expect(r.blockHashes.count == 1)
        r.appendOutputToken(31)
        #expect(r.blockHashes == TestSupport.hasher.blockHashes(tokenIDs: TestSupport.tokens(0, 32)))
    }
}
