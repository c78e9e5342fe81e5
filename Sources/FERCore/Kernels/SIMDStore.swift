extension UnsafeMutableRawPointer {
    /// Stores 8 floats at `self`, which need not be aligned.
    ///
    /// The standard library's `storeBytes(of:as:)` is a generic function the optimizer
    /// specialises for `SIMD8<Float>` but, inside the large unrolled kernels, does not
    /// inline: each store became a call that split the vector into two 16-byte halves
    /// (about 6% of a mini-Xception forward pass). Wrapped in this small function it is
    /// inlined here first, and this one is always inlined into its callers.
    @inline(__always)
    func storeFloats8(_ value: SIMD8<Float>) {
        storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
