import FERCore
import FERDemoSupport

extension FrameRecord {
    /// Replaces this record's contents with `result`'s, keeping the faces' storage.
    package mutating func update(from result: FrameResult, source: String?) {
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
    package init(_ face: FaceTrack) {
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
