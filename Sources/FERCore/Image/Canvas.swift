/// An RGB colour with opacity, for drawing.
package struct Color: Sendable, Hashable {
    /// Red.
    package var r: UInt8
    /// Green.
    package var g: UInt8
    /// Blue.
    package var b: UInt8
    /// Opacity: 255 opaque, 0 invisible.
    package var alpha: UInt8

    /// Creates a colour.
    package init(r: UInt8, g: UInt8, b: UInt8, alpha: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.alpha = alpha
    }

    /// The same colour with another opacity.
    package func withAlpha(_ a: UInt8) -> Color { Color(r: r, g: g, b: b, alpha: a) }

    /// White.
    package static let white = Color(r: 255, g: 255, b: 255)
    /// Black.
    package static let black = Color(r: 0, g: 0, b: 0)
    /// Red.
    package static let red = Color(r: 255, g: 0, b: 0)
    /// Green.
    package static let green = Color(r: 0, g: 255, b: 0)
    /// Blue.
    package static let blue = Color(r: 0, g: 0, b: 255)
    /// Yellow.
    package static let yellow = Color(r: 255, g: 255, b: 0)
}

/// Drawing onto an RGB8 (or Gray8, using the colour's luma) view: boxes, landmark dots,
/// text in ``BitmapFont``, filled bars, all alpha-blended and clipped to the view.
///
/// Blending is `dst + (src − dst) · α / 255`, rounded to nearest; α = 255 writes the colour exactly.
/// Nothing allocates; coordinates outside the view are clipped, never an error.
package struct Canvas {
    /// The pixels drawn on.
    package let view: MutableImageView

    /// Wraps a view.
    package init(_ view: MutableImageView) { self.view = view }

    @inline(__always)
    private static func blend(_ d: UInt8, _ s: UInt8, _ a: Int) -> UInt8 {
        if a == 255 { return s }
        let v = Int(d) * 255 + (Int(s) - Int(d)) * a
        return UInt8(truncatingIfNeeded: (v + 127) / 255)
    }

    /// Fills the rectangle (clipped to the view) with `color`.
    package func fillRect(x: Int, y: Int, width: Int, height: Int, color: Color) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(view.width, x + width), y1 = min(view.height, y + height)
        guard x0 < x1, y0 < y1, color.alpha > 0 else { return }
        let a = Int(color.alpha)
        if view.format == .rgb8 {
            for yy in y0..<y1 {
                let p = view.row(yy)
                for xx in x0..<x1 {
                    p[3 * xx] = Self.blend(p[3 * xx], color.r, a)
                    p[3 * xx + 1] = Self.blend(p[3 * xx + 1], color.g, a)
                    p[3 * xx + 2] = Self.blend(p[3 * xx + 2], color.b, a)
                }
            }
        } else {
            // The same BT.601 weights as ColorConversion.rgbToGray.
            let r = Int(color.r) * 9798, g = Int(color.g) * 19235, b = Int(color.b) * 3735
            let luma = UInt8(truncatingIfNeeded: (r + g + b + (1 << 14)) >> 15)
            for yy in y0..<y1 {
                let p = view.row(yy)
                for xx in x0..<x1 { p[xx] = Self.blend(p[xx], luma, a) }
            }
        }
    }

    /// Draws the outline of a box; the lines grow inwards from the given rectangle, so the
    /// box never covers pixels outside it.
    package func drawBox(x: Int, y: Int, width: Int, height: Int, color: Color, thickness: Int = 2) {
        guard width > 0, height > 0 else { return }
        let t = max(1, min(thickness, (min(width, height) + 1) / 2))
        fillRect(x: x, y: y, width: width, height: t, color: color) // top
        fillRect(x: x, y: y + height - t, width: width, height: t, color: color) // bottom
        fillRect(x: x, y: y + t, width: t, height: height - 2 * t, color: color) // left
        fillRect(x: x + width - t, y: y + t, width: t, height: height - 2 * t, color: color) // right
    }

    /// Draws a filled disc of `radius` centred on (`x`, `y`) (a landmark dot).
    package func drawDot(x: Double, y: Double, radius: Int = 2, color: Color) {
        let cx = Int(x.rounded()), cy = Int(y.rounded())
        let r2 = radius * radius + radius // a slightly rounder disc than r² for small radii
        for dy in -radius...radius where cy + dy >= 0 && cy + dy < view.height {
            var run = 0
            for dx in -radius...radius where dx * dx + dy * dy <= r2 { run = max(run, dx) }
            fillRect(x: cx - run, y: cy + dy, width: 2 * run + 1, height: 1, color: color)
        }
    }

    /// Draws `text` with its top-left corner at (`x`, `y`), each font pixel a `scale`×`scale`
    /// square; with a `background`, the text's cell (one pixel of padding at scale 1) is filled first.
    package func drawText(_ text: String, x: Int, y: Int, color: Color, scale: Int = 1, background: Color? = nil) {
        let s = max(1, scale)
        if let background {
            let size = BitmapFont.size(of: text, scale: s)
            fillRect(x: x - s, y: y - s, width: size.width + 2 * s, height: size.height + 2 * s, color: background)
        }
        var cx = x
        for scalar in text.unicodeScalars {
            for gy in 0..<BitmapFont.glyphHeight {
                let bits = BitmapFont.row(scalar, gy)
                if bits == 0 { continue }
                for gx in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(gx)) != 0 {
                    fillRect(x: cx + gx * s, y: y + gy * s, width: s, height: s, color: color)
                }
            }
            cx += BitmapFont.advance * s
        }
    }

    /// Draws a horizontal bar: `fraction` (clamped to 0...1) of `width` filled with `color`,
    /// the rest with `track` (for per-emotion confidences).
    package func drawBar(x: Int, y: Int, width: Int, height: Int, fraction: Double, color: Color, track: Color? = nil) {
        let f = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let filled = Int((Double(width) * f).rounded())
        fillRect(x: x, y: y, width: filled, height: height, color: color)
        if let track { fillRect(x: x + filled, y: y, width: width - filled, height: height, color: track) }
    }
}
