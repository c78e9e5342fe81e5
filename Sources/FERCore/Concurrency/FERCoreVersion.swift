/// The library's version.
public enum FERCoreVersion {
    /// Semantic version of this FERCore build.
    public static let string = "0.3.0"

    /// Whether FERCore itself was compiled without optimisation (a debug build): its networks
    /// then run 10–100× slower. FERCore prints a warning once when it loads a network in such a
    /// build.
    public static var isDebugBuild: Bool {
        #if DEBUG
            return true
        #else
            return false
        #endif
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The one start-up warning of a debug build (see ``FERCoreVersion/isDebugBuild``).
enum DebugBuildWarning {
    /// Prints the warning to stderr the first time it is called in a debug build; nothing in a
    /// release build. `FERCORE_QUIET_DEBUG_WARNING=1` silences it (test runs).
    static func emitOnce() { _ = emitted }

    private static let emitted: Bool = {
        guard FERCoreVersion.isDebugBuild, getenv("FERCORE_QUIET_DEBUG_WARNING") == nil else { return false }
        let text =
            "FERCore: this is a debug (unoptimised) build of FERCore; its networks run 10-100x slower. "
            + "Build with `swift build -c release` (no other flags are needed) for full speed.\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        return true
    }()
}
