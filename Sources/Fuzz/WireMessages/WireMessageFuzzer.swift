import FuzzSupport
import WireFuzzing

/// Fuzzes every `apus.v1` message decoder: byte 0 picks the message type (`WireMessageDecoders.all`, modulo its
/// count), the rest is the payload. See `WireMessageDecoders` for what is checked.
@main
enum WireMessageFuzzer {
    static func main() {
        LibFuzzer.run(warmUp: WireMessageDecoders.all.indices.map { [UInt8($0)] }, fuzzOne)
    }

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        guard let first = raw.first else { return }
        WireMessageDecoders.check(UnsafeRawBufferPointer(rebasing: raw.dropFirst()), as: Int(first))
    }
}
