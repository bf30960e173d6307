import Foundation

/// Precomputed cos/sin of RoPE angles for positions `0..<maxPositions`, applied neox-style (HF
/// `rotate_half`: the first half of each head pairs with the second half).
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let maxPositions: Int
    /// `[maxPositions, headDim/2]` each.
    let cos: FloatBuffer
    let sin: FloatBuffer

    public init(headDim: Int, maxPositions: Int, theta: Double, scaling: RopeScaling) {
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        let inv = Self.inverseFrequencies(headDim: headDim, theta: theta, scaling: scaling)
        cos = FloatBuffer(count: maxPositions * half, zeroed: false)
        sin = FloatBuffer(count: maxPositions * half, zeroed: false)
        for p in 0..<maxPositions {
            for i in 0..<half {
                // HF computes the angle as an f32 product, then cos/sin in f32.
                let angle = Float(p) * inv[i]
                cos.pointer[p * half + i] = Float(Foundation.cos(Double(angle)))
                sin.pointer[p * half + i] = Float(Foundation.sin(Double(angle)))
            }
        }
    }

    /// HF's `inv_freq` for the default, linear and llama3 rope types.
    static func inverseFrequencies(headDim: Int, theta: Double, scaling: RopeScaling) -> [Float] {
        let base = (0..<headDim / 2).map { i in 1 / pow(theta, Double(Float(2 * i) / Float(headDim))) }
        switch scaling {
        case .none:
            return base.map { Float($0) }
        case .linear(let factor):
            return base.map { Float($0 / factor) }
        case .frequencyFactors(let factors):
            precondition(factors.count == base.count, "\(factors.count) RoPE frequency factors for \(base.count) frequencies")
            return zip(base, factors).map { Float($0) / $1 }
        case .llama3(let factor, let low, let high, let original):
            let lowWavelen = Double(original) / low
            let highWavelen = Double(original) / high
            return base.map { f in
                let wavelen = 2 * Double.pi / f
                if wavelen < highWavelen { return Float(f) }
                if wavelen > lowWavelen { return Float(f / factor) }
                let smooth = (Double(original) / wavelen - low) / (high - low)
                return Float((1 - smooth) * f / factor + smooth * f)
            }
        }
    }

    /// Rotates `numHeads` heads of `headDim` starting at `x` for one token at `position`.
    @inline(__always)
    func apply(_ x: UnsafeMutablePointer<Float>, numHeads: Int, position: Int) {
        let half = headDim / 2
        let c = cos.pointer + position * half
        let s = sin.pointer + position * half
        for h in 0..<numHeads {
            let x1 = x + h * headDim
            let x2 = x1 + half
            for i in 0..<half {
                let a = x1[i]
                let b = x2[i]
                x1[i] = a * c[i] - b * s[i]
                x2[i] = b * c[i] + a * s[i]
            }
        }
    }
}
