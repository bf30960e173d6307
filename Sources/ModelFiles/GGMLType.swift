/// The element types of ggml tensors, numbered as in GGUF files (`ggml_type`).
///
/// Quantized types store their weights in blocks along a row: `blockSize` weights in `blockBytes` bytes (a
/// row of `n` weights is `n / blockSize` blocks). Only the types Apus computes with are listed; a file with
/// another type fails to load with an error naming the tensor and the type number.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case bf16 = 30

    /// Weights per block (1 for the float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: 32
        case .q4_K, .q5_K, .q6_K: 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18  // f16 d, 16 bytes of nibbles
        case .q4_1: 20  // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: 22  // f16 d, 4 bytes of fifth bits, 16 bytes of nibbles
        case .q5_1: 24  // f16 d, f16 m, 4 bytes of fifth bits, 16 bytes of nibbles
        case .q8_0: 34  // f16 d, 32 int8
        case .q4_K: 144  // f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
        case .q5_K: 176  // as q4_K, plus 32 bytes of fifth bits
        case .q6_K: 210  // 128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, f16 d
        }
    }

    /// True for the block-quantized types (not F32, F16, BF16).
    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes of a row of `count` weights; nil when `count` is not a whole number of blocks.
    public func rowBytes(count: Int) -> Int? {
        count >= 0 && count % blockSize == 0 ? count / blockSize * blockBytes : nil
    }

    /// The name llama.cpp and the `gguf` Python package use (`Q4_K`, `BF16` …).
    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .bf16: "BF16"
        }
    }

    /// The type named `name` (case-insensitive: `q4_k`, `BF16`).
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = match
    }
}
