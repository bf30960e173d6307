/// Memory accounting from `ModelRunner.profile` (vLLM `determine_available_memory`, reference §11.1).
public struct RunnerProfile: Sendable, Equatable {
    public var weightsBytes: Int
    public var peakActivationBytes: Int
    /// `budget − weights − peak activations`; negative when the budget cannot even hold the model.
    public var availableKVCacheBytes: Int

    public init(weightsBytes: Int, peakActivationBytes: Int, availableKVCacheBytes: Int) {
        self.weightsBytes = weightsBytes
        self.peakActivationBytes = peakActivationBytes
        self.availableKVCacheBytes = availableKVCacheBytes
    }
}
