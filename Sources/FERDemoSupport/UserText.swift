/// Why a value typed on ferdemo's command line cannot be used. Every message names the option,
/// quotes what was typed and says what is expected, so the user can fix it in one go.
public enum UserTextError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing (or only blanks) was given.
    case empty(option: String, expected: String)
    /// The text is not a number (or not the kind of number the option takes).
    case notANumber(option: String, text: String, expected: String)
    /// The number is NaN or infinite.
    case notFinite(option: String, text: String, expected: String)
    /// The number is outside the option's range.
    case outOfRange(option: String, text: String, range: String)
    /// The text does not have the expected parts (e.g. four numbers for a box).
    case malformed(option: String, text: String, expected: String)

    /// What was wrong, where, and what to do.
    public var description: String {
        switch self {
        case let .empty(option, expected):
            return "\(option) is empty; give \(expected)."
        case let .notANumber(option, text, expected):
            return "\(option) '\(text)' is not a number; give \(expected)."
        case let .notFinite(option, text, expected):
            return "\(option) '\(text)' is not a finite number; give \(expected)."
        case let .outOfRange(option, text, range):
            return "\(option) \(text) is out of range; it must be \(range)."
        case let .malformed(option, text, expected):
            return "\(option) '\(text)': expected \(expected)."
        }
    }
}

/// A box in pixels given on the command line: top-left corner, width and height.
public struct PixelBox: Equatable, Sendable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width, at least 1.
    public var width: Double
    /// Height, at least 1.
    public var height: Double

    /// Creates a box.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// A width and height in pixels given on the command line as `WxH` (e.g. `640x480`).
public struct PixelSize: Equatable, Sendable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// The parsers of user text behind ferdemo's options: counts, seconds, boxes and sizes.
///
/// They are total functions of a string (no trap for any input: huge numbers, NaN, empty
/// text, stray characters), which is what the fuzz targets check, and every failure is a
/// ``UserTextError`` whose message names the option.
public enum UserText {
    /// The largest coordinate, width or height accepted in a box (±1,000,000 px). A frame
    /// FERCore reads has at most 100 megapixels, so a box this far out can never overlap one;
    /// the bound keeps every later conversion of a box edge to `Int` (crop, template size)
    /// far from overflow.
    public static let maximumBoxCoordinate = 1_000_000.0

