/// Stage 1 of the cascade (`mtcnn/stages/stage_pnet.py`): P-Net over every pyramid
/// level, candidates from the cells above the threshold, NMS per level, NMS across
/// levels, squaring.
///
/// Levels run in parallel: each pool slot owns a P-Net ``Workspace``; the pool's
/// threads claim levels one by one, largest first, each scanning with its own slot's
/// workspace. A level's candidates do not depend on which thread scanned it, and
/// levels merge in level order, so the result does not depend on scheduling.
final class ProposalStage {
    /// P-Net's stride and window (`generate_bounding_box(strides=2, cell_size=12)`).
    static let stride = 2
    static let cell = 12

    /// Per-slot state: a workspace and resize tables.
    final class Slot {
        let workspace: Workspace
        var resizer = AreaResizer()
        var error: NetworkError?
        init(workspace: Workspace) { self.workspace = workspace }
    }

    /// One level's candidates (a class so that slots can fill different levels at once).
    final class LevelCandidates {
        var boxes: [Candidate] = []
        var keep: [Bool] = []
    }

    let network: Network
    let slots: [Slot]
    /// The pyramid (and image size) every slot has been prepared for, see ``prepareSlots(image:)``.
    private var preparedLevels: [PyramidLevel] = []
    private var preparedSize = (width: 0, height: 0)
    private let bboxIndex: Int
    private let probIndex: Int
    private(set) var levels: [PyramidLevel] = []
    private var results: [LevelCandidates] = []
    private var keep: [Bool] = []
    /// The whole image normalised to floats, once per call (``AreaResizer/normalize(_:table:into:pool:)``).
    private var normalized: UnsafeMutablePointer<SIMD4<Float>> = .allocate(capacity: 1)
    private var normalizedCapacity = 1

    deinit { normalized.deallocate() }

    init(network: Network, pool: WorkerPool) throws(DetectionError) {
        guard let b = network.outputNames.firstIndex(of: "bbox"), let p = network.outputNames.firstIndex(of: "prob") else {
            throw .wrongNetwork(stage: "P-Net", path: network.path,
                                reason: "has outputs \(network.outputNames) but P-Net needs 'bbox' and 'prob'")
        }
        self.network = network
        bboxIndex = b
        probIndex = p
        slots = (0..<pool.threads).map { _ in Slot(workspace: Workspace(network: network, pool: pool)) }
    }

    /// Runs the stage and leaves its squared candidates, best first, in `output`.
    func run(_ image: ImageView, table: UnsafePointer<Float>, options: FaceDetectorOptions, pool: WorkerPool,
             output: inout [Candidate]) throws(DetectionError) {
        output.removeAll(keepingCapacity: true)
        ImagePyramid.build(width: image.width, height: image.height, minimumFaceSize: options.minimumFaceSize,
                           scaleFactor: options.scaleFactor, into: &levels)
        guard !levels.isEmpty else { return }
        let pixels = image.width * image.height
        if pixels > normalizedCapacity {
            normalized.deallocate()
            normalized = .allocate(capacity: pixels)
            normalizedCapacity = pixels
        }
        AreaResizer.normalize(image, table: table, into: normalized, pool: pool)
        while results.count < levels.count { results.append(LevelCandidates()) }
        for s in slots { s.error = nil }

        if slots.count == 1 || levels.count == 1 {
            // One slot: P-Net's own loops get the whole pool.
            for l in levels.indices { scan(level: l, slot: slots[0], image: image, table: table, options: options) }
        } else {
            prepareSlots(image: image)
            // One level per chunk (levels are largest first), claimed by whichever thread is free.
            pool.parallelFor(levels.count, chunksPerThread: levels.count,
                             LevelScan(stage: self, image: image, table: table, options: options))
        }
        for s in slots { if let e = s.error { throw .network(stage: "P-Net", underlying: e) } }

        for l in levels.indices { output.append(contentsOf: results[l].boxes) }
        NonMaxSuppression.sortByScore(&output)
        NonMaxSuppression.suppress(&output, threshold: options.proposalNMS, mode: .union, keep: &keep)
        NonMaxSuppression.square(&output)
    }

