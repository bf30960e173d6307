import GRPCCore
import GRPCProtobuf

/// The benchmark service, written against GRPCCore's router the way protoc-gen-grpc-swift's output does it:
/// `apus.bench.Bench/Unary` (GenerateRequest → GenerateOutput) and `apus.bench.Bench/Stream` (GenerateRequest →
/// max_tokens GenerateOutputs), with grpc-swift-protobuf's serializers.
struct BenchService: RegistrableRPCService {
    static let unary = MethodDescriptor(fullyQualifiedService: "apus.bench.Bench", method: "Unary")
    static let stream = MethodDescriptor(fullyQualifiedService: "apus.bench.Bench", method: "Stream")

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Self.unary,
            deserializer: ProtobufDeserializer<Apus_V1_GenerateRequest>(),
            serializer: ProtobufSerializer<Apus_V1_GenerateOutput>()
        ) { streamRequest, _ in
            let request = try await ServerRequest(stream: streamRequest)
            return StreamingServerResponse(
                single: ServerResponse(message: Workload.unaryResponse(to: request.message)))
        }
        router.registerHandler(
            forMethod: Self.stream,
            deserializer: ProtobufDeserializer<Apus_V1_GenerateRequest>(),
            serializer: ProtobufSerializer<Apus_V1_GenerateOutput>()
        ) { streamRequest, _ in
            let request = try await ServerRequest(stream: streamRequest)
            let count = Int(request.message.samplingParams.maxTokens)
            return StreamingServerResponse { writer in
                for index in 0..<count { try await writer.write(Workload.streamOutput(index: index, count: count)) }
                return [:]
            }
        }
    }
}
