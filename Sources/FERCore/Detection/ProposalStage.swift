/// Stage 1 of the cascade (`mtcnn/stages/stage_pnet.py`): P-Net over every pyramid
/// level, candidates from the cells above the threshold, NMS per level, NMS across
/// levels, squaring.
///
/// Levels run in parallel: each pool worker owns a P-Net ``Workspace``; the pool's
/// threads claim levels one by one, largest first, each scanning with its own worker's
/// workspace. A level's candidates do not depend on which thread scanned it, and
/// levels merge in level order, so the result does not depend on scheduling.
///
/// A level of more than ``stripPixels`` pixels is scanned in horizontal strips that
/// overlap by 10 rows, so P-Net's activations take memory in proportion to the level's
/// width, not its area (P-Net needs ~57 bytes per input pixel). P-Net output row `y` sees
/// input rows `2y ..< 2y + 12` only (3×3 conv, 2×2/2 pool, two 3×3 convs), every strip
/// starts on a row that is a multiple of 8 (so that P-Net's pooled rows start on a multiple of
/// 4, and ``Winograd``'s 4×4 output tiles group the same rows as in the whole level), and each
/// strip keeps only the output rows its rows cover
/// completely; the convolution kernels compute each output element the same way whatever
/// the tensor's height, so a level scanned in strips gives the same candidates, bit for
/// bit, as the level scanned whole (FaceDetectorEdgeCaseTests checks it).
final class ProposalStage {
    /// P-Net's stride and window (`generate_bounding_box(strides=2, cell_size=12)`).
    static let stride = 2
    static let cell = 12
    /// Rows of overlap between strips: P-Net output row `y` needs input rows up to `2y + 11`.
    static let stripOverlap = 10
    /// The fewest input rows P-Net accepts (conv 3, pool 2/2, conv 3, conv 3: 11 → 1 row).
    static let minimumRows = 11

    /// Levels with more pixels than this are scanned in strips of about this many pixels
    /// (default 512 Ki pixels: ~30 MB of P-Net activations per thread; the 10 overlapping
    /// rows cost 4 % more P-Net work on a 2304-pixel-wide level). Levels of a 1280×720 frame
    /// at the default minimum face (768×432) are scanned whole.
    var stripPixels = 1 << 19

    /// Per-worker state: a workspace and resize tables.
    final class WorkerState {
        let workspace: Workspace
        var resizer = AreaResizer()
        var error: NetworkError?
        init(workspace: Workspace) { self.workspace = workspace }
    }

    /// One level's candidates (a class so that workers can fill different levels at once).
    final class LevelCandidates {
        var boxes: [Candidate] = []
        var keep: [Bool] = []
    }

    let network: Network
    let workers: [WorkerState]
    /// The pyramid (and image size) every worker has been prepared for, see ``prepareSlots(image:)``.
    private var preparedLevels: [PyramidLevel] = []
    private var preparedSize = (width: 0, height: 0)
    private let bboxIndex: Int
    private let probIndex: Int
    private(set) var levels: [PyramidLevel] = []
    private var results: [LevelCandidates] = []
    private var keep: [Bool] = []
    /// The whole image in the pyramid's byte layout, once per call (``AreaResizer/normalize(_:into:pool:)``).
    /// Allocated in init after the network is checked: an init that throws before every
    /// stored property is set never runs deinit, so an earlier allocation would leak.
    private var normalized: UnsafeMutablePointer<UInt8>
    private var normalizedCapacity = 1

    deinit { normalized.deallocate() }

    init(network: Network, pool: WorkerPool) throws(DetectionError) {
        guard let b = network.outputNames.firstIndex(of: "bbox"), let p = network.outputNames.firstIndex(of: "prob") else {
            throw .wrongNetwork(
                stage: "P-Net", path: network.path,
                reason: "has outputs \(network.outputNames) but P-Net needs 'bbox' and 'prob'")
        }
        self.network = network
        bboxIndex = b
        probIndex = p
        workers = (0..<pool.threads).map { _ in WorkerState(workspace: Workspace(network: network, pool: pool)) }
        normalized = .allocate(capacity: 1)
    }

