import FERCore
import FERDemoSupport
import Foundation

/// `ferdemo classify --benchmark`: the classifier's forward pass (preprocessed 64×64 input,
/// so it is comparable with Keras and ONNX Runtime running the same model) timed at batch 1
/// and batch 8. Prints one JSON line for Tools/compare_emotion.py.
struct EmotionBenchmark {
    let classifier: EmotionClassifier
    let threads: Int
    let seconds: Double

    func run() throws {
        let side = classifier.inputSize
        var generator = SplitMix64(seed: 20_240_601)
        let inputs = (0..<(8 * side * side)).map { _ in Float(generator.next() % 2001) / 1000 - 1 }
        let b1 = try measure(batch: 1, inputs: inputs)
        let b8 = try measure(batch: 8, inputs: inputs)
        let fields = [
            "\"threads\": \(threads)", "\"flip\": \(classifier.options.flipAveraging)",
            "\"batch1_ms\": \(format(b1.median))", "\"batch1_ms_min\": \(format(b1.min))",
            "\"batch8_ms\": \(format(b8.median))", "\"batch8_faces_per_s\": \(format(8000 / b8.median))",
            "\"batch1_runs\": \(b1.runs)", "\"batch8_runs\": \(b8.runs)",
            "\"instruction_set\": \"\(InstructionSet.current)\""
        ]
        try Output.out("classify", "{" + fields.joined(separator: ", ") + "}\n")
    }

    private func format(_ v: Double) -> String { String(format: "%.4f", v) }

    /// Median and minimum milliseconds per call after at least 0.3 s of warm-up calls, for about
    /// `seconds` (validated: finite, 0...3600) and at least 10 calls; a signal cuts it short.
    private func measure(batch: Int, inputs: [Float]) throws -> (median: Double, min: Double, runs: Int) {
        let count = batch * classifier.inputSize * classifier.inputSize
        var results = [EmotionScores](repeating: .zero, count: batch)
        var times: [Double] = []
        times.reserveCapacity(100_000)
        try inputs.withUnsafeBufferPointer { all in
            let slice = UnsafeBufferPointer(rebasing: all[0..<count])
            try results.withUnsafeMutableBufferPointer { r in
                // At least 20 calls and 0.3 s of warm-up (caches, the pool's threads, CPU frequency).
                let warm = MonotonicClock.nanoseconds() + 300_000_000
                var calls = 0
                while calls < 20 || (MonotonicClock.nanoseconds() < warm && !Interrupt.isRequested) {
                    try classifier.classify(preprocessed: slice, into: r)
                    calls += 1
                }
                // `seconds` is validated; clamped again so that no value can trap the conversion.
                let budget = seconds.isFinite ? max(0, min(seconds, 3600)) : 0
                let end = MonotonicClock.nanoseconds() + UInt64(budget * 1e9)
                while (MonotonicClock.nanoseconds() < end && !Interrupt.isRequested) || times.count < 10 {
                    let t0 = MonotonicClock.nanoseconds()
                    try classifier.classify(preprocessed: slice, into: r)
                    times.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
                }
            }
        }
        times.sort()
        return (times[times.count / 2], times[0], times.count)
    }
}
