import FERCore
import FERDemoSupport
import Foundation

/// Writes one ``FrameRecord`` per frame (JSON Lines; the schema is FERDemoSupport's
/// FrameRecord.swift) without allocating per frame: the record and its faces are reused, and
/// ``FrameRecordEncoder`` formats the line into a reused buffer handed to an ``OutputFile``
/// (written in place, so a reader can follow it; `-` is standard output). A regular file is
/// buffered; a pipe, terminal or device gets each line as soon as it is complete. A stopped
/// run, or a failed write (the file is cut back to its last whole line), leaves lines that all parse.
final class JSONLinesWriter {
    let path: String
    private let file: OutputFile
    private var record = FrameRecord()
    private var encoder = FrameRecordEncoder()
    private(set) var linesWritten = 0

    /// Creates (truncates) the file, or takes standard output for `-`.
    init(path: String) throws(OutputError) {
        self.path = path
        file = try OutputFile(path: path, option: "--json", mode: .stream)
        record.faces.reserveCapacity(16)
    }

    /// Appends the line for `result`; `source` is the image file it came from (folders).
    func write(_ result: FrameResult, source: String? = nil) throws(OutputError) {
        record.update(from: result, source: source)
        encoder.encode(record)
        try file.write(encoder.line)
        if !file.isRegularFile { try file.flush() }
        linesWritten += 1
    }

    /// Flushes and closes the file (idempotent; standard output is flushed, not closed).
    func finish() throws(OutputError) {
        try file.finish()
    }
}

extension FrameRecord {
    /// Replaces this record's contents with `result`'s, keeping the faces' storage.
    mutating func update(from result: FrameResult, source: String?) {
        frame = result.frameIndex
        timestamp = result.timestamp
        self.source = source
        faces.removeAll(keepingCapacity: true)
        for face in result.faces { faces.append(FaceRecord(face)) }
        let t = result.timings
        timings = TimingsRecord(
            tracking: t.tracking * 1e3, detection: t.detection * 1e3, reconcile: t.reconcile * 1e3,
            classification: t.classification * 1e3, total: t.total * 1e3)
    }
}

extension FaceRecord {
    /// The record of one tracked face.
    init(_ face: FaceTrack) {
        func point(_ p: SIMD2<Float>) -> PointRecord { PointRecord(x: Double(p.x), y: Double(p.y)) }
        let landmarks = face.landmarks.map {
            LandmarksRecord(
                leftEye: point($0.leftEye), rightEye: point($0.rightEye), nose: point($0.nose),
                mouthLeft: point($0.mouthLeft), mouthRight: point($0.mouthRight))
        }
        var probabilities: EmotionProbabilities?
        if let e = face.emotion {
            var p = EmotionProbabilities(angry: 0, disgust: 0, fear: 0, happy: 0, sad: 0, surprise: 0, neutral: 0)
            for label in EmotionLabel.allCases { p[label.rawValue] = Double(e[label]) }
            probabilities = p
        }
        self.init(
            id: face.id,
            box: BoxRecord(
                x: Double(face.box.x), y: Double(face.box.y), width: Double(face.box.width),
                height: Double(face.box.height)),
            landmarks: landmarks, landmarksAge: face.landmarks == nil ? nil : face.landmarksAge, lost: face.isLost,
            probabilities: probabilities, label: face.emotion?.label.name,
            confidence: face.emotion.map { Double($0.confidence) })
    }
}