    /// Any thread may scan any level, so every slot gets a workspace plan and resize
    /// buffers for every level once per pyramid: after that first call nothing allocates,
    /// whichever thread claims which level (a plan already made is only looked up).
    private func prepareSlots(image: ImageView) {
        guard levels != preparedLevels || preparedSize != (image.width, image.height) else { return }
        for slot in slots {
            for level in levels {
                // An error here (input too large) is raised again, and reported, by the scan.
                _ = try? slot.workspace.prepare(inputShape: TensorShape(n: 1, h: level.height, w: level.width, c: 3))
                slot.resizer.reserve(inWidth: image.width, inHeight: image.height, outWidth: level.width, outHeight: level.height)
            }
        }
        preparedLevels = levels
        preparedSize = (image.width, image.height)
    }

    /// Levels `range`, each scanned with the running thread's slot (allocation-free pool body).
    private struct LevelScan: ParallelBody {
        unowned(unsafe) let stage: ProposalStage     // alive for the whole (blocking) loop
        let image: ImageView
        let table: UnsafePointer<Float>
        let options: FaceDetectorOptions
        func run(_ range: Range<Int>) { run(range, slot: 0) }
        func run(_ range: Range<Int>, slot: Int) {
            for l in range {
                stage.scan(level: l, slot: stage.slots[slot], image: image, table: table, options: options)
            }
        }
    }

    /// P-Net on one level; candidates (image coordinates, sorted, NMS'd) go to `results[level]`.
    private func scan(level l: Int, slot: Slot, image: ImageView, table: UnsafePointer<Float>, options: FaceDetectorOptions) {
        let level = levels[l]
        let result = results[l]
        result.boxes.removeAll(keepingCapacity: true)
        let input: UnsafeMutableBufferPointer<Float>
        do {
            input = try slot.workspace.prepare(inputShape: TensorShape(n: 1, h: level.height, w: level.width, c: 3))
        } catch {
            slot.error = error
            return
        }
        guard let base = input.baseAddress else { return }
        slot.resizer.resize(normalized, inWidth: image.width, inHeight: image.height,
                            outWidth: level.width, outHeight: level.height, output: base)
        slot.workspace.run()
        let bbox = slot.workspace.output(bboxIndex)
        let prob = slot.workspace.output(probIndex)
        let rows = prob.shape.h, cols = prob.shape.w
        let threshold = options.proposalThreshold
        let scale = level.scale
        // generate_bounding_box: a cell's box runs from stride·i + 1 to stride·i + cell
        // (its `cellsize` offsets are 1 and 12), so the regression unit is cell - 1 = 11.
        let reach = Double(Self.cell - 1)
        for y in 0..<rows {
            for x in 0..<cols {
                let cellIndex = y * cols + x
                let p = prob.buffer[cellIndex * 2 + 1]
                // numpy 2 compares the float32 array with the threshold as float32 (NEP 50).
                guard p > threshold else { continue }
                let r = bbox.buffer.baseAddress.map { $0 + cellIndex * 4 }
                guard let r else { continue }
                // Then upscale_bboxes: float32 offsets times the integer size promote to
                // float64, and the box is divided by the level's scale.
                let x1 = Double(Self.stride * x + 1), y1 = Double(Self.stride * y + 1)
                let x2 = Double(Self.stride * x + Self.cell), y2 = Double(Self.stride * y + Self.cell)
                result.boxes.append(Candidate(x1: (x1 + Double(r[0]) * reach) / scale,
                                              y1: (y1 + Double(r[1]) * reach) / scale,
                                              x2: (x2 + Double(r[2]) * reach) / scale,
                                              y2: (y2 + Double(r[3]) * reach) / scale,
                                              score: Double(p)))
            }
        }
        NonMaxSuppression.sortByScore(&result.boxes)
        NonMaxSuppression.suppress(&result.boxes, threshold: options.proposalLevelNMS, mode: .union, keep: &result.keep)
    }
}
