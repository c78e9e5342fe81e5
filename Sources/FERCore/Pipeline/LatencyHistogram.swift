#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Latency samples in fixed logarithmic buckets: percentiles without storing samples,
/// so recording never allocates.
///
/// Buckets grow by 2% from 1 µs up to about 1,000 s (about 1,050 buckets); a
/// percentile is reported as its bucket's upper edge, so it overstates the true
/// value by at most 2%. Mean, minimum and maximum are exact.
package struct LatencyHistogram: Sendable {
    /// Bucket growth factor (2% resolution).
    package static let growth = 1.02
    /// Lower edge of the first bucket, in seconds (1 µs).
    package static let floor = 1e-6
    private static let bucketCount = Int((log(1e9) / log(growth)).rounded(.up)) + 1

    private var counts: [UInt32]
    /// Number of samples recorded.
    package private(set) var count = 0
    /// Sum of all samples, in seconds.
    package private(set) var total = 0.0
    /// Smallest sample, in seconds (0 when empty).
    package private(set) var minimum = 0.0
    /// Largest sample, in seconds (0 when empty).
    package private(set) var maximum = 0.0

    /// An empty histogram (its buckets are allocated here, once).
    package init() {
        counts = [UInt32](repeating: 0, count: Self.bucketCount)
    }

    /// Adds one sample, in seconds. Negative and NaN samples count as 0.
    package mutating func record(_ seconds: Double) {
        let s = seconds.isFinite && seconds > 0 ? seconds : 0
        let index = s <= Self.floor ? 0 : min(Self.bucketCount - 1, Int((log(s / Self.floor) / log(Self.growth)).rounded(.up)))
        counts[index] &+= 1
        minimum = count == 0 ? s : Swift.min(minimum, s)
        maximum = Swift.max(maximum, s)
        count += 1
        total += s
    }

    /// Mean in seconds (0 when empty).
    package var mean: Double { count == 0 ? 0 : total / Double(count) }

    /// The `p`-th percentile (0...100) in seconds: the upper edge of the bucket
    /// holding it, clamped to the exact maximum. 0 when empty.
    package func percentile(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((p / 100 * Double(count)).rounded(.up)))
        var seen = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += Int(c)
            if seen >= rank {
                let edge = Self.floor * pow(Self.growth, Double(i))
                return Swift.min(Swift.max(edge, minimum), maximum)
            }
        }
        return maximum
    }

    /// Forgets all samples (keeps the buckets' memory).
    package mutating func reset() {
        for i in counts.indices { counts[i] = 0 }
        count = 0
        total = 0
        minimum = 0
        maximum = 0
    }
}
