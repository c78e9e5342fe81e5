import Testing

@_spi(Kernels) @testable import FERCore

/// The reference's box bookkeeping (`mtcnn/utils/bboxes.py`) on hand-made boxes.
@Suite("NonMaxSuppression")
struct NonMaxSuppressionTests {
    func box(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ s: Double) -> Candidate {
        Candidate(x1: x1, y1: y1, x2: x2, y2: y2, score: s)
    }

    @Test("a box is dropped by any higher-scored overlap, even one itself dropped (reference nms)")
    func allPairsSuppression() {
        // A overlaps B (0.6), B overlaps C (0.6), A and C do not overlap: greedy NMS would
        // keep A and C; the reference drops B and C (C overlaps the dropped B).
        var boxes = [box(0, 0, 10, 10, 0.9), box(2.5, 0, 12.5, 10, 0.8), box(5, 0, 15, 10, 0.7)]
        var keep: [Bool] = []
        NonMaxSuppression.suppress(&boxes, threshold: 0.5, mode: .union, keep: &keep)
        #expect(boxes.map(\.score) == [0.9])
        // IoU(A, B) = 75/125 = 0.6: not above 0.6, so both stay.
        boxes = [box(0, 0, 10, 10, 0.9), box(2.5, 0, 12.5, 10, 0.8)]
        NonMaxSuppression.suppress(&boxes, threshold: 0.6, mode: .union, keep: &keep)
        #expect(boxes.count == 2)
        // "min" mode: a small box inside a large one overlaps it fully.
        boxes = [box(0, 0, 100, 100, 0.9), box(10, 10, 20, 20, 0.8)]
        NonMaxSuppression.suppress(&boxes, threshold: 0.7, mode: .minimum, keep: &keep)
        #expect(boxes.count == 1)
    }

    @Test("sorting: best first, ties in the reference's order, many elements")
    func sorting() {
        var rng = SplitMix64(seed: 7)
        var boxes = (0..<500).map { i in box(Double(i), 0, Double(i) + 1, 1, Double(Int.random(in: 0..<50, using: &rng)) / 50) }
        let original = boxes
        NonMaxSuppression.sortByScore(&boxes)
        let expected = original.enumerated().sorted { a, b in
            a.element.score > b.element.score || (a.element.score == b.element.score && a.offset > b.offset)
        }.map(\.element.x1)
        #expect(boxes.map(\.x1) == expected)
    }

    @Test("squaring keeps the centre; regression counts sizes inclusively")
    func squareAndRegress() {
        var boxes = [box(10, 20, 30, 60, 1)]
        NonMaxSuppression.square(&boxes)
        #expect(boxes[0].x1 == 0 && boxes[0].x2 == 40 && boxes[0].y1 == 20 && boxes[0].y2 == 60)
        var b = box(0, 0, 9, 19, 1)
        NonMaxSuppression.regress(&b, 0.125, 0.25, -0.125, 0.5)
        #expect(b.x1 == 1.25 && b.y1 == 5 && b.x2 == 7.75 && b.y2 == 29)
    }
}
