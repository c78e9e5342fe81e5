/// Fully connected layers: one `cblas_sgemm` over the batch.
public enum Dense {
    /// `output[n, :] = input[n, :] · kernel + bias`, then `activation`.
    ///
    /// - Parameters:
    ///   - kernel: `[inputs, units]` row-major (Keras' layout).
    ///   - bias: `units` values or nil.
    public static func forward(
        input: UnsafePointer<Float>, batch: Int, inputs: Int, kernel: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, units: Int, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        Convolution.gemm(m: batch, n: units, k: inputs, a: input, b: kernel, c: output)
        Activations.biasActivation(output, rows: batch, cols: units, bias: bias, activation: activation)
    }
}
