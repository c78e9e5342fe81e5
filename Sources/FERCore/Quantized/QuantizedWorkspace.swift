import Foundation

/// The buffers a ``QuantizedNetwork`` runs in, one per thread (as ``Workspace`` for float
/// networks). Sized for the network at creation and for the largest batch seen; after the first
/// call of a batch size, running allocates nothing.
public final class QuantizedWorkspace {
    /// The network this workspace runs.
    public let network: QuantizedNetwork
    /// The int8 kernel path in use (the best for ``InstructionSet/current``).
    let path: QuantizedKernels.Path

    private var input: UnsafeMutableBufferPointer<Float>
    private var output: UnsafeMutableBufferPointer<Float>
    private var batch = 0
    /// When set (tests), each block's output is appended here on every sample: the u8 output of
    /// a quantized block (before its pool) as floats, the float features of the last one.
    var captured: [[Float]]?
    private let ping: UnsafeMutablePointer<UInt8>
    private let pong: UnsafeMutablePointer<UInt8>
    private let columns: UnsafeMutablePointer<UInt8>
    private let features: UnsafeMutablePointer<Float>
    private let pooled: UnsafeMutablePointer<Float>

    /// A workspace for `network` on the best int8 path of this CPU.
    public convenience init(network: QuantizedNetwork) {
        self.init(network: network, path: .current)
    }

    init(network: QuantizedNetwork, path: QuantizedKernels.Path) {
        self.network = network
        self.path = path
        let inShape = network.referenceInputShape
        var activation = inShape.h * inShape.w * inShape.c, column = 1, feature = 1
        for cv in network.convs {
            activation = max(activation, cv.outH * cv.outW * cv.cout)
            column = max(column, cv.outH * cv.outW * cv.kPadded)
            if cv.floatOutput { feature = max(feature, cv.outH * cv.outW * cv.cout) }
        }
        ping = .allocate(capacity: activation)
        pong = .allocate(capacity: activation)
        columns = .allocate(capacity: column)
        features = .allocate(capacity: feature)
        pooled = .allocate(capacity: max(1, network.denseIn))
        input = UnsafeMutableBufferPointer(start: nil, count: 0)
        output = UnsafeMutableBufferPointer(start: nil, count: 0)
    }

    deinit {
        ping.deallocate()
        pong.deallocate()
        columns.deallocate()
        features.deallocate()
        pooled.deallocate()
        input.deallocate()
        output.deallocate()
    }

    /// Makes room for `batch` samples and returns the input buffer to fill (NHWC floats, the
    /// float network's input: e.g. gray values scaled to [-1, 1]). Allocates only for a batch
    /// larger than any before.
    /// - Throws: ``NetworkError/emptyInput(network:shape:)`` for a batch below 1.
    public func prepare(batch: Int) throws(NetworkError) -> UnsafeMutableBufferPointer<Float> {
        let s = network.referenceInputShape
        guard batch >= 1 else { throw .emptyInput(network: network.name, shape: TensorShape(n: batch, h: s.h, w: s.w, c: s.c)) }
        let per = s.h * s.w * s.c
        if batch * per > input.count {
            input.deallocate()
            output.deallocate()
            input = .allocate(capacity: batch * per)
            output = .allocate(capacity: batch * network.outputCount)
        }
        self.batch = batch
        return UnsafeMutableBufferPointer(rebasing: input[0..<(batch * per)])
    }

    /// The outputs of the last ``run()``: `batch × outputCount` floats, valid until the next run.
    public var outputs: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: output[0..<(batch * network.outputCount)])
    }

    /// Runs the prepared batch, one sample after the other.
    public func run() {
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        let s = network.referenceInputShape
        let per = s.h * s.w * s.c
        for i in 0..<batch {
            forward(inBase + i * per, into: outBase + i * network.outputCount)
        }
    }

    private func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let net = network
        let s = net.referenceInputShape
        // The image as u8: scale 1/127, zero point 128 (x·127 rounded half to even, + 128, clamped).
        for j in 0..<(s.h * s.w * s.c) {
            let v = PlainRounding.nearestEven(x[j] * 127) + 128
            ping[j] = v.isNaN ? QuantizedNetwork.inputZeroPoint : UInt8(max(0, min(255, v)))
        }
        var current = ping, spare = pong
        for cv in net.convs {
            QuantizedKernels.im2col(
                current, h: cv.inH, w: cv.inW, c: cv.cin, geometry: cv.geometry,
                padValue: cv.inputZeroPoint, kPadded: cv.kPadded, into: columns)
            let m = cv.outH * cv.outW
            cv.packed.withUnsafeBufferPointer { b in
                cv.scale.withUnsafeBufferPointer { sc in
                    cv.bias.withUnsafeBufferPointer { bi in
                        guard let b = b.baseAddress, let sc = sc.baseAddress, let bi = bi.baseAddress else { return }
                        QuantizedKernels.gemm(
                            path: path, a: columns, m: m, kPadded: cv.kPadded, packed: b, n: cv.cout,
                            scale: sc, bias: bi, relu: true,
                            outU8: cv.floatOutput ? nil : spare, outF32: cv.floatOutput ? features : nil)
                    }
                }
            }
            if captured != nil, !cv.floatOutput {
                captured?.append((0..<(m * cv.cout)).map { Float(spare[$0]) })
            }
            if cv.floatOutput { break }
            if let pool = cv.pool {
                QuantizedKernels.maxPool(spare, h: cv.outH, w: cv.outW, c: cv.cout, geometry: pool, into: current)
            } else {
                swap(&current, &spare)
            }
        }
        // Head in float: max pool of the last block (if any), global average, dense, softmax.
        guard let last = net.convs.last else { return }
        var h = last.outH, w = last.outW
        let c = last.cout
        if let pool = last.pool {
            // Pool the float features in place into `features` (rows shrink, so reading ahead is safe).
            for oy in 0..<pool.outH {
                for ox in 0..<pool.outW {
                    for ch in 0..<c {
                        var m = -Float.infinity
                        for ky in 0..<pool.kh {
                            for kx in 0..<pool.kw {
                                m = max(m, features[((oy * pool.sh + ky) * w + ox * pool.sw + kx) * c + ch])
                            }
                        }
                        pooled[ch] = m
                    }
                    (features + (oy * pool.outW + ox) * c).update(from: pooled, count: c)
                }
            }
            (h, w) = (pool.outH, pool.outW)
        }
        if captured != nil { captured?.append(Array(UnsafeBufferPointer(start: features, count: h * w * c))) }
        // Global average: sum over positions in order, then divide (as the numpy model does).
        for ch in 0..<c { pooled[ch] = 0 }
        for p in 0..<(h * w) {
            let row = features + p * c
            for ch in 0..<c { pooled[ch] += row[ch] }
        }
        let count = Float(h * w)
        for ch in 0..<c { pooled[ch] /= count }
        let classes = net.outputCount
        net.denseWeights.withUnsafeBufferPointer { wd in
            for o in 0..<classes {
                var acc: Float = 0
                for k in 0..<net.denseIn {
                    let product = pooled[k] * wd[k * classes + o]
                    acc += product
                }
                y[o] = acc + net.denseBias[o]
            }
        }
        if net.softmax {
            var m = -Float.infinity
            for o in 0..<classes { m = max(m, y[o]) }
            var sum: Float = 0
            for o in 0..<classes {
                y[o] = Foundation.exp(y[o] - m)
                sum += y[o]
            }
            for o in 0..<classes { y[o] /= sum }
        }
    }
}
