import Engine
import ServingCore
import Synchronization
import Wire

/// Drives one runner process over the wire: the engine-core's `ModelExecutor` in production.
///
/// Transport failures (connection refused or lost, keepalive timeout) surface as `ExecutorError.runnerLost`,
/// which makes the engine preempt and recompute; a runner's refusal of one step is `stepFailed`.
public final class RemoteRunnerExecutor: ModelExecutor {

    public let client: RPCClient
    /// How often `reconnect()` retries.
    public let reconnectInterval: Duration
    /// The runner as its last Describe reported it: its layers and incarnation, for `kvSources`.
    private let described = Mutex<KVSource?>(nil)

    public init(client: RPCClient, reconnectInterval: Duration = .milliseconds(200)) {
        self.client = client
        self.reconnectInterval = reconnectInterval
    }

    public func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [Engine.RunnerProfile] {
        let description = try await client.unary(
            RPCMethod.describe, ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self, waitForReady: true)
        described.withLock {
            $0 = KVSource(
                address: client.target,
                layers: description.endLayer > description.firstLayer
                    ? Int(description.firstLayer)..<Int(description.endLayer)
                    : 0..<Int(description.kvCacheSpecs.first?.numLayers ?? 0),
                incarnation: description.incarnationID)
        }
        let profile = try await client.unary(
            RPCMethod.profile,
            ApusV1.ProfileRequest(maxNumBatchedTokens: UInt32(maxNumBatchedTokens), maxNumSeqs: UInt32(maxNumSeqs)),
            as: ApusV1.ProfileResult.self)
        return [Engine.RunnerProfile(description, profile)]
    }

    public func initializeCache(numBlocks: Int, blockSize: Int) async throws {
        _ = try await client.unary(
            RPCMethod.initializeCache,
            ApusV1.InitializeCacheRequest(numBlocks: UInt32(numBlocks), blockSize: UInt32(blockSize)),
            as: ApusV1.InitializeCacheResponse.self)
    }

    public func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        try await Self.output(execute(ApusV1.SchedulerOutput(step)), from: client)
    }

    /// The domain output; a runner answer whose lists disagree fails the step (the runner is still there).
    static func output(_ m: ApusV1.ModelRunnerOutput, from client: RPCClient) throws -> ModelRunnerOutput {
        do {
            return try ModelRunnerOutput(m)
        } catch {
            throw ExecutorError.stepFailed("\(client.target): \(error.message)")
        }
    }

    /// One Execute call as wire messages, with the same error mapping (the pipeline executor's building block).
    public func execute(_ step: ApusV1.SchedulerOutput) async throws -> ApusV1.ModelRunnerOutput {
        do {
            return try await client.unary(RPCMethod.execute, step, as: ApusV1.ModelRunnerOutput.self)
        } catch let error as RPCError {
            switch error.code {
            case .unavailable, .cancelled, .deadlineExceeded, .unknown:
                throw ExecutorError.runnerLost("\(client.target): \(error.message)")
            default:
                throw ExecutorError.stepFailed("\(client.target): \(error)")
            }
        }
    }

    public var kvSources: [KVSource] { described.withLock { $0.map { [$0] } ?? [] } }

    /// Asks the runner to pull the blocks of its layers from the sources that hold any of them (docs/disaggregation.md
    /// §3). The runner answers once every byte landed; its refusal or a lost producer is `stepFailed`, a lost runner
    /// `runnerLost`.
    public func loadKV(
        requestID: String, sources: [KVSource], localBlockIDs: [Int], remoteBlockIDs: [Int], timeout: Duration
    ) async throws -> KVLoadStats {
        let mine = described.withLock { $0?.layers }
        let relevant = sources.filter { s in mine.map { s.layers.overlaps($0) } ?? true }
        let request = ApusV1.LoadKVRequest(
            requestID: requestID,
            sources: relevant.map { s in
                ApusV1.KVLoadSource(
                    address: s.address, remoteBlockIDs: remoteBlockIDs.map { UInt32(clamping: $0) },
                    firstLayer: UInt32(s.layers.lowerBound), endLayer: UInt32(s.layers.upperBound),
                    incarnationID: s.incarnation)
            },
            localBlockIDs: localBlockIDs.map { UInt32(clamping: $0) })
        do {
            let result = try await client.unary(RPCMethod.loadKV, request, as: ApusV1.LoadKVResult.self, timeout: timeout)
            return KVLoadStats(
                bytes: Int(clamping: result.bytes), blocks: Int(result.numBlocks),
                seconds: Double(result.elapsedUS) / 1_000_000)
        } catch let error as RPCError {
            throw ExecutorError.stepFailed("\(client.target): \(error)")
        }
    }

    /// Time since the runner last sent anything; the engine-core's keepalive pings it every couple of seconds.
    public var runnerSilence: Duration? { client.timeSinceLastRead }

    public func reconnect() async throws {
        while true {
            try Task.checkCancellation()
            do {
                _ = try await client.unary(
                    RPCMethod.describe, ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self,
                    timeout: .seconds(2))
                return
            } catch let error as RPCError where error.code == .unavailable || error.code == .deadlineExceeded {
                try await Task.sleep(for: reconnectInterval)
            }
        }
    }
}
