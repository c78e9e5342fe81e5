/// Stages 2 and 3 of the cascade (`mtcnn/stages/stage_rnet.py`, `stage_onet.py`):
/// every candidate is cut out of the normalised image with TensorFlow's
/// crop-and-resize, the network scores and refines it, and the survivors go
/// through NMS.
///
/// Candidates run batched, in chunks of at most `maximumBatch`, each padded to a
/// power of two up to 8 and to a multiple of 8 above, so that the workspace sees a
/// bounded set of shapes and, after warm-up, allocates nothing, while a frame with
/// two candidates does not pay for eight. Padding rows are zeros and their outputs
/// are ignored (every sample of a batch is computed independently).
///
/// With several threads and at least one candidate per thread, a chunk is split into
/// one part per thread and each thread runs the whole network on its part in its own
/// workspace: one hand-over per chunk instead of one per layer. Every sample's result
/// is computed the same way whatever batch it is in, so the split changes no result.
final class RefineStage {
    /// The batch granularity above 8: chunk sizes are rounded up to a multiple of this
    /// (at most 7 padding rows, against 15 with 16: R-Net's 52 proposals on a 640×480
    /// frame ran as 64).
    static let batchStep = 8

    /// The padded batch size for `count` candidates: 1, 2, 4, 8, then multiples of 8.
    static func paddedBatch(_ count: Int) -> Int {
        if count > batchStep { return (count + batchStep - 1) / batchStep * batchStep }
        var n = 1
        while n < count { n *= 2 }
        return n
    }

    let name: String
    let network: Network
    /// One workspace per pool worker: worker 0's runs a whole chunk with the pool's threads
    /// sharing each layer; with a split, each worker runs its parts on its own thread.
    let workspaces: [Workspace]
    /// The network's input side (24 for R-Net, 48 for O-Net).
    let size: Int
    let maximumBatch: Int
    private let bboxIndex: Int
    private let probIndex: Int
    private let landmarksIndex: Int?
    private var keep: [Bool] = []

    init(name: String, network: Network, pool: WorkerPool, maximumBatch: Int, landmarks: Bool) throws(DetectionError) {
        let outputs = network.outputNames
        guard let b = outputs.firstIndex(of: "bbox"), let p = outputs.firstIndex(of: "prob"),
            !landmarks || outputs.contains("landmarks")
        else {
            throw .wrongNetwork(
                stage: name, path: network.path,
                reason: "has outputs \(outputs) but \(name) needs 'bbox', 'prob'\(landmarks ? " and 'landmarks'" : "")")
        }
        self.name = name
        self.network = network
        workspaces = (0..<pool.threads).map { Workspace(network: network, pool: $0 == 0 ? pool : .serial) }
        size = network.referenceInputShape.h
        self.maximumBatch = maximumBatch
        bboxIndex = b
        probIndex = p
        landmarksIndex = landmarks ? outputs.firstIndex(of: "landmarks") : nil
    }

    /// Scores and refines `candidates` in place: keeps those above `threshold`, sorted
    /// best first, after NMS (`nmsMode`), squared when `square` (R-Net) and with
    /// landmarks when this is the output stage.
    func run(
        _ candidates: inout [Candidate], image: ImageView, table: UnsafePointer<Float>, pool: WorkerPool,
        threshold: Double, nms: Double, nmsMode: NonMaxSuppression.Mode, square: Bool
    ) throws(DetectionError) {
        let total = candidates.count
        guard total > 0 else { return }
        var start = 0
        while start < total {
            let count = min(maximumBatch, total - start)
            let parts = pool.threads > 1 && count >= pool.threads ? pool.threads : 1
            // Every worker gets a plan for every part's batch shape now, so that whichever
            // thread runs which part, nothing allocates after the first call.
            for part in 0..<parts {
                let shape = TensorShape(n: Self.paddedBatch(Self.part(part, of: parts, count: count).count), h: size, w: size, c: 3)
                for workspace in workspaces.prefix(parts) {
                    do { _ = try workspace.prepare(inputShape: shape) } catch { throw .network(stage: name, underlying: error) }
                }
            }
            let first = start
            candidates.withUnsafeMutableBufferPointer { boxes in
                let body = Parts(stage: self, boxes: boxes, first: first, count: count, parts: parts, image: image, table: table)
                if parts == 1 {
                    body.run(0..<1, worker: 0) // the pool shares each layer instead
                } else {
                    pool.parallelFor(parts, body)
                }
            }
            start += count
        }
        // pick_matches (strictly above, in float64), keeping order.
        var w = 0
        for i in 0..<total where candidates[i].score > threshold {
            candidates[w] = candidates[i]
            w += 1
        }
        candidates.removeLast(total - w)
        NonMaxSuppression.sortByScore(&candidates)
        NonMaxSuppression.suppress(&candidates, threshold: nms, mode: nmsMode, keep: &keep)
        if square { NonMaxSuppression.square(&candidates) }
    }