    /// An integer within `range` (decimal digits with an optional sign).
    /// - Throws: ``UserTextError`` for empty text, non-numbers and values outside `range`
    ///   (including those too large for `Int`).
    public static func count(_ text: String, option: String, in range: ClosedRange<Int>) throws(UserTextError) -> Int {
        let t = trimmed(text)
        let expected = "a whole number in \(describe(range))"
        guard !t.isEmpty else { throw .empty(option: option, expected: expected) }
        var digits = Substring(t)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .notANumber(option: option, text: t, expected: expected)
        }
        // All digits: nil from Int(_:) can only mean that the value does not fit in Int.
        guard let value = Int(t), range.contains(value) else {
            throw .outOfRange(option: option, text: t, range: describe(range))
        }
        return value
    }

    /// Checks that `value` (already parsed, e.g. by ArgumentParser) lies in `range`.
    /// - Throws: ``UserTextError/outOfRange(option:text:range:)``.
    public static func check(_ value: Int, option: String, in range: ClosedRange<Int>) throws(UserTextError) {
        guard range.contains(value) else { throw .outOfRange(option: option, text: String(value), range: describe(range)) }
    }

    /// Checks that `value` (already parsed) is finite and lies in `range`.
    /// - Throws: ``UserTextError/notFinite(option:text:expected:)`` for NaN and ±∞, otherwise
    ///   ``UserTextError/outOfRange(option:text:range:)``.
    public static func check(_ value: Double, option: String, in range: ClosedRange<Double>) throws(UserTextError) {
        guard value.isFinite else {
            throw .notFinite(option: option, text: "\(value)", expected: "a number in \(describe(range))")
        }
        guard range.contains(value) else { throw .outOfRange(option: option, text: "\(value)", range: describe(range)) }
    }

    /// A finite number of seconds within `range`, written as a decimal number (`2`, `0.5`, `1e-3`).
    /// - Throws: ``UserTextError`` for empty text, non-numbers, NaN, infinities and values outside `range`.
    public static func seconds(_ text: String, option: String, in range: ClosedRange<Double>) throws(UserTextError) -> Double {
        let t = trimmed(text)
        let expected = "seconds in \(describe(range))"
        guard !t.isEmpty else { throw .empty(option: option, expected: expected) }
        let value = try decimal(t, option: option, expected: expected)
        guard range.contains(value) else { throw .outOfRange(option: option, text: t, range: describe(range)) }
        return value
    }

    /// A box `x,y,w,h` in pixels: four finite decimal numbers, width and height at least 1,
    /// every value within ±``maximumBoxCoordinate``.
    /// - Throws: ``UserTextError`` saying which part is wrong.
    public static func box(_ text: String, option: String) throws(UserTextError) -> PixelBox {
        let t = trimmed(text)
        let expected = "four numbers x,y,w,h in pixels (e.g. 120,80,64,78)"
        guard !t.isEmpty else { throw .empty(option: option, expected: expected) }
        let parts = t.split(separator: ",", omittingEmptySubsequences: false).map { trimmed(String($0)) }
        guard parts.count == 4 else { throw .malformed(option: option, text: t, expected: expected) }
        var values: [Double] = []
        for part in parts {
            guard !part.isEmpty else { throw .malformed(option: option, text: t, expected: expected) }
            values.append(try decimal(part, option: option, expected: expected))
        }
        let limit = maximumBoxCoordinate
        guard values.allSatisfy({ abs($0) <= limit }) else {
            throw .outOfRange(option: option, text: t, range: "within ±\(Int(limit)) px")
        }
        guard values[2] >= 1, values[3] >= 1 else {
            throw .outOfRange(option: option, text: t, range: "a box whose width and height are at least 1 px")
        }
        return PixelBox(x: values[0], y: values[1], width: values[2], height: values[3])
    }

    /// A size `WxH` in pixels (`640x480`; `X` and `×` also separate), each side in `sides`.
    /// - Throws: ``UserTextError`` saying which part is wrong.
    public static func size(_ text: String, option: String, sides: ClosedRange<Int>) throws(UserTextError) -> PixelSize {
        let t = trimmed(text)
        let expected = "WIDTHxHEIGHT in pixels, each in \(describe(sides)) (e.g. 640x480)"
        guard !t.isEmpty else { throw .empty(option: option, expected: expected) }
        let parts = t.split(omittingEmptySubsequences: false) { $0 == "x" || $0 == "X" || $0 == "×" }
        guard parts.count == 2 else { throw .malformed(option: option, text: t, expected: expected) }
        var sizes: [Int] = []
        for part in parts {
            let p = trimmed(String(part))
            guard !p.isEmpty, p.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw .malformed(option: option, text: t, expected: expected)
            }
            guard let v = Int(p), sides.contains(v) else { throw .outOfRange(option: option, text: t, range: "\(describe(sides)) on each side") }
            sizes.append(v)
        }
        return PixelSize(width: sizes[0], height: sizes[1])
    }

    // MARK: Helpers

    /// A decimal number: digits, one optional point, an optional exponent; no "nan", "inf" or
    /// hexadecimal forms (Double(_:) accepts those, and NaN would reach an Int conversion).
    static func decimal(_ t: String, option: String, expected: String) throws(UserTextError) -> Double {
        let allowed = t.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        }
        guard allowed, t.utf8.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Double(t) else {
            throw .notANumber(option: option, text: t, expected: expected)
        }
        // "1e999" parses as +infinity.
        guard value.isFinite else { throw .notFinite(option: option, text: t, expected: expected) }
        return value
    }

    static func trimmed(_ s: String) -> String {
        let blanks: Set<Character> = [" ", "\t", "\n", "\r"]
        var sub = Substring(s)
        while let f = sub.first, blanks.contains(f) { sub = sub.dropFirst() }
        while let l = sub.last, blanks.contains(l) { sub = sub.dropLast() }
        return String(sub)
    }

    /// "1...256", or "at least 1" for an open-ended range.
    public static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
    }

    /// "0...3600".
    public static func describe(_ range: ClosedRange<Double>) -> String {
        func f(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
        return "\(f(range.lowerBound))...\(f(range.upperBound))"
    }
}
