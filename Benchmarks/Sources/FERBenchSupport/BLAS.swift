import COpenBLAS

/// OpenBLAS, linked by the benchmarks only: the SGEMM peak that the packed kernel's
/// per-layer figures are compared with. FERCore itself does not link it.
public enum BLAS {
    /// Sets OpenBLAS's thread count.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// The CPU kernel OpenBLAS selected at run time (e.g. `Haswell`, `SkylakeX`, `Cooperlake`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// `C = A·B` for row-major `A (m×k)`, `B (k×n)`, `C (m×n)`.
    @inline(__always)
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans,
            blasint(m), blasint(n), blasint(k), 1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}
