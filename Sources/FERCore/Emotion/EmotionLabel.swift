/// The seven FER-2013 expression classes, in the order of the mini-Xception's outputs.
///
/// The order and names are those of the `fer` package (`FER._get_labels()` in
/// fer 25.10.3 `fer/fer.py`), which are those of the FER-2013 challenge data
/// (Goodfellow et al., 2013): 0 angry … 6 neutral.
public enum EmotionLabel: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// Class 0.
    case angry
    /// Class 1.
    case disgust
    /// Class 2.
    case fear
    /// Class 3.
    case happy
    /// Class 4.
    case sad
    /// Class 5.
    case surprise
    /// Class 6.
    case neutral

    /// The number of classes (7).
    public static let count = 7

    /// The lower-case name used by `fer` and in FERCore's CSV output (e.g. `"happy"`).
    public var name: String {
        switch self {
        case .angry: return "angry"
        case .disgust: return "disgust"
        case .fear: return "fear"
        case .happy: return "happy"
        case .sad: return "sad"
        case .surprise: return "surprise"
        case .neutral: return "neutral"
        }
    }

    /// Same as ``name``.
    public var description: String { name }

    /// The label called `name` (as ``name`` spells it, case-insensitive), or nil.
    public init?(name: String) {
        let lower = name.lowercased()
        guard let match = Self.allCases.first(where: { $0.name == lower }) else { return nil }
        self = match
    }
}
