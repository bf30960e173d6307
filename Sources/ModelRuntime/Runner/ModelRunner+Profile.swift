extension ModelRunner {
    /// Memory accounting from `ModelRunner.profile` (vLLM `determine_available_memory`; docs/architecture.md §4.10).
    public struct Profile: Sendable, Equatable {
        public var weightsBytes: Int
        public var peakActivationBytes: Int
        /// `budget − weights − peak activations`; negative when the budget cannot even hold the model.
        public var availableKVCacheBytes: Int
        /// Measured after the memory profile: seconds per token of a one-sequence prefill step, and seconds of one
        /// decode step of `decodeBatch` sequences (the engine-core sizes its token budget from them).
        public var prefillTokenSeconds: Double
        public var decodeStepSeconds: Double
        public var decodeBatch: Int

        public init(
            weightsBytes: Int, peakActivationBytes: Int, availableKVCacheBytes: Int, prefillTokenSeconds: Double = 0,
            decodeStepSeconds: Double = 0, decodeBatch: Int = 0
        ) {
            self.weightsBytes = weightsBytes
            self.peakActivationBytes = peakActivationBytes
            self.availableKVCacheBytes = availableKVCacheBytes
            self.prefillTokenSeconds = prefillTokenSeconds
            self.decodeStepSeconds = decodeStepSeconds
            self.decodeBatch = decodeBatch
        }
    }
}
