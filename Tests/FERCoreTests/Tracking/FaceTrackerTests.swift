import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// A detection of `box` with landmarks at fixed places in it (eyes at 30 %/70 % across, 35 %
/// down; nose in the middle; mouth corners at 35 %/65 %, 75 % down).
func detection(_ box: Box, score: Float = 0.99) -> FaceDetection {
    func p(_ fx: Double, _ fy: Double) -> SIMD2<Float> { SIMD2(Float(box.x + fx * box.width), Float(box.y + fy * box.height)) }
    return FaceDetection(
        box: box, score: score,
        landmarks: FaceLandmarks(
            leftEye: p(0.3, 0.35), rightEye: p(0.7, 0.35), nose: p(0.5, 0.5),
            mouthLeft: p(0.35, 0.75), mouthRight: p(0.65, 0.75)))
}

@Suite("FaceTracker")
struct FaceTrackerTests {
    @Test("two moving faces keep their IDs through tracking and re-association; new faces get new IDs")
    func idStability() throws {
        var scene = SyntheticScene(width: 200, height: 120, seed: 11)
        func boxes(_ t: Int) -> [Box] {
            [
                Box(x: 20 + 2 * Double(t), y: 30, width: 44, height: 44),
                Box(x: 130 - 2 * Double(t), y: 50 + Double(t), width: 40, height: 40)
            ]
        }
        scene.objects = [
            (SyntheticScene.Texture(seed: 12, frequency: 0.2...0.6), boxes(0)[0]),
            (SyntheticScene.Texture(seed: 13, frequency: 0.2...0.6), boxes(0)[1])
        ]
        let tracker = try FaceTracker()
        var frame = scene.render()
        // Detections arrive in reverse order: association must not depend on order.
        try frame.withView { (v) throws(TrackingError) in try tracker.reconcile(boxes(0).reversed().map { detection($0) }, in: v) }
        #expect(tracker.tracks.map(\.id) == [1, 2])
        let idOfLeft = tracker.tracks.first { $0.box.x < 100 }?.id
        for t in 1...8 {
            scene.objects[0].box = boxes(t)[0]
            scene.objects[1].box = boxes(t)[1]
            frame = scene.render()
            try frame.withView { (v) throws(TrackingError) in
                try tracker.update(frame: v)
                if t % 4 == 0 {
                    // A detection round with slightly perturbed boxes.
                    let det = boxes(t).map { detection(Box(x: $0.x + 1.5, y: $0.y - 1, width: $0.width + 2, height: $0.height)) }
                    try tracker.reconcile(det, in: v)
                }
            }
            let faces = tracker.tracks
            #expect(faces.count == 2)
            let left = faces.first { $0.id == idOfLeft }
            // IoU 0.5: the left face's track must stay on the left face (the other is > 60 px away).
            #expect((left?.box.iou(boxes(t)[0]) ?? 0) > 0.5, "frame \(t)")
        }
        // A third face appears; the first two keep IDs 1 and 2, the new one gets 3.
        let extra = Box(x: 150, y: 5, width: 30, height: 30)
        try frame.withView { (v) throws(TrackingError) in try tracker.reconcile((boxes(8) + [extra]).map { detection($0) }, in: v) }
        #expect(tracker.tracks.map(\.id).sorted() == [1, 2, 3])
        // Rounds without detections end every track; IDs are not reused afterwards.
        for _ in 0..<3 { try frame.withView { (v) throws(TrackingError) in try tracker.reconcile([], in: v) } }
        #expect(tracker.count == 0)
        try frame.withView { (v) throws(TrackingError) in try tracker.reconcile([detection(boxes(8)[0])], in: v) }
        #expect(tracker.tracks.map(\.id) == [4])
    }

    @Test("landmarks follow the box between detections and report their age; a matched detection refreshes them")
    func landmarksFollow() throws {
        var scene = SyntheticScene(width: 200, height: 140, seed: 31)
        func box(_ t: Int) -> Box { Box(x: 40 + 3 * Double(t), y: 30 + 2 * Double(t), width: 50, height: 50) }
        scene.objects = [(SyntheticScene.Texture(seed: 32, frequency: 0.2...0.6), box(0))]
        let tracker = try FaceTracker()
        try scene.render().withView { (v) throws(TrackingError) in try tracker.reconcile([detection(box(0))], in: v) }
        #expect(tracker.track(at: 0).landmarksAge == 0)
        for t in 1...6 {
            scene.objects[0].box = box(t)
            try scene.render().withView { (v) throws(TrackingError) in try tracker.update(frame: v) }
            let track = tracker.track(at: 0)
            #expect(track.landmarksAge == t)
            // The nose stays where it is on the face: within 2 px of the true face's centre
            // (the tracker's centre error on this scene is below 2 px).
            let nose = try #require(track.landmarks?.nose)
            let truth = box(t).center
            #expect(abs(Double(nose.x) - truth.x) < 2 && abs(Double(nose.y) - truth.y) < 2, "frame \(t): nose \(nose), face centre \(truth)")
        }
        try scene.render().withView { (v) throws(TrackingError) in try tracker.reconcile([detection(box(6))], in: v) }
        #expect(tracker.track(at: 0).landmarksAge == 0)
        // A detection from 2 frames ago is carried to the present: its landmarks are 2 frames old.
        scene.objects[0].box = box(7)
        try scene.render().withView { (v) throws(TrackingError) in try tracker.update(frame: v) }
        scene.objects[0].box = box(8)
        try scene.render().withView { (v) throws(TrackingError) in
            try tracker.update(frame: v)
            try tracker.reconcile([detection(box(6))], in: v, detectedAt: tracker.frameNumber - 2)
        }
        let carried = tracker.track(at: 0)
        #expect(carried.landmarksAge == 2)
        let nose = try #require(carried.landmarks?.nose)
        #expect(abs(Double(nose.x) - box(8).center.x) < 2 && abs(Double(nose.y) - box(8).center.y) < 2, "carried nose \(nose)")
    }

    @Test("after a cut, tracks no detection matches end at once; matched ones keep their ID")
    func cut() throws {
        var scene = SyntheticScene(width: 200, height: 120, seed: 41)
        let a = Box(x: 20, y: 30, width: 44, height: 44), b = Box(x: 130, y: 40, width: 40, height: 40)
        scene.objects = [
            (SyntheticScene.Texture(seed: 42, frequency: 0.2...0.6), a),
            (SyntheticScene.Texture(seed: 43, frequency: 0.2...0.6), b)
        ]
        let tracker = try FaceTracker()
        try scene.render().withView { (v) throws(TrackingError) in try tracker.reconcile([detection(a), detection(b)], in: v) }
        #expect(tracker.count == 2)
        // The new shot shows one face where `a` was and a new one elsewhere.
        let c = Box(x: 100, y: 10, width: 36, height: 36)
        scene.objects = [
            (SyntheticScene.Texture(seed: 44, frequency: 0.2...0.6), a),
            (SyntheticScene.Texture(seed: 45, frequency: 0.2...0.6), c)
        ]
        try scene.render().withView { (v) throws(TrackingError) in
            tracker.hold()
            try tracker.reconcile([detection(a), detection(c)], in: v, afterCut: true)
        }
        #expect(tracker.tracks.map(\.id) == [1, 3])
    }
}
