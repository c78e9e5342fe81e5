import FERCore
import FERMedia
import Foundation

/// Paths of the checkout the benchmarks run from (found from this file's path, since
/// the benchmark tool runs with another working directory).
public enum BenchPaths {
    /// The FERCore checkout: `<root>/Benchmarks/Sources/FERBenchSupport/Scenes.swift` → `<root>`.
    public static var root: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `Samples/astronaut_pan.mp4` (640×480, 300 frames; see Samples/README.md).
    public static var sampleClip: String { root.appendingPathComponent("Samples/astronaut_pan.mp4").path }
}

/// Errors of the benchmark fixtures (what is missing and where).
public enum BenchFixtureError: Error, CustomStringConvertible {
    case noFrame(String)
    case noFace(String)

    public var description: String {
        switch self {
        case let .noFrame(path): return "could not decode a frame of \(path)"
        case let .noFace(what): return "no face found in \(what); the fixtures need the astronaut's face"
        }
    }
}

/// Frames of the sample clip and the astronaut's face in them, decoded once.
public enum SampleScene {
    /// Frame `index` of the sample clip as RGB8 (decodes from the start).
    public static func frame(_ index: Int = 0) throws -> ImageBuffer {
        let reader = try VideoReader(path: BenchPaths.sampleClip)
        let buffer = try ImageBuffer(width: reader.width, height: reader.height, format: .rgb8)
        for _ in 0...index {
            guard try reader.nextFrame(into: buffer) != nil else { throw BenchFixtureError.noFrame(BenchPaths.sampleClip) }
        }
        return buffer
    }

    /// The best face `FaceDetector` finds in `image` (default options, 1 thread).
    public static func face(in image: ImageView) throws -> Box {
        let detector = try FaceDetector(weightsDirectory: BenchWeights.directory)
        guard let face = try detector.detect(image).first else { throw BenchFixtureError.noFace("the sample frame") }
        return face.box
    }

    /// `image` (RGB8) scaled to `height` rows keeping its aspect, centred on a `width × height`
    /// mid-grey canvas: e.g. a 640×480 frame as a 1280×720 one (pillarboxed, faces not stretched).
    public static func letterboxed(_ image: ImageView, width: Int, height: Int) throws -> ImageBuffer {
        let scaledWidth = min(width, image.width * height / image.height)
        let scaled = try ImageBuffer(width: scaledWidth, height: height, format: .rgb8)
        try Resizer().resize(image, into: scaled.mutableView, interpolation: .linear)
        let canvas = try ImageBuffer(width: width, height: height, format: .rgb8)
        let out = canvas.mutableView
        let left = (width - scaledWidth) / 2
        for y in 0..<height {
            out.row(y).update(repeating: 128, count: width * 3)
            (out.row(y) + left * 3).update(from: scaled.view.row(y), count: scaledWidth * 3)
        }
        return canvas
    }
}

/// Synthetic tracking frames: a grid of cells, each showing the sample frame scaled so that
/// the astronaut's face is `faceSize` pixels wide, centred in the cell and moved by a few
/// pixels per frame (a triangle wave, 2 px per frame horizontally, 1 px vertically).
///
/// All frames are rendered once at init; ``frame(_:)`` cycles through them.
public final class TrackingScene {
    /// The rendered frames (RGB8, `width × height`).
    public let frames: [ImageBuffer]
    /// The face boxes in frame 0, one per cell, row-major.
    public let initialBoxes: [Box]
    public let width: Int
    public let height: Int

    /// - Parameters:
    ///   - faceSize: the face's width in pixels after scaling.
    ///   - columns, rows: the grid; each cell is `width / columns × height / rows`.
    ///   - frameCount: frames in one cycle of the motion (even; 16 gives offsets 0…14 px and back).
    public init(faceSize: Double, width: Int = 640, height: Int = 480, columns: Int = 1, rows: Int = 1, frameCount: Int = 16) throws {
        let source = try SampleScene.frame(0)
        let face = try SampleScene.face(in: source.view)
        let s = faceSize / Double(face.width)
        let scaledW = max(1, Int((Double(source.width) * s).rounded()))
        let scaledH = max(1, Int((Double(source.height) * s).rounded()))
        let scaled = try ImageBuffer(width: scaledW, height: scaledH, format: .rgb8)
        try Resizer().resize(source.view, into: scaled.mutableView, interpolation: .linear)
        let faceCX = (Double(face.x) + Double(face.width) / 2) * s
        let faceCY = (Double(face.y) + Double(face.height) / 2) * s
        let faceW = Double(face.width) * s, faceH = Double(face.height) * s
        let cellW = width / columns, cellH = height / rows

        var frames: [ImageBuffer] = []
        var boxes: [Box] = []
        for i in 0..<frameCount {
            let phase = i < frameCount / 2 ? i : frameCount - i
            let dx = 2 * phase, dy = phase
            let frame = try ImageBuffer(width: width, height: height, format: .rgb8)
            let out = frame.mutableView
            let src = scaled.view
            for cy in 0..<rows {
                for cx in 0..<columns {
                    // The cell's (0,0) reads scaled pixel (ox, oy): face centre at the cell centre + (dx, dy).
                    let ox = Int(faceCX.rounded()) - cellW / 2 - dx
                    let oy = Int(faceCY.rounded()) - cellH / 2 - dy
                    for y in 0..<cellH {
                        let sy = min(max(oy + y, 0), scaledH - 1)
                        let srow = src.row(sy)
                        let drow = out.row(cy * cellH + y) + cx * cellW * 3
                        for x in 0..<cellW {
                            let sx = min(max(ox + x, 0), scaledW - 1)
                            drow[3 * x] = srow[3 * sx]
                            drow[3 * x + 1] = srow[3 * sx + 1]
                            drow[3 * x + 2] = srow[3 * sx + 2]
                        }
                    }
                    if i == 0 {
                        boxes.append(
                            Box(
                                x: Double(cx * cellW) + Double(cellW) / 2 - faceW / 2 + (faceCX - faceCX.rounded()),
                                y: Double(cy * cellH) + Double(cellH) / 2 - faceH / 2 + (faceCY - faceCY.rounded()),
                                width: faceW, height: faceH))
                    }
                }
            }
            frames.append(frame)
        }
        self.frames = frames
        self.initialBoxes = boxes
        self.width = width
        self.height = height
    }

    /// Frame `i` of the endless cycle.
    public func frame(_ i: Int) -> ImageView { frames[i % frames.count].view }
}
