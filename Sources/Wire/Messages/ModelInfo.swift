import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.ModelInfo`: what an engine serves, for the api's `/v1/models` and the router.
    public struct ModelInfo: Sendable, Equatable {
        public var model: String
        public var servedModelNames: [String]
        public var maxModelLen: UInt32
        public var vocabSize: UInt32
        public var blockSize: UInt32
        public var numGPUBlocks: UInt32
        public var eosTokenIDs: [TokenID]
        public var bosTokenID: TokenID?
        public var engineID: String
        /// SHA-256 seed shared by every process that hashes blocks (hex).
        public var blockHashSeed: String
        public var architecture: String

        public init(
            model: String = "", servedModelNames: [String] = [], maxModelLen: UInt32 = 0, vocabSize: UInt32 = 0,
            blockSize: UInt32 = 0, numGPUBlocks: UInt32 = 0, eosTokenIDs: [TokenID] = [], bosTokenID: TokenID? = nil,
            engineID: String = "", blockHashSeed: String = "", architecture: String = ""
        ) {
            self.model = model
            self.servedModelNames = servedModelNames
            self.maxModelLen = maxModelLen
            self.vocabSize = vocabSize
            self.blockSize = blockSize
            self.numGPUBlocks = numGPUBlocks
            self.eosTokenIDs = eosTokenIDs
            self.bosTokenID = bosTokenID
            self.engineID = engineID
            self.blockHashSeed = blockHashSeed
            self.architecture = architecture
        }
    }
}

extension ApusV1.ModelInfo: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__model_info__init)

    func fill(_ c: inout Apus__V1__ModelInfo, in arena: CArena) {
        c.model = arena.cString(model)
        c.n_served_model_names = servedModelNames.count
        c.served_model_names = arena.cStrings(servedModelNames)
        c.max_model_len = maxModelLen
        c.vocab_size = vocabSize
        c.block_size = blockSize
        c.num_gpu_blocks = numGPUBlocks
        c.n_eos_token_ids = eosTokenIDs.count
        c.eos_token_ids = arena.copy(eosTokenIDs)
        c.has_bos_token_id = cBool(bosTokenID != nil)
        c.bos_token_id = bosTokenID ?? 0
        c.engine_id = arena.cString(engineID)
        c.block_hash_seed = arena.cString(blockHashSeed)
        c.architecture = arena.cString(architecture)
    }

    init(c: Apus__V1__ModelInfo) throws(WireDecodingError) {
        self.init(
            model: try CDecode.string(c.model, "ModelInfo.model"),
            servedModelNames: try CDecode.strings(
                c.served_model_names, c.n_served_model_names, "ModelInfo.served_model_names"),
            maxModelLen: c.max_model_len, vocabSize: c.vocab_size, blockSize: c.block_size,
            numGPUBlocks: c.num_gpu_blocks,
            eosTokenIDs: try CDecode.array(c.eos_token_ids, c.n_eos_token_ids, "ModelInfo.eos_token_ids"),
            bosTokenID: c.has_bos_token_id != 0 ? c.bos_token_id : nil,
            engineID: try CDecode.string(c.engine_id, "ModelInfo.engine_id"),
            blockHashSeed: try CDecode.string(c.block_hash_seed, "ModelInfo.block_hash_seed"),
            architecture: try CDecode.string(c.architecture, "ModelInfo.architecture"))
    }
}
