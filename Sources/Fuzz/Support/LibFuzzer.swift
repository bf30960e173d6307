#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The entry point of every fuzz executable: hands `fuzzOne` to libFuzzer's driver in a fuzzing build, and
/// replays input files through it in a normal one.
///
/// scripts/fuzz.sh builds the fuzz products with `-sanitize=fuzzer,address -DFUZZING`; there `run` passes the
/// command line to `LLVMFuzzerRunDriver` (libFuzzer's `main` is not linked: SwiftPM points `main` at the
/// executable's own entry). In a normal build, where libFuzzer is absent, `run` reads each file argument and
/// feeds its bytes to `fuzzOne` once (a crash reproduces without sanitizers); with no arguments it says how to
/// build the fuzzer and exits 1.
public enum LibFuzzer {
    /// Runs the fuzzer (or the replay) and exits with its status. `fuzzOne` must not keep the buffer.
    ///
    /// `warmUp` inputs run first, before libFuzzer starts: they build the target's one-time state (fixtures, static
    /// tables), whose allocations libFuzzer's leak check would otherwise blame on the first input it runs.
    public static func run(warmUp: [[UInt8]] = [], _ fuzzOne: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        target = fuzzOne
        for input in warmUp { input.withUnsafeBytes { fuzzOne($0) } }
        #if FUZZING
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in
                LibFuzzer.target?(UnsafeRawBufferPointer(start: data, count: count))
                return 0
            })
        #else
            exit(replay(Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// The fuzz function `run` was given; set once, before the driver starts.
    /// NOTE: nonisolated(unsafe): libFuzzer calls back through a C function pointer, which cannot capture it.
    nonisolated(unsafe) static var target: ((UnsafeRawBufferPointer) -> Void)?

    /// Feeds each file in `paths` to the target once; 1 (with a hint) when there is nothing to replay.
    static func replay(_ paths: [String]) -> Int32 {
        let files = paths.filter { !$0.hasPrefix("-") }
        guard !files.isEmpty else {
            print("This is a libFuzzer target: build and run it with scripts/fuzz.sh (or pass input files to replay).")
            return 1
        }
        for path in files {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                return 1
            }
            bytes.withUnsafeBytes { target?($0) }
            print("ran \(path) (\(bytes.count) bytes)")
        }
        return 0
    }

    /// The whole contents of a file, or nil when it cannot be read.
    public static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[0..<n]
            if n < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}

#if FUZZING
    /// libFuzzer's driver (libclang_rt.fuzzer, linked by `-sanitize=fuzzer`): parses the flags and runs the loop.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
    ) -> CInt
#endif
