import FERDemoSupport

/// ferdemo's parsers of user text (FERDemoSupport's UserText and InputSpec) on arbitrary
/// bytes: each must return a value inside the option's range or a typed error, never trap.
/// A value outside its range is reported as a crash (the parsers promise the range).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUserText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let n = try? UserText.count(text, option: "--n", in: 1...256) {
        precondition((1...256).contains(n), "count \(n) outside 1...256 for '\(text)'")
    }
    if let n = try? UserText.count(text, option: "--n", in: 0...Int.max) { precondition(n >= 0) }
    if let s = try? UserText.seconds(text, option: "--s", in: 0...86_400) {
        precondition(s.isFinite && (0...86_400).contains(s), "seconds \(s) for '\(text)'")
    }
    if let b = try? UserText.box(text, option: "--box") {
        let limit = UserText.maximumBoxCoordinate
        precondition(
            [b.x, b.y, b.width, b.height].allSatisfy { $0.isFinite && abs($0) <= limit } && b.width >= 1 && b.height >= 1,
            "box \(b) for '\(text)'")
    }
    if let z = try? UserText.size(text, option: "--size", sides: 1...16384) {
        precondition((1...16384).contains(z.width) && (1...16384).contains(z.height), "size \(z) for '\(text)'")
    }
    switch InputSpec(text, isCharacterDevice: { _ in false }) {
    case let .cameraIndex(i): precondition(i >= 0)
    case .camera, .path: break
    }
    for error in [UserTextError.malformed(option: "--x", text: text, expected: "y"), .notANumber(option: "--x", text: text, expected: "y")] {
        _ = error.description
    }
    return 0
}
