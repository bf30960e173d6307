import RequestRouting
import ServingCore

/// One request of a simulated workload.
struct SimWorkItem {
    let id: String
    let blocks: [BlockHashKey]
    let outputTokens: Int
    /// The conversation it belongs to and its turn (0-based), if any.
    var conversation: Int? = nil
    var turn = 0
    var sessionKey: String? = nil
    /// The LoRA adapter it runs with; nil for the base model.
    var loraName: String? = nil

    var routingRequest: RoutingRequest {
        RoutingRequest(requestID: id, blockHashes: blocks, sessionKey: sessionKey, loraName: loraName)
    }

    var simRequest: SimRequest {
        SimRequest(id: id, blocks: blocks, outputTokens: outputTokens, loraName: loraName)
    }
}

/// Chained block hashes for simulated prompts: each block's key mixes its parent's key with a content id,
/// so equal prefixes give equal chains, like the engine's SHA-256 chain.
enum SimHashes {
    static func chain(_ contents: [UInt64], parent: BlockHashKey? = nil) -> [BlockHashKey] {
        var keys: [BlockHashKey] = []
        keys.reserveCapacity(contents.count)
        var previous = parent?.w0 ?? 0x5EED
        for content in contents {
            var generator = SplitMix64(seed: previous ^ StableHash.mix(content))
            let key = BlockHashKey(
                w0: generator.next(), w1: generator.next(), w2: generator.next(), w3: generator.next())
            keys.append(key)
            previous = key.w0
        }
        return keys
    }

    /// `count` fresh content ids from a namespace (distinct namespaces never collide).
    static func contents(_ namespace: UInt64, count: Int, from start: Int = 0) -> [UInt64] {
        (start..<(start + count)).map { (namespace << 32) | UInt64($0) }
    }
}
