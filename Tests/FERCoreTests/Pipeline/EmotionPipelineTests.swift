import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// The pipeline on a few frames of the public-domain astronaut fixture (320×320), shifted by a
/// few pixels per frame: small enough for a debug build. The whole sample clip runs in
/// Tests/ferdemoTests (it needs FERMedia to decode).
@Suite("EmotionPipeline")
struct EmotionPipelineTests {
    /// Frame `k`: the astronaut image moved right by 3k pixels (edge pixels repeated).
    static func frames(_ count: Int) throws -> [Image] {
        let file = try DetectionFixtures.file()
        let base = try DetectionFixtures.image("astronaut", in: file)
        return try (0..<count).map { k in
            var pixels = [UInt8](repeating: 0, count: base.pixels.count)
            for y in 0..<base.height {
                for x in 0..<base.width {
                    let sx = max(0, x - 3 * k)
                    for c in 0..<3 { pixels[(y * base.width + x) * 3 + c] = base.pixels[(y * base.width + sx) * 3 + c] }
                }
            }
            return try Image(width: base.width, height: base.height, format: .rgb8, pixels: pixels)
        }
    }

    static func syncConfig() -> PipelineOptions {
        var config = PipelineOptions()
        config.detectionMode = .synchronous
        config.detectEvery = 2
        config.classifyEvery = 2
        config.threads = 1
        config.weightsDirectory = Paths.root.appendingPathComponent("Weights").path
        return config
    }

    static func run(_ config: PipelineOptions, _ frames: [Image]) throws -> [FrameResult] {
        let pipeline = try EmotionPipeline(options: config)
        var out: [FrameResult] = []
        var result = FrameResult()
        for (i, frame) in frames.enumerated() {
            try frame.withView { (v) throws(PipelineError) in
                try pipeline.process(v, info: FrameInfo(index: i, timestamp: Double(i) / 30), into: &result)
            }
            var copy = result
            copy.timings = StageTimings() // timings differ run to run; everything else must not
            out.append(copy)
        }
        return out
    }

    @Test("one face: found on frame 0, one stable ID, classified happy, landmarks kept; deterministic")
    func astronautFrames() throws {
        let frames = try Self.frames(4)
        let a = try Self.run(Self.syncConfig(), frames)
        for r in a {
            #expect(r.faces.count == 1, "frame \(r.frameIndex): \(r.faces.count) faces")
            #expect(r.faces.first?.id == 1)
            #expect(r.faces.first?.landmarks != nil)
            // The reference frameworks on the astronaut face say happy: 0.86 with fernet, the default
            // model (PyTorch), 0.998 with mini-Xception (Keras) (Tests/Fixtures/goldens,
            // emotion_fernet and emotion case 2).
            #expect(r.faces.first?.emotion?.label == .happy)
        }
        // Detection on frames 0 and 2 (every 2 frames), classification on frames 0 and 2.
        #expect(a.map(\.detectionApplied) == [true, false, true, false])
        #expect(a.map { $0.faces.first?.classifiedThisFrame ?? false } == [true, false, true, false])
        // The box follows the 3 px/frame shift (tolerance: the tracker's sub-cell estimate, ±2 px).
        if let x0 = a.first?.faces.first?.box.x, let x3 = a.last?.faces.first?.box.x {
            #expect(abs((x3 - x0) - 9) <= 2, "moved \(x3 - x0) px, expected 9")
        }
        let b = try Self.run(Self.syncConfig(), frames)
        #expect(a == b, "synchronous mode must be deterministic")
    }

    @Test("bad configurations and frames give clear errors")
    func badInput() throws {
        var config = Self.syncConfig()
        config.detectEvery = 0
        #expect(throws: PipelineError.self) { try EmotionPipeline(options: config) }
        config = Self.syncConfig()
        config.maximumFaces = 0
        #expect(throws: PipelineError.self) { try EmotionPipeline(options: config) }
        config = Self.syncConfig()
        config.detector.scaleFactor = 2
        #expect(throws: PipelineError.self) { try EmotionPipeline(options: config) }
        config = Self.syncConfig()
        config.weightsDirectory = "/nonexistent"
        #expect(throws: PipelineError.self) { try EmotionPipeline(options: config) }

        let pipeline = try EmotionPipeline(options: Self.syncConfig())
        let gray = try Image(width: 8, height: 8, format: .gray8)
        var result = FrameResult()
        #expect(throws: PipelineError.self) {
            try gray.withView { (v) throws(PipelineError) in try pipeline.process(v, info: FrameInfo(index: 0, timestamp: 0), into: &result) }
        }
        // A frame without faces is fine: no faces, no error.
        let blank = try Image(width: 64, height: 48, format: .rgb8, repeating: 128)
        try blank.withView { (v) throws(PipelineError) in try pipeline.process(v, info: FrameInfo(index: 1, timestamp: 0), into: &result) }
        #expect(result.faces.isEmpty)
        #expect(PipelineError.invalidConfiguration(field: "detectEvery", value: "0", reason: "must be ≥ 1").description.contains("detectEvery"))
    }

    @Test("asynchronous mode finds the face on frame 0 and keeps it")
    func asynchronous() throws {
        var config = Self.syncConfig()
        config.detectionMode = .asynchronous
        let results = try Self.run(config, try Self.frames(4))
        #expect(results.first?.faces.count == 1, "the first frame is detected before it is reported")
        let ids = Set(results.flatMap { $0.faces.map(\.id) })
        #expect(ids == [1], "IDs seen: \(ids)")
        #expect(results.last?.faces.count == 1)
    }

    @Test("deferred mode: the same output on every run, a face on frame 0, detections applied at fixed frames")
    func deferred() throws {
        var config = Self.syncConfig()
        config.detectionMode = .deferred
        config.detectionLatency = 2
        config.threads = 2
        let frames = try Self.frames(6)
        let a = try Self.run(config, frames)
        #expect(a.first?.faces.count == 1)
        // Frame 0 is detected at once; the next detection starts on frame 2 and lands on frame 4.
        #expect(a.map(\.detectionApplied) == [true, false, false, false, true, false])
        for _ in 0..<2 {
            let b = try Self.run(config, frames)
            #expect(a == b, "deferred mode must give the same results on every run")
        }
    }

    @Test("unrelated pictures are separate shots: each is detected at once, tracks do not carry over")
    func shotChanges() throws {
        let file = try DetectionFixtures.file()
        let astronaut = try DetectionFixtures.image("astronaut", in: file)
        // The same size, nothing in common: a mid-grey picture with no face.
        let blank = try Image(width: astronaut.width, height: astronaut.height, format: .rgb8, repeating: 128)
        var config = Self.syncConfig()
        config.detectionMode = .deferred
        config.detectEvery = 100
        let results = try Self.run(config, [astronaut, blank, astronaut])
        #expect(results.map(\.isShotChange) == [false, true, true])
        #expect(results.map(\.faces.count) == [1, 0, 1])
        #expect(results[2].faces.first?.id == 2, "a new shot starts a new track")
    }
}
