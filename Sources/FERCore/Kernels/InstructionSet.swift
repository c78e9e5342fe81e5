import CFERKernels
import Foundation

/// The instruction sets FERCore's kernels are written for. The best one the CPU supports is
/// chosen at run time (``current``), so FERCore runs at full speed however it was built: a
/// package that depends on it needs no compiler flags.
public enum InstructionSet: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Portable Swift loops (any CPU; on x86 without AVX2 + FMA).
    case generic = 0
    /// AVX2 + FMA (x86-64-v3): 256-bit registers, the convolution tiles 6 × 16 and 12 × 8.
    case avx2 = 1
    /// AVX-512 F/BW/DQ/VL (x86-64-v4): 512-bit registers, the convolution tiles 12 × 32 and 12 × 16.
    case avx512 = 2

    /// The best instruction set of this CPU, or the one named by the environment variable
    /// `FERCORE_ISA` (`generic`, `avx2` or `avx512`; capped at what the CPU supports) — for
    /// comparing paths on one machine.
    public static let current: InstructionSet = {
        let best = supported
        if let name = ProcessInfo.processInfo.environment["FERCORE_ISA"], let wanted = InstructionSet(name: name) {
            return min(wanted, best)
        }
        return best
    }()

    /// The best instruction set the CPU (and the operating system's saved register state) supports.
    public static let supported: InstructionSet = InstructionSet(rawValue: Int(fer_cpu_level())) ?? .generic

    /// Every instruction set this CPU can run, from ``generic`` up to ``supported``.
    public static var available: [InstructionSet] { allCases.filter { $0 <= supported } }

    /// Parses `generic`, `avx2` or `avx512` (case-insensitive).
    public init?(name: String) {
        switch name.lowercased() {
        case "generic": self = .generic
        case "avx2": self = .avx2
        case "avx512", "avx-512": self = .avx512
        default: return nil
        }
    }

    public static func < (a: InstructionSet, b: InstructionSet) -> Bool { a.rawValue < b.rawValue }

    /// `generic`, `AVX2+FMA` or `AVX-512`.
    public var description: String {
        switch self {
        case .generic: return "generic"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512"
        }
    }
}
