import CFERKernels
import Foundation

/// Felzenszwalb-style HOG ("FHOG", Felzenszwalb et al., PAMI 2010; as in Piotr Dollár's
/// toolbox `fhog`, which OpenCV's CSRT ports): 31 channels per cell —
/// 18 contrast-sensitive orientations (0…17), 9 contrast-insensitive (18…26), 4 texture
/// (gradient energy under each of the 4 block normalisations, 27…30).
///
/// Per pixel: central-difference gradient, the colour channel with the largest magnitude,
/// orientation split linearly between its two nearest of 18 bins, magnitude split bilinearly
/// between the 4 nearest cells. Each cell is then normalised by the 4 2×2-cell blocks it
/// belongs to, clipped at `clip`, and summed (×0.5, the toolbox's scaling; texture ×0.2357).
/// Buffers are sized at init for the largest input; `compute` allocates nothing.
final class HOGFeatures {
    /// Channels produced per cell.
    static let channelCount = 31
    let cellSize: Int
    let clip: Float
    /// The instruction-set level of the row loops (all levels give the same bits).
    private let level: Int32
    private let maxCells: Int
    private let maxWidth: Int
    private let hist: UnsafeMutablePointer<Float> // 18 per cell
    private let energy: UnsafeMutablePointer<Float> // 1 per cell
    // Row work: per pixel of one row, the gradient magnitude, lower orientation bin and the
    // weight of the upper bin; per column, the two cells it splits into and their weights.
    private let rowMag: UnsafeMutablePointer<Float>, rowBin: UnsafeMutablePointer<Float>, rowFrac: UnsafeMutablePointer<Float>
    private let colCell0: UnsafeMutablePointer<Int32>, colCell1: UnsafeMutablePointer<Int32>
    private let colW0: UnsafeMutablePointer<Float>, colW1: UnsafeMutablePointer<Float>

    /// Prepares for patches of at most `maxCellsX × maxCellsY` cells, computed with `isa`'s loops.
    init(cellSize: Int, clip: Float, maxCellsX: Int, maxCellsY: Int, isa: InstructionSet = .current) {
        self.cellSize = cellSize
        level = Int32(isa.rawValue)
        self.clip = clip
        maxCells = max(1, maxCellsX * maxCellsY)
        hist = .allocate(capacity: maxCells * 18)
        energy = .allocate(capacity: maxCells)
        hist.initialize(repeating: 0, count: maxCells * 18)
        energy.initialize(repeating: 0, count: maxCells)
        // Widths up to one cell beyond the grid (the remainder pixels feed no cell).
        maxWidth = (max(1, maxCellsX) + 1) * cellSize
        rowMag = .allocate(capacity: maxWidth); rowBin = .allocate(capacity: maxWidth); rowFrac = .allocate(capacity: maxWidth)
        colCell0 = .allocate(capacity: maxWidth); colCell1 = .allocate(capacity: maxWidth)
        colW0 = .allocate(capacity: maxWidth); colW1 = .allocate(capacity: maxWidth)
        for p in [rowMag, rowBin, rowFrac, colW0, colW1] { p.initialize(repeating: 0, count: maxWidth) }
        for p in [colCell0, colCell1] { p.initialize(repeating: 0, count: maxWidth) }
    }

    deinit {
        hist.deallocate()
        energy.deallocate()
        for p in [rowMag, rowBin, rowFrac, colW0, colW1] { p.deallocate() }
        for p in [colCell0, colCell1] { p.deallocate() }
    }

    /// Computes features of `planes` (`channels` planes of `width × height`, values 0…255) into
    /// `out`: `channelCount` planes of `cellsX × cellsY` with `cellsX = width / cellSize`.
    /// The first `usedChannels` channels are written (18 → sensitive only; 31 → all).
    func compute(
        planes: UnsafePointer<Float>, channels: Int, width: Int, height: Int,
        usedChannels: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let cs = cellSize
        let cx = width / cs, cy = height / cs
        let cells = cx * cy
        precondition(cells <= maxCells && cells > 0, "HOG buffers sized for fewer cells")
        hist.update(repeating: 0, count: cells * 18)
        precondition(width <= maxWidth, "HOG row buffers sized for narrower patches")
        let plane = width * height
        let binScale: Float = 18 / (2 * Float.pi)
        let invCs = 1 / Float(cs)
        // Per column: the bilinear spatial split between cells (cell centres at (i + 0.5)·cs);
        // a neighbour outside the grid gets weight 0 (and a valid index) instead of a branch.
        for x in 0..<width {
            let fxc = (Float(x) + 0.5) * invCs - 0.5
            let c0 = Int(floor(fxc))
            let w1 = fxc - Float(c0)
            colCell0[x] = Int32(min(max(c0, 0), cx - 1)); colW0[x] = c0 >= 0 && c0 < cx ? 1 - w1 : 0
            colCell1[x] = Int32(min(max(c0 + 1, 0), cx - 1)); colW1[x] = c0 + 1 >= 0 && c0 + 1 < cx ? w1 : 0
        }
        for y in 0..<height {
            let ym = max(y - 1, 0), yp = min(y + 1, height - 1)
            fer_hog_gradient_row(level, planes, channels, plane, width, y, ym, yp, binScale, rowMag, rowBin, rowFrac)
            let fyc = (Float(y) + 0.5) * invCs - 0.5
            let cy0 = Int(floor(fyc))
            let wy1 = fyc - Float(cy0)
            let wyA: Float = cy0 >= 0 && cy0 < cy ? 1 - wy1 : 0, wyB: Float = cy0 + 1 >= 0 && cy0 + 1 < cy ? wy1 : 0
            let rowA = hist + min(max(cy0, 0), cy - 1) * cx * 18, rowB = hist + min(max(cy0 + 1, 0), cy - 1) * cx * 18
            fer_hog_accumulate_row(width, rowMag, rowBin, rowFrac, colCell0, colCell1, colW0, colW1, wyA, wyB, rowA, rowB)
        }
        // Block normalisation, clipping and the 31 channels (fer_tracker.h).
        fer_hog_normalise(level, hist, cx, cy, clip, usedChannels, energy, out)
    }
}
