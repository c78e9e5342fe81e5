/// Max pooling and global average pooling in NHWC.
public enum Pooling {
    /// Max over each window; positions outside the input (TF 'same' padding,
    /// Caffe ceil-mode overhang) are ignored, as both references do.
    public static func maxPool(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        output: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial
    ) {
        pool.parallelFor(shape.n * g.outH, minimumPerThread: 4, MaxRows(input: input, shape: shape, g: g, output: output))
    }

    /// Output rows (flattened over n, oy) of a max pool.
    struct MaxRows: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let output: UnsafeMutablePointer<Float>

        func run(_ range: Range<Int>) {
            let c = shape.c
            let rin = UnsafeRawPointer(input)
            for job in range {
                let n = job / g.outH
                let oy = job % g.outH
                let imageOffset = n * shape.sampleCount
                let iy0 = oy * g.sh - g.padTop
                let kyLo = max(0, -iy0), kyHi = min(g.kh, g.inH - iy0)
                for ox in 0..<g.outW {
                    let ix0 = ox * g.sw - g.padLeft
                    let kxLo = max(0, -ix0), kxHi = min(g.kw, g.inW - ix0)
                    let o = output + ((n * g.outH + oy) * g.outW + ox) * c
                    let first = imageOffset + ((iy0 + kyLo) * g.inW + ix0 + kxLo) * c
                    var j = 0
                    while j + 8 <= c {
                        var m = rin.loadUnaligned(fromByteOffset: (first + j) * 4, as: SIMD8<Float>.self)
                        for ky in kyLo..<kyHi {
                            for kx in kxLo..<kxHi {
                                let v = rin.loadUnaligned(fromByteOffset: (imageOffset + ((iy0 + ky) * g.inW + ix0 + kx) * c + j) * 4, as: SIMD8<Float>.self)
                                // A compare-and-select, not the generic pointwiseMax, which
                                // does not inline to one vmaxps.
                                m.replace(with: v, where: v .> m)
                            }
                        }
                        UnsafeMutableRawPointer(o).storeBytes(of: m, toByteOffset: j * 4, as: SIMD8<Float>.self)
                        j += 8
                    }
                    while j < c {
                        var m = input[first + j]
                        for ky in kyLo..<kyHi {
                            for kx in kxLo..<kxHi {
                                m = Swift.max(m, input[imageOffset + ((iy0 + ky) * g.inW + ix0 + kx) * c + j])
                            }
                        }
                        o[j] = m
                        j += 1
                    }
                }
            }
        }
    }

    /// Mean over all spatial positions: `n × h × w × c` → `n × 1 × 1 × c`.
    public static func globalAveragePool(input: UnsafePointer<Float>, shape: TensorShape, output: UnsafeMutablePointer<Float>) {
        let c = shape.c
        let hw = shape.h * shape.w
        let scale = 1 / Float(hw)
        for n in 0..<shape.n {
            let o = output + n * c
            o.initialize(repeating: 0, count: c)
            var p = input + n * shape.sampleCount
            for _ in 0..<hw {
                for j in 0..<c { o[j] += p[j] }
                p += c
            }
            for j in 0..<c { o[j] *= scale }
        }
    }
}
