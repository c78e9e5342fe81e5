import COpenBLAS

/// The library's version.
public enum FERCoreVersion {
    /// Semantic version of this FERCore build.
    public static let string = "0.1.0"
}

/// Process-wide engine settings.
public enum Engine {
    /// Sets the number of threads OpenBLAS uses for GEMM (a process-wide setting
    /// of OpenBLAS). FERCore's own loops take their threads from the
    /// ``WorkerPool`` given to each ``Workspace``; use the same count for both.
    ///
    /// OpenBLAS splits a GEMM over rows and columns, never over the shared
    /// dimension, so results are identical from run to run for one thread count.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// The CPU kernel OpenBLAS selected at run time (e.g. `Haswell`, `SkylakeX`, `Zen`).
    public static var blasCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
