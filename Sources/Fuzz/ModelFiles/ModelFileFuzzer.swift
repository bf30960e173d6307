import Foundation
import FuzzSupport
import ModelFiles
import ModelRuntime
import Tokenization

#if canImport(Glibc)
    import Glibc
#endif

/// Fuzzes the model file headers a server opens: safetensors (`SafetensorsFile`) and GGUF (`GGUFFile`, then the
/// tokenizer and model config read from its metadata). Both read files, so each input is written to a temporary
/// file first.
///
/// Byte 0 picks the format (even: safetensors, odd: GGUF); the rest is the file. Opening may throw but not crash;
/// every tensor of an opened file is read (safetensors: converted to f32 when its dtype allows; GGUF: its bytes
/// touched), and a GGUF file's tokenizer encodes and decodes a fixed text.
@main
enum ModelFileFuzzer {
    static func main() {
        LibFuzzer.run(fuzzOne)
    }

    /// One file per process (libFuzzer runs inputs one at a time; `-fork`/`-jobs` workers are processes).
    static let path = NSTemporaryDirectory() + "apus-fuzz-model-file-\(getpid())"

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        var input = FuzzInput(raw)
        let format = input.byte()
        let contents = Data(input.rest())
        guard FileManager.default.createFile(atPath: path, contents: contents) else {
            fuzzFailure("cannot write \(path)")
        }
        if format & 1 == 0 { safetensors() } else { gguf() }
    }

    static func safetensors() {
        guard let file = try? SafetensorsFile(path: path) else { return }
        for (name, entry) in file.entries {
            let count = entry.shape.reduce(1, *)
            let out = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            defer { out.deallocate() }
            try? file.read(name, into: out)
        }
    }

    static func gguf() {
        guard let file = try? GGUFFile(path: path) else { return }
        var sum: UInt8 = 0
        for info in file.tensorInfos {
            let bytes = file.bytes(of: info)
            sum &+= (bytes.first ?? 0) &+ (bytes.last ?? 0)
        }
        _ = sum
        if let config = try? ModelConfig(gguf: file) { try? config.validate(path: path) }
        if let tokenizer = try? Tokenizer(gguf: file) {
            let ids = tokenizer.encode("Hello, world! 123 héllo\n\t  x")
            _ = tokenizer.decode(ids, skipSpecialTokens: false)
        }
    }
}