    /// Runs the stage and leaves its squared candidates, best first, in `output`.
    ///
    /// `image` may be a shrunk copy of the detector's input: `mapBack` holds the copy's
    /// scale per axis, and candidates are divided by it before they are squared, so they
    /// come out in the input's coordinates (exactly unchanged when the scale is 1).
    func run(
        _ image: ImageView, options: FaceDetectorOptions, minimumFaceSize: Double,
        pool: WorkerPool, mapBack: (x: Double, y: Double) = (1, 1), output: inout [Candidate]
    ) throws(DetectionError) {
        output.removeAll(keepingCapacity: true)
        ImagePyramid.build(
            width: image.width, height: image.height, minimumFaceSize: minimumFaceSize,
            scaleFactor: options.scaleFactor, into: &levels)
        guard !levels.isEmpty else { return }
        let pixels = AreaResizer.normalizedCount(width: image.width, height: image.height)
        if pixels > normalizedCapacity {
            normalized.deallocate()
            normalized = .allocate(capacity: pixels)
            normalizedCapacity = pixels
        }
        AreaResizer.normalize(image, into: normalized, pool: pool)
        while results.count < levels.count { results.append(LevelCandidates()) }
        for s in workers { s.error = nil }

        if workers.count == 1 || levels.count == 1 {
            // One worker: P-Net's own loops get the whole pool.
            for l in levels.indices { scan(level: l, worker: workers[0], image: image, options: options) }
        } else {
            prepareSlots(image: image)
            // One level per chunk (levels are largest first), claimed by whichever thread is free.
            pool.parallelFor(
                levels.count, chunksPerThread: levels.count,
                LevelScan(stage: self, image: image, options: options))
        }
        for s in workers { if let e = s.error { throw .network(stage: "P-Net", underlying: e) } }

        for l in levels.indices { output.append(contentsOf: results[l].boxes) }
        NonMaxSuppression.sortByScore(&output)
        NonMaxSuppression.suppress(&output, threshold: options.proposalNMS, mode: .union, keep: &keep)
        if mapBack.x != 1 || mapBack.y != 1 {
            for i in output.indices {
                output[i].x1 /= mapBack.x; output[i].x2 /= mapBack.x
                output[i].y1 /= mapBack.y; output[i].y2 /= mapBack.y
            }
        }
        NonMaxSuppression.square(&output)
    }

    /// Any thread may scan any level, so every worker gets a workspace plan (one per strip
    /// height) and resize buffers for every level once per pyramid: after that first call
    /// nothing allocates, whichever thread claims which level (a plan already made is only
    /// looked up).
    private func prepareSlots(image: ImageView) {
        guard levels != preparedLevels || preparedSize != (image.width, image.height) else { return }
        for worker in workers {
            for level in levels {
                forEachStrip(of: level) { first, rows, _ in
                    // An error here (input too large) is raised again, and reported, by the scan.
                    _ = try? worker.workspace.prepare(inputShape: TensorShape(n: 1, h: rows, w: level.width, c: 3))
                }
                worker.resizer.reserve(inWidth: image.width, inHeight: image.height, outWidth: level.width, outHeight: level.height)
            }
        }
        preparedLevels = levels
        preparedSize = (image.width, image.height)
    }

    /// The strip height for a level: the whole level up to ``stripPixels`` pixels, else a
    /// row count of about `stripPixels` pixels, 2 more than a multiple of 8 (at least 34 rows:
    /// 12 output rows each), so that each strip starts ``stripOverlap`` (10) rows before the
    /// previous one ends, on a multiple of 8.
    func stripRows(_ level: PyramidLevel) -> Int {
        guard level.width * level.height > stripPixels else { return level.height }
        let rows = (max(32, stripPixels / max(1, level.width)) & ~7) + 2
        return min(rows, level.height)
    }

    /// Calls `body(firstRow, rows, isLast)` for each strip of `level`, top to bottom. Strips
    /// start on multiples of 8 and overlap by ``stripOverlap`` rows; a remainder too short for
    /// P-Net holds no output row that the previous strips did not already give.
    @inline(__always)
    func forEachStrip(of level: PyramidLevel, _ body: (Int, Int, Bool) -> Void) {
        let height = stripRows(level)
        var first = 0
        while true {
            let remaining = level.height - first
            if remaining <= height {
                if first == 0 || remaining >= Self.minimumRows { body(first, remaining, true) }
                return
            }
            body(first, height, false)
            first += height - Self.stripOverlap
        }
    }

