import COpenBLAS

/// The library's version.
public enum FERCoreVersion {
    /// Semantic version of this FERCore build.
    public static let string = "0.1.0"
}

/// Process-wide engine settings.
///
/// FERCore parallelises its own work (GEMM blocks, im2col, depthwise, pooling)
/// over the ``WorkerPool`` a ``Workspace`` is given, and calls OpenBLAS from
/// those threads one block at a time. OpenBLAS itself therefore runs
/// single-threaded: its threaded GEMM allocates a job table on every call and
/// would compete with the pool for the same cores. Loading a ``Network`` sets
/// this up; nothing else is needed. The thread count is the pool's.
public enum Engine {
    /// Puts OpenBLAS in the single-threaded mode FERCore relies on (idempotent,
    /// cheap; called when a ``Network`` is loaded).
    public static func configureBLAS() {
        _ = configured
    }

    private static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Sets OpenBLAS's own thread count. Only for measuring or using OpenBLAS
    /// directly (e.g. a SGEMM peak benchmark): set it back to 1 before running
    /// FERCore networks, whose kernels already run GEMM blocks on the pool's threads.
    public static func setBLASThreads(_ count: Int) {
        configureBLAS()
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS uses (1 once FERCore has configured it).
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// The CPU kernel OpenBLAS selected at run time (e.g. `Haswell`, `SkylakeX`, `Zen`).
    public static var blasCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