    /// Candidates `part` of `parts` covers among `count`: contiguous and fixed for a count.
    static func part(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        count * part / parts..<count * (part + 1) / parts
    }

    /// Runs the network on parts of a chunk, each in the running worker's workspace, and
    /// writes every candidate's score, regressed box and landmarks back (allocation-free).
    private struct Parts: ParallelBody {
        unowned(unsafe) let stage: RefineStage // alive for the whole (blocking) loop
        let boxes: UnsafeMutableBufferPointer<Candidate>
        let first: Int, count: Int, parts: Int
        let image: ImageView
        let table: UnsafePointer<Float>

        func run(_ range: Range<Int>) { run(range, worker: 0) }

        func run(_ range: Range<Int>, worker: Int) {
            let workspace = stage.workspaces[worker]
            let size = stage.size
            let patch = size * size * 3
            for part in range {
                let members = RefineStage.part(part, of: parts, count: count)
                let batch = RefineStage.paddedBatch(members.count)
                // Prepared in `run`: a lookup that cannot fail here.
                guard let input = try? workspace.prepare(inputShape: TensorShape(n: batch, h: size, w: size, c: 3)),
                    let base = input.baseAddress
                else { continue }
                let crops = PatchCrops(
                    boxes: UnsafeBufferPointer(boxes), first: first + members.lowerBound, image: image, table: table,
                    width: Double(image.width), height: Double(image.height), size: size, output: base, patch: patch)
                if parts == 1 {
                    workspace.pool.parallelFor(members.count, minimumPerThread: 8, crops)
                } else {
                    crops.run(0..<members.count)
                }
                if batch > members.count { (base + members.count * patch).update(repeating: 0, count: (batch - members.count) * patch) }
                workspace.run()
                let offsets = workspace.output(stage.bboxIndex).buffer
                let probs = workspace.output(stage.probIndex).buffer
                let marks = stage.landmarksIndex.map { workspace.output($0).buffer }
                for i in 0..<members.count {
                    var b = boxes[first + members.lowerBound + i]
                    if let marks {
                        // adjust_landmarks, on the box given to O-Net: size counted inclusively,
                        // float64 arithmetic stored back into the float32 landmark array.
                        let w = b.x2 - b.x1 + 1, h = b.y2 - b.y1 + 1
                        for k in 0..<5 {
                            b.landmarks[k] = Float(w * Double(marks[i * 10 + k]) + b.x1 - 1)
                            b.landmarks[5 + k] = Float(h * Double(marks[i * 10 + 5 + k]) + b.y1 - 1)
                        }
                    }
                    b.score = Double(probs[i * 2 + 1])
                    NonMaxSuppression.regress(&b, offsets[i * 4], offsets[i * 4 + 1], offsets[i * 4 + 2], offsets[i * 4 + 3])
                    boxes[first + members.lowerBound + i] = b
                }
            }
        }
    }

    /// Crops and resizes candidate patches `range` into the batch input (allocation-free pool body).
    private struct PatchCrops: ParallelBody {
        let boxes: UnsafeBufferPointer<Candidate>
        let first: Int
        let image: ImageView
        let table: UnsafePointer<Float>
        let width: Double, height: Double
        let size: Int
        let output: UnsafeMutablePointer<Float>
        let patch: Int
        func run(_ range: Range<Int>) {
            for i in range {
                let b = boxes[first + i]
                // extract_patches: [y1/H, x1/W, y2/H, x2/W] in float64, passed as float32.
                CropAndResize.crop(
                    image, table: table, y1: Float(b.y1 / height), x1: Float(b.x1 / width),
                    y2: Float(b.y2 / height), x2: Float(b.x2 / width), size: size,
                    output: output + i * patch)
            }
        }
    }
}
