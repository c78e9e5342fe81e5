/// Residual addition, per-channel affine (unfolded batch norm) and flatten.
enum Elementwise {
    /// `output = a + b` over `count` values (output may alias `a` or `b`).
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), ro = UnsafeMutableRawPointer(output)
        var i = 0
        while i + 8 <= count {
            let v =
                ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                + rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            (ro + i * 4).storeFloats8(v)
            i += 8
        }
        while i < count {
            output[i] = a[i] + b[i]
            i += 1
        }
    }

    /// `output[r, c] = input[r, c]·scale[c] + shift[c]` for `rows × channels` values.
    static func affine(
        input: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let x = input + r * channels
            let y = output + r * channels
            for j in 0..<channels { y[j] = x[j] * scale[j] + shift[j] }
        }
    }

    /// Flattens each `h × w × c` sample into a vector whose index runs over the
    /// axes in `order` (slowest first); `[0, 1, 2]` is a plain copy (NHWC order),
    /// `[2, 1, 0]` gives `c·W·H + w·H + h` (column-major, as MATLAB/Caffe weights expect).
    static func flatten(input: UnsafePointer<Float>, shape: TensorShape, order: (Int, Int, Int), output: UnsafeMutablePointer<Float>) {
        if order == (0, 1, 2) {
            output.update(from: input, count: shape.count)
            return
        }
        // Stride of each source axis (h, w, c) inside the flattened vector:
        // the last axis in `order` is fastest.
        func extent(_ axis: Int) -> Int { axis == 0 ? shape.h : (axis == 1 ? shape.w : shape.c) }
        var stride = (0, 0, 0)
        func setStride(_ axis: Int, _ value: Int) {
            if axis == 0 { stride.0 = value } else if axis == 1 { stride.1 = value } else { stride.2 = value }
        }
        setStride(order.2, 1)
        setStride(order.1, extent(order.2))
        setStride(order.0, extent(order.2) * extent(order.1))
        for n in 0..<shape.n {
            let x = input + n * shape.sampleCount
            let y = output + n * shape.sampleCount
            var i = 0
            for h in 0..<shape.h {
                for w in 0..<shape.w {
                    let base = h * stride.0 + w * stride.1
                    for c in 0..<shape.c {
                        y[base + c * stride.2] = x[i]
                        i += 1
                    }
                }
            }
        }
    }
}
