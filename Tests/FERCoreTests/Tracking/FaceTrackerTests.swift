import Foundation
import Testing
@testable import FERCore

@Suite("FaceTracker")
struct FaceTrackerTests {
    @Test("two moving faces keep their IDs through tracking and re-association; new faces get new IDs")
    func idStability() throws {
        var scene = SyntheticScene(width: 200, height: 120, seed: 11)
        func boxes(_ t: Int) -> [TrackBox] {
            [TrackBox(x: 20 + 2 * Double(t), y: 30, width: 44, height: 44),
             TrackBox(x: 130 - 2 * Double(t), y: 50 + Double(t), width: 40, height: 40)]
        }
        scene.objects = [(SyntheticScene.Texture(seed: 12, frequency: 0.2...0.6), boxes(0)[0]),
                         (SyntheticScene.Texture(seed: 13, frequency: 0.2...0.6), boxes(0)[1])]
        let tracker = try FaceTracker()
        var frame = scene.render()
        // Detections arrive in reverse order: association must not depend on order.
        let initial = try frame.withView { (v) throws(TrackingError) in try tracker.reconcile(detections: boxes(0).reversed(), frame: v) }
        #expect(initial.map(\.id) == [1, 2])
        let idOfLeft = initial.first { $0.box.x < 100 }?.id
        for t in 1...8 {
            scene.objects[0].box = boxes(t)[0]
            scene.objects[1].box = boxes(t)[1]
            frame = scene.render()
            let faces = try frame.withView { (v) throws(TrackingError) -> [TrackedFace] in
                var f = try tracker.update(frame: v)
                if t % 4 == 0 {
                    // A detection round with slightly perturbed boxes.
                    let det = boxes(t).map { TrackBox(x: $0.x + 1.5, y: $0.y - 1, width: $0.width + 2, height: $0.height) }
                    f = try tracker.reconcile(detections: det, frame: v)
                }
                return f
            }
            #expect(faces.count == 2)
            let left = faces.first { $0.id == idOfLeft }
            // IoU 0.5: the left face's track must stay on the left face (the other is > 60 px away).
            #expect((left?.box.iou(boxes(t)[0]) ?? 0) > 0.5, "frame \(t)")
        }
        // A third face appears; the first two keep IDs 1 and 2, the new one gets 3.
        let extra = TrackBox(x: 150, y: 5, width: 30, height: 30)
        let faces = try frame.withView { (v) throws(TrackingError) in try tracker.reconcile(detections: boxes(8) + [extra], frame: v) }
        #expect(faces.map(\.id).sorted() == [1, 2, 3])
        // Rounds without detections end every track; IDs are not reused afterwards.
        for _ in 0..<3 { _ = try frame.withView { (v) throws(TrackingError) in try tracker.reconcile(detections: [], frame: v) } }
        #expect(tracker.faces.isEmpty)
        let again = try frame.withView { (v) throws(TrackingError) in try tracker.reconcile(detections: [boxes(8)[0]], frame: v) }
        #expect(again.map(\.id) == [4])
    }
}

@Suite("FaceTracker update(into:)")
struct FaceTrackerIntoTests {
    @Test("update(frame:into:) reports what update(frame:) reports")
    func intoMatchesReturning() throws {
        var scene = SyntheticScene(width: 160, height: 120, seed: 21)
        let box = TrackBox(x: 40, y: 30, width: 50, height: 50)
        scene.objects = [(SyntheticScene.Texture(seed: 22, frequency: 0.2...0.6), box)]
        let a = try FaceTracker(), b = try FaceTracker()
        let first = scene.render()
        try first.withView { (v) throws(TrackingError) in
            try a.reconcile(detections: [box], frame: v)
            try b.reconcile(detections: [box], frame: v)
        }
        var faces: [TrackedFace] = []
        for t in 1...4 {
            scene.objects[0].box = TrackBox(x: 40 + 2 * Double(t), y: 30 + Double(t), width: 50, height: 50)
            let frame = scene.render()
            let returned = try frame.withView { (v) throws(TrackingError) in try a.update(frame: v) }
            try frame.withView { (v) throws(TrackingError) in try b.update(frame: v, into: &faces) }
            #expect(returned == faces)
            #expect(faces.count == 1)
        }
    }
}
