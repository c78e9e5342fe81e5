/// Tells when a frame starts a new shot: a cut in a video, or the next of a series of
/// unrelated photos. Then the face tracks of the old shot are worthless (the tracker would
/// search the new picture for the old faces' appearance) and the pipeline detects at once.
///
/// Each frame is summarised by a 32×24 grey thumbnail (area averages) and a 32-bin luma
/// histogram (luma on a grid of about 65,536 points, see `summarise`). The change between two frames is the
/// histogram's total-variation distance (½ Σ |h₁ − h₂|, 0…1) plus the thumbnail's mean absolute
/// difference (0…1). Motion moves the thumbnail but keeps the histogram; a change of light
/// moves the histogram but little of the thumbnail's structure; a cut moves both.
///
/// The threshold, 0.42, was measured on real footage (Tools/measure_shot_changes.py): over the
/// 1,785 consecutive frame pairs of the four OTB face sequences (fast motion, motion blur, light
/// changes, occlusions) the score was at most 0.29; between frames of different sequences it was
/// at least 0.56. Allocation-free after the first frame.
struct ShotChangeDetector {
    static let thumbnailWidth = 32, thumbnailHeight = 24, bins = 32

    /// Scores at or above this are cuts; 0 or less disables detection.
    let threshold: Double
    private var thumbnail: [Float]
    private var histogram: [Float]
    private var previousThumbnail: [Float]
    private var previousHistogram: [Float]
    private var hasPrevious = false
    /// For frames of `geometry` (width, height, sampling stride): per sampled column the
    /// thumbnail column it falls in, and per thumbnail column and row its number of samples.
    private var columnCells: [Int32] = [], columnCounts: [Int] = [], rowCounts: [Int] = []
    private var geometry = (width: -1, height: -1, stride: -1)
    /// The score of the latest frame (0 on the first frame).
    private(set) var lastScore = 0.0

    init(threshold: Double) {
        self.threshold = threshold
        thumbnail = [Float](repeating: 0, count: Self.thumbnailWidth * Self.thumbnailHeight)
        previousThumbnail = thumbnail
        histogram = [Float](repeating: 0, count: Self.bins)
        previousHistogram = histogram
    }

    /// Forgets the previous frame (the next frame is not compared with anything).
    mutating func reset() {
        hasPrevious = false
        lastScore = 0
    }

    /// Summarises `frame` and tells whether it starts a new shot (never for the first frame
    /// after creation or ``reset()``).
    mutating func isShotChange(_ frame: ImageView) -> Bool {
        guard threshold > 0, frame.width > 0, frame.height > 0 else { return false }
        swap(&thumbnail, &previousThumbnail)
        swap(&histogram, &previousHistogram)
        summarise(frame)
        defer { hasPrevious = true }
        guard hasPrevious else {
            lastScore = 0
            return false
        }
        var histogramDistance: Float = 0
        for b in 0..<Self.bins { histogramDistance += abs(histogram[b] - previousHistogram[b]) }
        var thumbnailDistance: Float = 0
        for i in thumbnail.indices { thumbnailDistance += abs(thumbnail[i] - previousThumbnail[i]) }
        thumbnailDistance /= Float(thumbnail.count) * 255
        lastScore = Double(0.5 * histogramDistance + thumbnailDistance)
        return lastScore >= threshold
    }

    /// Fills `thumbnail` and `histogram` from `frame`: luma (BT.601 integer weights) sampled on a
    /// grid of at most about 65,536 points (stride 1 up to 256×256, 3 for 640×480, 15 for 4K), each
    /// point counted in the histogram and in the thumbnail cell it falls in.
    private mutating func summarise(_ frame: ImageView) {
        let tw = Self.thumbnailWidth, th = Self.thumbnailHeight
        for i in thumbnail.indices { thumbnail[i] = 0 }
        for b in 0..<Self.bins { histogram[b] = 0 }
        let stride = max(1, Int((Double(frame.width) * Double(frame.height) / 65_536).squareRoot().rounded(.up)))
        let channels = frame.channels, width = frame.width
        // Per sampled column, its thumbnail column: made once per frame width and stride, so the
        // per-sample work is a load, the luma and two adds (no division, no array checks).
        if geometry != (width, frame.height, stride) {
            columnCells = (0..<((width + stride - 1) / stride)).map { Int32($0 * stride * tw / width) }
            columnCounts = Self.counts(cells: tw, length: width, stride: stride)
            rowCounts = Self.counts(cells: th, length: frame.height, stride: stride)
            geometry = (width, frame.height, stride)
        }
        var samples = 0
        thumbnail.withUnsafeMutableBufferPointer { thumb in
            histogram.withUnsafeMutableBufferPointer { hist in
                columnCells.withUnsafeBufferPointer { cells in
                    let thumb = thumb.baseAddress!, hist = hist.baseAddress!, cells = cells.baseAddress!
                    let columns = (width + stride - 1) / stride
                    var y = 0
                    while y < frame.height {
                        let row = frame.row(y)
                        let cellRow = thumb + (y * th / frame.height) * tw
                        if channels == 3 {
                            for i in 0..<columns {
                                let p = row + i * stride * 3
                                let luma = (Int(p[0]) * 4899 + Int(p[1]) * 9617 + Int(p[2]) * 1868 + 8192) >> 14
                                hist[luma >> 3] += 1
                                cellRow[Int(cells[i])] += Float(luma)
                            }
                        } else {
                            for i in 0..<columns {
                                let luma = Int(row[i * stride])
                                hist[luma >> 3] += 1
                                cellRow[Int(cells[i])] += Float(luma)
                            }
                        }
                        samples += columns
                        y += stride
                    }
                }
            }
        }
        // Each cell's mean: the number of samples per cell from the grid's geometry.
        for ty in 0..<th {
            let rows = rowCounts[ty]
            for tx in 0..<tw {
                let n = rows * columnCounts[tx]
                thumbnail[ty * tw + tx] = n > 0 ? thumbnail[ty * tw + tx] / Float(n) : 0
            }
        }
        let inv = samples > 0 ? 1 / Float(samples) : 0
        for b in 0..<Self.bins { histogram[b] *= inv }
    }

    /// How many sample positions `0, stride, 2·stride, …` below `length` fall in each of `cells`
    /// cells (position p is in cell `p · cells / length`).
    private static func counts(cells: Int, length: Int, stride: Int) -> [Int] {
        var n = [Int](repeating: 0, count: cells)
        var p = 0
        while p < length {
            n[p * cells / length] += 1
            p += stride
        }
        return n
    }
}
