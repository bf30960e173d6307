import StructuredOutput

/// MaskBench's method (guidance-ai/jsonschemabench maskbench/runner.py) on one thread: compile (until the first
/// mask), then per test from a reset matcher, per token: fill the mask, check the token's bit, accept it.
public struct MaskBenchRunner {
    public enum Status: String, CaseIterable, Sendable {
        case passing
        case compileError = "compile_error"
        case validationError = "validation_error"
        case invalidationError = "invalidation_error"
        case timeout
    }

    public struct Result: Sendable {
        public var schema: String
        public var status: Status
        public var compileMicroseconds: Int
        /// The compile's CPU time on this thread (see `ThreadCPUTime`).
        public var compileCPUMicroseconds: Int
        public var maskMicroseconds: [Int]
        public var detail: String?
    }

    public var vocabulary: TokenVocabulary
    /// A valid test must also be able to end after its last token (runner.py only checks the tokens).
    public var endCheck = true
    public var timeLimitSeconds = 60.0
    public var verbose = false

    public init(vocabulary: TokenVocabulary) {
        self.vocabulary = vocabulary
    }

    public func run(_ schema: MaskBenchData.Schema) -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = ThreadCPUTime.nanoseconds()
        var mask = [UInt32](repeating: 0, count: vocabulary.maskWordCount)
        let matcher: GrammarMatcher
        do {
            let grammar = try CompiledGrammar(.jsonSchema(schema.schema), vocabulary: vocabulary)
            if verbose { print("NFA states: \(grammar.automatonStateCount), compiled in \(clock.now - start)") }
            matcher = grammar.makeMatcher()
            matcher.fillMask(into: &mask)
        } catch {
            return Result(
                schema: schema.name, status: .compileError, compileMicroseconds: Self.microseconds(clock.now - start),
                compileCPUMicroseconds: (ThreadCPUTime.nanoseconds() - cpuStart) / 1000, maskMicroseconds: [],
                detail: "\(error)")
        }
        var result = Result(
            schema: schema.name, status: .passing, compileMicroseconds: Self.microseconds(clock.now - start),
            compileCPUMicroseconds: (ThreadCPUTime.nanoseconds() - cpuStart) / 1000, maskMicroseconds: [])
        for (index, test) in schema.tests.enumerated() {
            matcher.reset()
            var accepted = true
            for token in test.tokens {
                let t0 = clock.now
                matcher.fillMask(into: &mask)
                let ok = mask[token >> 5] >> UInt32(token & 31) & 1 == 1
                if ok { matcher.accept(token: token) }
                result.maskMicroseconds.append(Self.microseconds(clock.now - t0))
                if !ok {
                    accepted = false
                    if verbose {
                        let prefix = test.tokens.prefix { $0 != token }.flatMap { vocabulary.bytes(of: $0) }
                        let rejected = String(decoding: vocabulary.bytes(of: token), as: UTF8.self)
                        let context = String(decoding: prefix.suffix(300), as: UTF8.self)
                        print("test #\(index) (valid: \(test.valid)) rejected \(rejected.debugDescription) after \(context.debugDescription)")
                    }
                    break
                }
            }
            if accepted && endCheck && !matcher.canEnd { accepted = false }
            if accepted != test.valid {
                result.status = test.valid ? .validationError : .invalidationError
                result.detail = "test #\(index)"
                break
            }
            if (clock.now - start) > .seconds(timeLimitSeconds) {
                result.status = .timeout
                break
            }
        }
        return result
    }

    static func microseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
    }
}
