import FERCore
import Foundation

/// What `ferdemo live` prints at the end: frames, FPS, per-stage p50/p99, faces seen and each
/// face's emotion shares. Recording a frame allocates only when a new face ID appears.
struct LiveSummary {
    private(set) var frames = 0
    var frameLatency = LatencyHistogram() // EmotionPipeline.process, the frame path
    var loopLatency = LatencyHistogram() // a whole loop turn: read + process + sinks
    var tracking = LatencyHistogram()
    var detectionHandOver = LatencyHistogram() // frames that started a detection
    var detectorRun = LatencyHistogram() // the detector itself, per applied detection
    var reconcile = LatencyHistogram() // frames that reconciled detections
    var classification = LatencyHistogram()
    private var labelCounts: [Int: [Int]] = [:] // id → frames per label (classified faces)
    private var firstFrame: [Int: Int] = [:]
    private var lastFrame: [Int: Int] = [:]
    var wallSeconds = 0.0

    mutating func record(_ r: FrameResult, loopSeconds: Double) {
        frames += 1
        let t = r.timings
        frameLatency.record(t.total)
        loopLatency.record(loopSeconds)
        tracking.record(t.tracking)
        classification.record(t.classification)
        if r.detectionStarted { detectionHandOver.record(t.detection) }
        if r.detectionApplied {
            detectorRun.record(t.detectorRun)
            reconcile.record(t.reconcile)
        }
        for face in r.faces {
            if firstFrame[face.id] == nil { firstFrame[face.id] = r.frameIndex }
            lastFrame[face.id] = r.frameIndex
            if let e = face.emotion {
                if labelCounts[face.id] == nil { labelCounts[face.id] = [Int](repeating: 0, count: EmotionLabel.count) }
                labelCounts[face.id]?[e.label.rawValue] += 1
            }
        }
    }

    /// The most frequent label of each face (by frames), for tests and the report.
    var dominantLabels: [Int: EmotionLabel] {
        labelCounts.compactMapValues { counts in
            counts.indices.max { counts[$0] < counts[$1] }.flatMap { EmotionLabel(rawValue: $0) }
        }
    }

    func text(mode: DetectionMode, threads: Int) -> String {
        func ms(_ h: LatencyHistogram) -> String {
            h.count == 0
                ? "–"
                : String(
                    format: "p50 %.2f  p99 %.2f  mean %.2f ms (%d)", h.percentile(50) * 1e3, h.percentile(99) * 1e3,
                    h.mean * 1e3, h.count)
        }
        var lines: [String] = []
        let fps = wallSeconds > 0 ? Double(frames) / wallSeconds : 0
        let pipelineFPS = frameLatency.total > 0 ? Double(frames) / frameLatency.total : 0
        lines.append(
            String(
                format: "Summary: %d frames in %.2f s — %.1f FPS end to end (read + pipeline + outputs), %.1f FPS pipeline only",
                frames, wallSeconds, fps, pipelineFPS))
        let modeText: String
        switch mode {
        case .synchronous: modeText = "synchronous (inline)"
        case .deferred: modeText = "deferred (own thread, applied at fixed frames: the same output on every run)"
        case .asynchronous: modeText = "asynchronous (own thread, applied when ready)"
        }
        lines.append("  detection \(modeText), \(threads) thread(s)")
        lines.append("  frame (pipeline)   " + ms(frameLatency))
        lines.append("  frame (whole loop) " + ms(loopLatency))
        lines.append("  tracking           " + ms(tracking))
        lines.append("  classification     " + ms(classification))
        lines.append("  detection hand-off " + ms(detectionHandOver) + (mode == .synchronous ? "  (inline detector run)" : "  (frame copy)"))
        lines.append("  detector run       " + ms(detectorRun))
        lines.append("  reconcile          " + ms(reconcile))
        lines.append("  faces seen: \(firstFrame.count)")
        for id in firstFrame.keys.sorted() {
            var line = "    #\(id) frames \(firstFrame[id] ?? 0)–\(lastFrame[id] ?? 0):"
            if let counts = labelCounts[id] {
                let total = max(1, counts.reduce(0, +))
                let shares = counts.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
                line += shares.map {
                    " \(EmotionLabel(rawValue: $0.offset)?.name ?? "?") \(String(format: "%.0f%%", 100 * Double($0.element) / Double(total)))"
                }
                .joined(separator: ",")
            } else {
                line += " never classified"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
