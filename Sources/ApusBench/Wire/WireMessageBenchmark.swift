import CApusProto
import ServingCore
import Wire

/// A micro benchmark of the hot messages' conversion + protobuf-c packing, for `apus bench` and for checking
/// that a change to the conversion code did not make the engine step slower. Run it in release.
///
/// Each workload runs `rounds` rounds and reports the best round's mean nanoseconds per operation
/// (best, because this machine is shared and contended rounds only add noise).
public enum WireMessageBenchmark {
    /// One line per workload: name, encoded size, ns/op for encode (fresh arena, reused arena, and the part spent
    /// in `protobuf_c_message_pack`) and decode (and the part spent in protobuf-c unpack + free).
    public static func run(scale: Double = 1.0, rounds: Int = 5) -> [String] {
        let workloads: [(String, any WireMessage, Int)] = [
            ("GenerateRequest 4000 tokens", sampleGenerateRequest(promptTokens: 4000), 20_000),
            ("SchedulerOutput 256 new reqs x 128 tokens", sampleSchedulerOutput(newRequests: 256), 200),
            ("SchedulerOutput 256 cached reqs (decode step)", sampleSchedulerOutput(cachedRequests: 256), 2_000),
            ("ModelRunnerOutput 256 reqs", sampleModelRunnerOutput(requests: 256), 2_000),
            (
                "GenerateOutput 1 token", ApusV1.GenerateOutput(requestID: "cmpl-0123456789abcdef", newTokenIDs: [42]),
                200_000
            ),
        ]
        return workloads.map { name, message, iterations in
            measure(name, message, iterations: max(1, Int(Double(iterations) * scale)), rounds: rounds)
        }
    }

    private static func measure<M: WireMessage>(_ name: String, _ message: M, iterations: Int, rounds: Int) -> String {
        let bytes = message.encoded()
        var checksum = 0
        let encodeNS = best(rounds, iterations) { checksum &+= message.encoded().count }
        let arena = CArena()
        let reusedNS = best(rounds, iterations) {
            arena.reset()
            checksum &+= message.encoded(in: arena).count
        }
        let decodeNS = best(rounds, iterations) {
            if (try? M(decoding: bytes)) != nil { checksum &+= 1 }
        }
        // The libprotobuf-c share: pack an already built C struct; unpack and free without converting.
        let c = message.cMessage(in: arena)
        let packNS = best(rounds, iterations) { checksum &+= M.packed(c).count }
        let unpackNS = best(rounds, iterations) {
            bytes.withUnsafeBufferPointer { buffer in
                if let m = protobuf_c_message_unpack(M.descriptor, nil, buffer.count, buffer.baseAddress) {
                    protobuf_c_message_free_unpacked(m, nil)
                    checksum &+= 1
                }
            }
        }
        precondition(checksum != 0)
        return "\(name): \(bytes.count) B; encode \(format(encodeNS)) ns/op (reused arena \(format(reusedNS)), "
            + "of which protobuf-c pack \(format(packNS))); decode \(format(decodeNS)) ns/op "
            + "(of which protobuf-c unpack+free \(format(unpackNS)))"
    }

    private static func best(_ rounds: Int, _ iterations: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var bestNS = Double.infinity
        for _ in 0..<rounds {
            let elapsed = clock.measure { for _ in 0..<iterations { body() } }
            let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            bestNS = min(bestNS, ns / Double(iterations))
        }
        return bestNS
    }

    private static func format(_ ns: Double) -> String {
        ns >= 100 ? String(Int(ns.rounded())) : String(Double(Int(ns * 10)) / 10)
    }

    public static func sampleGenerateRequest(promptTokens: Int) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.temperature = 0.7
        params.maxTokens = 256
        params.stopTokenIDs = [2, 32000]
        return ApusV1.GenerateRequest(
            requestID: "cmpl-0123456789abcdef0123456789abcdef",
            promptTokenIDs: (0..<promptTokens).map { TokenID(truncatingIfNeeded: ($0 &* 7919) % 128_000) },
            samplingParams: params, eosTokenID: 2, cacheSalt: "tenant-a", arrivalTimeUS: 1_764_000_000_000_000)
    }

    public static func sampleSchedulerOutput(newRequests: Int = 0, cachedRequests: Int = 0) -> ApusV1.SchedulerOutput {
        let new = (0..<newRequests).map { (i: Int) -> ApusV1.NewRequestData in
            let prompt: [TokenID] = (0..<128).map { (j: Int) in TokenID(truncatingIfNeeded: j &* 31 &+ i) }
            let blocks: [UInt32] = (0..<8).map { (j: Int) in UInt32(i * 8 + j) }
            return ApusV1.NewRequestData(
                reqID: "cmpl-\(i)", promptTokenIDs: prompt, samplingParams: SamplingParams(), eosTokenID: 2,
                blockIDs: blocks, numScheduledTokens: 128)
        }
        let cached = (0..<cachedRequests).map { (i: Int) -> ApusV1.CachedRequestData in
            ApusV1.CachedRequestData(
                reqID: "cmpl-\(i)", newBlockIDs: i % 16 == 0 ? [UInt32(i)] : [],
                numComputedTokens: UInt32(300 + i), numOutputTokens: UInt32(i), numScheduledTokens: 1)
        }
        return ApusV1.SchedulerOutput(
            stepID: 123_456, scheduledNewReqs: new, scheduledCachedReqs: cached, finishedReqIDs: ["cmpl-old"])
    }

    public static func sampleModelRunnerOutput(requests: Int) -> ApusV1.ModelRunnerOutput {
        ApusV1.ModelRunnerOutput(
            stepID: 123_456, incarnationID: "runner-0-abcdef", reqIDs: (0..<requests).map { "cmpl-\($0)" },
            sampledTokenIDs: (0..<requests).map { [TokenID($0)] })
    }
}
