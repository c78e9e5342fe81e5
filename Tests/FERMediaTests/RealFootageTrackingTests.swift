import FERCore
import FERMedia
import Foundation
import Testing

/// Real face footage with ground truth: the OTB sequences of `../shared/data/otb-faces` (or
/// `$FERCORE_OTB_DIR`). They are research data that may not be redistributed, so they are not in
/// the repository; where they are absent this suite is skipped and says so. Tools/compare_tracking.py
/// runs the full comparison (whole sequences, OpenCV side by side).
enum OTBFaces {
    static let directory: String? = {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["FERCORE_OTB_DIR"] { candidates.append(env) }
        candidates.append(MediaPaths.root.deletingLastPathComponent().appendingPathComponent("shared/data/otb-faces").path)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/David/groundtruth_rect.txt") }
    }()

    /// The 0-based ground-truth boxes of `sequence` (OTB's files are 1-based).
    static func truth(_ sequence: String) throws -> [Box] {
        let dir = try #require(directory)
        let text = try String(contentsOfFile: dir + "/\(sequence)/groundtruth_rect.txt", encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let v = line.split(whereSeparator: { $0 == "," || $0 == "\t" || $0 == " " }).compactMap { Double($0) }
            return v.count == 4 ? Box(x: v[0] - 1, y: v[1] - 1, width: v[2], height: v[3]) : nil
        }
    }
}

@Suite(
    "Tracking on real footage (OTB faces)",
    .enabled(
        if: OTBFaces.directory != nil,
        "needs ../shared/data/otb-faces or $FERCORE_OTB_DIR"))
struct RealFootageTrackingTests {
    /// The first `frames` frames of a sequence, tracked from the first ground-truth box.
    /// Returns the success AUC (OTB's, frame 0 excluded) and the box area over the true area,
    /// averaged over the last 50 frames.
    static func track(_ sequence: String, frames: Int) throws -> (auc: Double, area: Double) {
        let dir = try #require(OTBFaces.directory)
        let truth = try OTBFaces.truth(sequence)
        let source = try ImageFolderSource(folder: dir + "/\(sequence)/img")
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var params = FaceTrackerOptions()
        params.maxLostFrames = .max
        let tracker = try FaceTracker(options: params)
        var ious: [Double] = [], areas: [Double] = []
        var index = 0
        while index < min(frames, truth.count), try source.nextFrame(into: frame) != nil {
            if index == 0 {
                try tracker.startTrack(at: truth[0], in: frame.view)
            } else {
                try tracker.update(frame: frame.view)
                let box = tracker.track(at: 0).box
                ious.append(box.iou(truth[index]))
                areas.append(box.area / truth[index].area)
            }
            index += 1
        }
        var auc = 0.0
        for t in 0...20 {
            let threshold = Double(t) / 20
            auc += Double(ious.filter { $0 > threshold }.count) / Double(ious.count) / 21
        }
        let tail = areas.suffix(50)
        return (auc, tail.reduce(0, +) / Double(tail.count))
    }

    /// The box keeps the face's size where the earlier tracker shrank it (Jumping: area 0.62 of
    /// the truth by frame 150; FaceOcc1: 0.8 by frame 250, 0.25 by the end). Band 0.8–1.25: the
    /// issue's requirement for whole sequences. AUC floor 0.65: this tracker scores 0.78–0.83 on
    /// these segments and CSRT 0.67–0.71 on the whole sequences; a regression to the old scale
    /// drift falls below it.
    @Test("the box follows real faces and keeps their size", arguments: [("David", 150), ("Jumping", 150), ("FaceOcc1", 250)])
    func keepsSize(sequence: String, frames: Int) throws {
        let (auc, area) = try Self.track(sequence, frames: frames)
        #expect(auc >= 0.65, "\(sequence): success AUC \(auc)")
        #expect(area >= 0.8 && area <= 1.25, "\(sequence): box area / true area over the last 50 frames \(area)")
    }
}