    /// Adds the candidates of the last P-Net run (a strip whose first output row is the
    /// level's `firstRow`; `keepRows` of its rows, or all of them) to `result`.
    private func collect(
        level: PyramidLevel, into result: LevelCandidates, firstRow: Int, keepRows: Int?,
        options: FaceDetectorOptions, worker: WorkerState
    ) {
        let bbox = worker.workspace.output(bboxIndex)
        let prob = worker.workspace.output(probIndex)
        let rows = min(prob.shape.h, keepRows ?? prob.shape.h), cols = prob.shape.w
        let threshold = options.proposalThreshold
        let scale = level.scale
        // generate_bounding_box: a cell's box runs from stride·i + 1 to stride·i + cell
        // (its `cellsize` offsets are 1 and 12), so the regression unit is cell - 1 = 11.
        let reach = Double(Self.cell - 1)
        for yLocal in 0..<rows {
            let y = firstRow + yLocal
            for x in 0..<cols {
                let cellIndex = yLocal * cols + x
                let p = prob.buffer[cellIndex * 2 + 1]
                // numpy 2 compares the float32 array with the threshold as float32 (NEP 50).
                guard p > threshold else { continue }
                let r = bbox.buffer.baseAddress.map { $0 + cellIndex * 4 }
                guard let r else { continue }
                // Then upscale_bboxes: float32 offsets times the integer size promote to
                // float64, and the box is divided by the level's scale.
                let x1 = Double(Self.stride * x + 1), y1 = Double(Self.stride * y + 1)
                let x2 = Double(Self.stride * x + Self.cell), y2 = Double(Self.stride * y + Self.cell)
                result.boxes.append(
                    Candidate(
                        x1: (x1 + Double(r[0]) * reach) / scale,
                        y1: (y1 + Double(r[1]) * reach) / scale,
                        x2: (x2 + Double(r[2]) * reach) / scale,
                        y2: (y2 + Double(r[3]) * reach) / scale,
                        score: Double(p)))
            }
        }
    }

    /// Levels `range`, each scanned with the running thread's worker (allocation-free pool body).
    private struct LevelScan: ParallelBody {
        unowned(unsafe) let stage: ProposalStage // alive for the whole (blocking) loop
        let image: ImageView
        let options: FaceDetectorOptions
        func run(_ range: Range<Int>) { run(range, worker: 0) }
        func run(_ range: Range<Int>, worker: Int) {
            for l in range {
                stage.scan(level: l, worker: stage.workers[worker], image: image, options: options)
            }
        }
    }

    /// P-Net on one level, in strips when it is large; candidates (image coordinates,
    /// sorted, NMS'd) go to `results[level]`.
    private func scan(level l: Int, worker: WorkerState, image: ImageView, options: FaceDetectorOptions) {
        let level = levels[l]
        let result = results[l]
        result.boxes.removeAll(keepingCapacity: true)
        var failed = false
        forEachStrip(of: level) { first, rows, isLast in
            guard !failed else { return }
            let input: UnsafeMutableBufferPointer<Float>
            do throws(NetworkError) {
                input = try worker.workspace.prepare(inputShape: TensorShape(n: 1, h: rows, w: level.width, c: 3))
            } catch {
                worker.error = error
                failed = true
                return
            }
            guard let base = input.baseAddress else { return }
            worker.resizer.resize(
                UnsafePointer(normalized), inWidth: image.width, inHeight: image.height,
                outWidth: level.width, outHeight: level.height, rows: first..<(first + rows), output: base)
            worker.workspace.run()
            // A strip that is not the last keeps the output rows whose 12 input rows it
            // holds: (rows - 10) / 2 of them; the next strip starts where they end.
            collect(
                level: level, into: result, firstRow: first / Self.stride,
                keepRows: isLast ? nil : (rows - Self.stripOverlap) / Self.stride, options: options, worker: worker)
        }
        NonMaxSuppression.sortByScore(&result.boxes)
        NonMaxSuppression.suppress(&result.boxes, threshold: options.proposalLevelNMS, mode: .union, keep: &result.keep)
    }
}
