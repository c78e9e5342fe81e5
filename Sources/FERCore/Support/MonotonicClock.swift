#if canImport(Glibc)
    import Glibc
#endif

/// The package's one clock for durations and frame times: `CLOCK_MONOTONIC` (never jumps
/// with the wall clock), read without allocating.
package enum MonotonicClock {
    /// Seconds since an arbitrary fixed point.
    @inline(__always)
    package static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Nanoseconds since an arbitrary fixed point.
    @inline(__always)
    package static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Milliseconds since an arbitrary fixed point.
    @inline(__always)
    package static func milliseconds() -> Int { Int(nanoseconds() / 1_000_000) }
}
