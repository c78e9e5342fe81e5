/// A face candidate between the cascade's stages, in image pixels, kept in `Double`
/// as the reference keeps its boxes in float64 numpy arrays.
struct Candidate {
    var x1: Double
    var y1: Double
    var x2: Double
    var y2: Double
    var score: Double
    /// Position before the last sort: breaks score ties the way the reference's
    /// `argsort(...)[::-1]` does (equal scores: later position first).
    var order: Int = 0
    /// O-Net landmarks x1…x5, y1…y5 (unused before the output stage).
    var landmarks = SIMD16<Float>()
}

/// The box bookkeeping of `mtcnn` 1.0.0 (`mtcnn/utils/bboxes.py`): score sorting,
/// its non-maximum suppression, squaring and regression.
enum NonMaxSuppression {
    /// How overlap is measured.
    enum Mode {
        /// Intersection over union (`method="union"`).
        case union
        /// Intersection over the smaller area (`method="min"`, used after O-Net).
        case minimum
    }

    /// Sorts by score, highest first; equal scores keep the reference's order (the later
    /// one first). In place, without allocating (heap sort on a total order).
    static func sortByScore(_ boxes: inout [Candidate]) {
        for i in boxes.indices { boxes[i].order = i }
        boxes.withUnsafeMutableBufferPointer { b in
            let n = b.count
            guard n > 1 else { return }
            // "a goes after b" in the final order: a ascending heap sort on this relation.
            @inline(__always) func after(_ a: Candidate, _ c: Candidate) -> Bool {
                a.score < c.score || (a.score == c.score && a.order < c.order)
            }
            func siftDown(_ start: Int, _ end: Int) {
                var root = start
                while true {
                    var child = 2 * root + 1
                    if child >= end { return }
                    // Max-heap with respect to "goes first": the root is the element placed last.
                    if child + 1 < end, after(b[child + 1], b[child]) { child += 1 }
                    if after(b[child], b[root]) { b.swapAt(root, child); root = child } else { return }
                }
            }
            var start = n / 2 - 1
            while start >= 0 { siftDown(start, n); start -= 1 }
            var end = n - 1
            while end > 0 {
                b.swapAt(0, end)
                siftDown(0, end)
                end -= 1
            }
        }
    }

    /// Drops every box that overlaps an earlier (higher-scored) box by more than
    /// `threshold`, whether or not that earlier box was itself dropped: the reference's
    /// `nms` marks box j when any i < j in the upper triangle of the IoU matrix exceeds
    /// the threshold, which differs from the usual greedy NMS. Order is preserved.
    /// `keep` is scratch storage.
    static func suppress(_ boxes: inout [Candidate], threshold: Double, mode: Mode, keep: inout [Bool]) {
        let n = boxes.count
        guard n > 1 else { return }
        keep.removeAll(keepingCapacity: true)
        keep.append(contentsOf: repeatElement(true, count: n))
        let kept = boxes.withUnsafeMutableBufferPointer { b in
            keep.withUnsafeMutableBufferPointer { k in
                for j in 1..<n {
                    let bj = b[j]
                    let areaJ = (bj.x2 - bj.x1) * (bj.y2 - bj.y1)
                    for i in 0..<j {
                        let bi = b[i]
                        // Same operations as bboxes.iou: extents clamped at 0, no +1.
                        let ix = max(0, min(bi.x2, bj.x2) - max(bi.x1, bj.x1))
                        let iy = max(0, min(bi.y2, bj.y2) - max(bi.y1, bj.y1))
                        let inter = ix * iy
                        let areaI = (bi.x2 - bi.x1) * (bi.y2 - bi.y1)
                        let overlap: Double
                        switch mode {
                        case .union: overlap = inter / (areaI + areaJ - inter)
                        case .minimum: overlap = inter / min(areaI, areaJ)
                        }
                        if overlap > threshold { k[j] = false; break }
                    }
                }
                var w = 0
                for j in 0..<n where k[j] {
                    b[w] = b[j]
                    w += 1
                }
                return w
            }
        }
        boxes.removeLast(n - kept)
    }

    /// `resize_to_square`: each box becomes a square of its longer side, same centre.
    static func square(_ boxes: inout [Candidate]) {
        for i in boxes.indices {
            let b = boxes[i]
            let h = b.y2 - b.y1, w = b.x2 - b.x1
            let side = max(w, h)
            let x1 = b.x1 + w * 0.5 - side * 0.5
            let y1 = b.y1 + h * 0.5 - side * 0.5
            boxes[i].x1 = x1
            boxes[i].y1 = y1
            boxes[i].x2 = x1 + side
            boxes[i].y2 = y1 + side
        }
    }

    /// `adjust_bboxes`: moves each corner by its regression offset times the box size,
    /// the size counted inclusively (`x2 - x1 + 1`) as the reference does.
    @inline(__always)
    static func regress(_ b: inout Candidate, _ dx1: Float, _ dy1: Float, _ dx2: Float, _ dy2: Float) {
        let w = b.x2 - b.x1 + 1
        let h = b.y2 - b.y1 + 1
        b.x1 += Double(dx1) * w
        b.y1 += Double(dy1) * h
        b.x2 += Double(dx2) * w
        b.y2 += Double(dy2) * h
    }
}
