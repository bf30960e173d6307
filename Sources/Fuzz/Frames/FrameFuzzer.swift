import FuzzSupport
import NIOCore
import Wire
import WireFuzzing

/// Fuzzes `FrameDecoder.decodeOne` as a connection drives it: the stream arrives in chunks, and after each chunk
/// every whole frame is decoded until one is missing or the decoder throws (which closes the connection).
///
/// Input: byte 0 picks the frame size limit, byte 1 the number of chunk sizes (0 to 7), the next bytes the sizes
/// (1 to 256 bytes, used in turn; none means one byte at a time); the rest is the stream. Checks: chunked decoding
/// gives exactly the frames and the error of decoding the whole stream at once; every frame re-encodes
/// (`FrameEncoder`) to a frame that decodes equal; every payload goes through the message decoders
/// (`WireMessageDecoders`, picked by call id).
@main
enum FrameFuzzer {
    static func main() {
        // One empty frame per message type (call id = index): every decoder's one-time state is built.
        let frames: [UInt8] = WireMessageDecoders.all.indices.flatMap { [0, 0, 0, 2, 8, UInt8($0)] }
        LibFuzzer.run(warmUp: [[3, 1, 255] + frames], fuzzOne)
    }

    static let limits = [64, 1 << 10, 1 << 16, FrameDecoder.defaultMaxFrameBytes]

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        var input = FuzzInput(raw)
        let limit = limits[input.int(in: 0...limits.count - 1)]
        let given = input.bytes(input.int(in: 0...7)).map { Int($0) + 1 }
        let sizes = given.isEmpty ? [1] : given
        let stream = Array(input.rest())

        let whole = decodeAll([stream[...]], limit: limit)
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + sizes[chunks.count % sizes.count])
            chunks.append(stream[start..<end])
            start = end
        }
        let chunked = decodeAll(chunks, limit: limit)
        guard whole.frames == chunked.frames, whole.error == chunked.error else {
            fuzzFailure("chunked decoding differs: \(whole) at once, \(chunked) in chunks of \(sizes)")
        }
        for frame in whole.frames {
            checkRoundTrip(frame)
            frame.payload.withUnsafeBytes { WireMessageDecoders.check($0, as: Int(frame.callID & 0xFF)) }
        }
    }

    /// The frames of `chunks` appended one after another to one buffer, and the error that ended the stream.
    static func decodeAll(_ chunks: [ArraySlice<UInt8>], limit: Int) -> (frames: [Frame], error: FrameError?) {
        var buffer = ByteBuffer()
        var frames: [Frame] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            do {
                while let frame = try FrameDecoder.decodeOne(from: &buffer, maxFrameBytes: limit) {
                    frames.append(frame)
                }
            } catch let error as FrameError {
                return (frames, error)
            } catch {
                fuzzFailure("decodeOne threw \(error), not a FrameError")
            }
        }
        return (frames, nil)
    }

    static func checkRoundTrip(_ frame: Frame) {
        var encoded = FrameEncoder.encode(frame)
        let again: Frame?
        do {
            again = try FrameDecoder.decodeOne(from: &encoded, maxFrameBytes: Int(UInt32.max))
        } catch {
            fuzzFailure("a decoded frame re-encodes to bytes that do not decode: \(error); frame \(frame)")
        }
        guard again == frame, encoded.readableBytes == 0 else {
            fuzzFailure("frame round trip changed it: \(frame) became \(String(describing: again))")
        }
    }
}
