// Frames (issue 3): the input stage of every frame, single-threaded (none of it uses a pool).
//
// - `frame-decode-640x480`: VideoReader.nextFrame (MPEG-4 decode + swscale to RGB8) on
//   Samples/astronaut_pan.mp4; at the end of the clip the reader is re-opened before
//   startMeasurement(), so re-opening is never measured.
// - `frame-rgb2gray-640x480`: ColorConversion.rgbToGray.
// - `frame-resize-{linear,area}-640x480-320x240`: Resizer on RGB8 (an exact 2× shrink: OpenCV,
//   and so Resizer, does linear as area there), and `…-linear-640x480-384x288`, P-Net's
//   first pyramid level at min face 20 (a true bilinear resize).
// All with mallocs per frame after warm-up; a 0-malloc gate on the conversions. Decoding is
// not gated: FFmpeg 5.1 (Debian 12) allocates 47 blocks per frame inside libavformat/libavcodec
// (packet buffer, AVBufferRef wrappers of the decoder's reference pictures); see Docs/Performance.md.
import Benchmark
import FERBenchSupport
import FERCore
import FERMedia

/// The sample clip, re-opened at its end.
final class ClipFixture {
    var reader: VideoReader
    let buffer: ImageBuffer
    var atEnd = false

    init() throws {
        reader = try VideoReader(path: BenchPaths.sampleClip)
        buffer = try ImageBuffer(width: reader.width, height: reader.height, format: .rgb8)
    }

    /// Re-opens the clip when the last call hit its end (call outside the measured region).
    func rewindIfNeeded() throws {
        guard atEnd else { return }
        reader.close()
        reader = try VideoReader(path: BenchPaths.sampleClip)
        atEnd = false
    }

    /// Decodes one frame; returns false (and marks the end) when there is none.
    func decode() throws -> Bool {
        if try reader.nextFrame(into: buffer) == nil {
            atEnd = true
            return false
        }
        return true
    }
}

/// A 640×480 frame and destination buffers for the conversions.
final class ConversionFixture {
    let frame: ImageBuffer
    let gray: ImageBuffer
    let resized: ImageBuffer
    let resizer = Resizer()

    init(resizeWidth: Int, resizeHeight: Int) throws {
        frame = try SampleScene.frame(0)
        gray = try ImageBuffer(width: frame.width, height: frame.height, format: .gray8)
        resized = try ImageBuffer(width: resizeWidth, height: resizeHeight, format: .rgb8)
    }
}

func registerFrameBenchmarks() {
    let frameConfig = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        warmupIterations: 10,
        maxDuration: .seconds(1),
        maxIterations: 2_000,
        thresholds: zeroMallocs
    )

    var decodeConfig = frameConfig
    decodeConfig.thresholds = nil
    let clip = FixtureBox<ClipFixture>()
    Benchmark(
        "frame-decode-640x480",
        configuration: decodeConfig,
        closure: { benchmark in
            guard let fixture = clip.value else { return }
            do {
                try fixture.rewindIfNeeded()
                benchmark.startMeasurement()
                blackHole(try fixture.decode())
                benchmark.stopMeasurement()
            } catch {
                benchmark.error("decode failed: \(error)")
            }
        },
        setup: { clip.value = try ClipFixture() },
        teardown: { clip.value = nil }
    )

    let gray = FixtureBox<ConversionFixture>()
    Benchmark(
        "frame-rgb2gray-640x480",
        configuration: frameConfig,
        closure: { benchmark in
            guard let f = gray.value else { return }
            do { try ColorConversion.rgbToGray(f.frame.view, into: f.gray.mutableView) } catch { benchmark.error("\(error)") }
            blackHole(f.gray.view.base.pointee)
        },
        setup: { gray.value = try ConversionFixture(resizeWidth: 320, resizeHeight: 240) },
        teardown: { gray.value = nil }
    )

    for (interpolation, name, w, h) in [
        (Interpolation.linear, "linear", 320, 240), (.area, "area", 320, 240),
        (.linear, "linear", 384, 288)
    ] {
        let box = FixtureBox<ConversionFixture>()
        Benchmark(
            "frame-resize-\(name)-640x480-\(w)x\(h)",
            configuration: frameConfig,
            closure: { benchmark in
                guard let f = box.value else { return }
                do {
                    try f.resizer.resize(f.frame.view, into: f.resized.mutableView, interpolation: interpolation)
                } catch { benchmark.error("\(error)") }
                blackHole(f.resized.view.base.pointee)
            },
            setup: {
                let f = try ConversionFixture(resizeWidth: w, resizeHeight: h)
                try f.resizer.resize(f.frame.view, into: f.resized.mutableView, interpolation: interpolation) // builds the tables
                box.value = f
            },
            teardown: { box.value = nil }
        )
    }
}
