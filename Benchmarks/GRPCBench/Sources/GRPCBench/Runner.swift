import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf
import SwiftProtobuf

/// Times the workloads through a `GRPCClient` exactly as Apus's WireRPCBenchmark times its own client.
struct Runner {
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let warmup: Int
    let iterations: Int

    func unary(_ workload: Workload, promptTokens: Int) async throws -> String {
        let request = Workload.request(promptTokens: promptTokens, maxTokens: 64)
        let clientRequest = ClientRequest(message: request)
        let client = self.client
        func call() async throws {
            let response = try await client.unary(
                request: clientRequest, descriptor: BenchService.unary,
                serializer: ProtobufSerializer<Apus_V1_GenerateRequest>(),
                deserializer: ProtobufDeserializer<Apus_V1_GenerateOutput>(), options: .defaults
            ) { try $0.message }
            guard response.numCachedTokens == UInt32(promptTokens), response.newTokenIds == [42] else {
                fatalError("unexpected unary response")
            }
        }
        for _ in 0..<warmup { try await call() }
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        let start = clock.now
        for _ in 0..<iterations {
            let t0 = clock.now
            try await call()
            samples.append(micros(t0.duration(to: clock.now)))
        }
        let total = micros(start.duration(to: clock.now)) / 1e6
        samples.sort()
        return json(
            workload, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99),
            msgsPerS: Double(iterations) / total, mbPerS: nil,
            requestBytes: try (request.serializedBytes() as [UInt8]).count,
            responseBytes: try (Workload.unaryResponse(to: request).serializedBytes() as [UInt8]).count,
            count: iterations)
    }

    func stream(messages: Int) async throws -> String {
        let client = self.client
        func receive(_ count: Int) async throws {
            let request = ClientRequest(
                message: Workload.request(promptTokens: Workload.smallPromptTokens, maxTokens: count))
            let received = try await client.serverStreaming(
                request: request, descriptor: BenchService.stream,
                serializer: ProtobufSerializer<Apus_V1_GenerateRequest>(),
                deserializer: ProtobufDeserializer<Apus_V1_GenerateOutput>(), options: .defaults
            ) { response in
                var received = 0
                for try await output in response.messages {
                    guard output.newTokenIds.first == Int32(received % 32_000) else {
                        fatalError("stream message \(received) out of order")
                    }
                    received += 1
                }
                return received
            }
            guard received == count else { fatalError("stream ended after \(received) of \(count)") }
        }
        try await receive(warmup)
        let clock = ContinuousClock()
        let start = clock.now
        try await receive(messages)
        let seconds = micros(start.duration(to: clock.now)) / 1e6
        var bytes = 0
        for index in 0..<messages {
            bytes += try (Workload.streamOutput(index: index, count: messages).serializedBytes() as [UInt8]).count
        }
        let request = Workload.request(promptTokens: Workload.smallPromptTokens, maxTokens: messages)
        return json(
            .stream, p50: nil, p99: nil, msgsPerS: Double(messages) / seconds, mbPerS: Double(bytes) / seconds / 1e6,
            requestBytes: try (request.serializedBytes() as [UInt8]).count, responseBytes: bytes / max(messages, 1),
            count: messages)
    }
}

func micros(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

/// Nearest rank at round(p × (n − 1)), as on the Apus side.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
}

func json(
    _ workload: Workload, p50: Double?, p99: Double?, msgsPerS: Double?, mbPerS: Double?, requestBytes: Int,
    responseBytes: Int, count: Int
) -> String {
    func num(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "null" }
        return String((x * 1000).rounded() / 1000)
    }
    return "{\"impl\": \"grpc-swift\", \"workload\": \"\(workload.rawValue)\", \"p50_us\": \(num(p50)), "
        + "\"p99_us\": \(num(p99)), \"msgs_per_s\": \(num(msgsPerS)), \"mb_per_s\": \(num(mbPerS)), "
        + "\"request_bytes\": \(requestBytes), \"response_bytes\": \(responseBytes), \"count\": \(count)}"
}
