/// Rounding by adds and compares only, bit-identical to `Float.rounded(_:)` on the ranges given.
///
/// FERCore is built without CPU flags, so its Swift code targets baseline x86-64 (SSE2), where
/// `rounded(_:)` has no instruction (SSE4.1's `roundss`/`roundps`): each call became a call to
/// libm's `truncf` or `rintf` and kept the loop around it scalar. These forms compile to adds,
/// a compare and a select on every target, and vectorise. Both rely on the default
/// round-to-nearest-even mode: past 2²³ every float is a whole number, so adding and then
/// subtracting a large enough power of two rounds to a whole number.
enum PlainRounding {
    /// `x.rounded(.towardZero)` for `0 ≤ x < 2²³`, bit for bit (a bin position, a pixel
    /// coordinate).
    @inline(__always)
    static func truncateNonNegative(_ x: Float) -> Float {
        let magic: Float = 8_388_608 // 2²³
        let nearest = (x + magic) - magic
        return nearest > x ? nearest - 1 : nearest
    }

    /// `x.rounded(.toNearestOrEven)` for `|x| ≤ 2²²`, bit for bit except that −0 and values
    /// in (−0.5, 0) give +0 (callers convert to an integer or clamp, where the sign of zero does
    /// not matter); NaN stays NaN and ±∞ stay ±∞. Beyond 2²², the result is still a float of
    /// the same sign and above 2²¹ in magnitude (so a clamp to a byte's range gives the same
    /// byte).
    @inline(__always)
    static func nearestEven(_ x: Float) -> Float {
        let magic: Float = 12_582_912 // 1.5·2²³: sums stay in [2²³, 2²⁴) for |x| ≤ 2²²
        return (x + magic) - magic
    }
}
