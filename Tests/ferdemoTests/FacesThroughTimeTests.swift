import FERCore
import FERMedia
import Foundation
import Testing

/// Faces through time in `ferdemo live`: the same output on every run, faces from frame 0,
/// landmarks that follow the face, photos and frames in folders.
@Suite("ferdemo live: faces through time", .serialized)
struct FacesThroughTimeTests {
    /// The JSON Lines of a run, each line parsed, without its `timings_ms` (the only part that
    /// may differ between runs).
    static func lines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            object["timings_ms"] = nil
            return object
        }
    }

    static func faces(_ line: [String: Any]) -> [[String: Any]] { line["faces"] as? [[String: Any]] ?? [] }

    @Test("the sample clip: the same JSON on every run, a face in frame 0, two IDs, landmarks on the faces")
    func sampleClip() throws {
        var runs: [[[String: Any]]] = []
        for k in 0..<2 {
            let json = Demo.temporary("run\(k).jsonl")
            let run = try Demo.run(["live", "--input", Demo.sample, "--no-window", "--quiet", "--json", json.path])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            runs.append(try Self.lines(json))
        }
        let a = runs[0], b = runs[1]
        #expect(a.count == 300)
        // Byte-for-byte equal apart from timings: detection results land on fixed frames.
        let same = zip(a, b).allSatisfy { NSDictionary(dictionary: $0).isEqual(to: $1) }
        #expect(same && a.count == b.count, "two runs of the same file gave different output")
        #expect(!Self.faces(a[0]).isEmpty, "the face is visible from frame 0 and must be reported there")
        let ids = Set(a.flatMap { Self.faces($0).compactMap { $0["id"] as? Int } })
        #expect(ids == [1, 2], "IDs: \(ids)")
        // Landmarks follow the box between detections: every point inside the face's box on at
        // least 98 % of the face entries (the bar; before, fewer than half were).
        var inside = 0, total = 0, oldest = 0
        for line in a {
            for face in Self.faces(line) {
                guard let box = face["box"] as? [Double], let points = face["landmarks"] as? [[Double]] else { continue }
                total += 1
                if points.allSatisfy({ $0[0] >= box[0] && $0[0] <= box[0] + box[2] && $0[1] >= box[1] && $0[1] <= box[1] + box[3] }) {
                    inside += 1
                }
                oldest = max(oldest, face["landmarks_age"] as? Int ?? -1)
            }
        }
        #expect(total > 300)
        #expect(Double(inside) >= 0.98 * Double(total), "\(inside) of \(total) face entries have their landmarks inside the box")
        // Detection every 10 frames, applied 4 frames late: landmarks are at most 14 frames old.
        #expect(oldest <= 14, "oldest landmarks: \(oldest) frames")
    }

    /// Writes frames `indices` of the sample clip (and, for a negative index, a mid-grey picture
    /// of the same size) as PNG files named by `names` in a new folder.
    static func folder(_ indices: [Int], names: [String]) throws -> URL {
        let dir = Demo.temporary("folder")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let reader = try VideoReader(path: Demo.sample)
        let frame = try ImageBuffer(width: 640, height: 480, format: .rgb8)
        var frames: [Int: Image] = [:]
        while let info = try reader.nextFrame(into: frame), info.index <= indices.max() ?? 0 {
            if indices.contains(info.index) {
                frames[info.index] = try Image(
                    width: 640, height: 480, format: .rgb8,
                    pixels: Array(UnsafeBufferPointer(start: frame.view.base, count: 640 * 480 * 3)))
            }
        }
        let grey = try Image(width: 640, height: 480, format: .rgb8, repeating: 128)
        for (index, name) in zip(indices, names) {
            let image = index < 0 ? grey : try #require(frames[index])
            try image.withView { (v) throws(MediaError) in try ImageWriter.write(v, to: dir.appendingPathComponent(name).path) }
        }
        return dir
    }

    @Test("a folder of separate photos: each detected on its own, each line names its file")
    func photos() throws {
        let dir = try Self.folder([0, -1, 0], names: ["beach.png", "grey.png", "party.png"])
        let json = Demo.temporary("photos.jsonl")
        let run = try Demo.run(["live", "--input", dir.path, "--no-window", "--json", json.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("as separate photos"))
        let lines = try Self.lines(json)
        #expect(
            lines.map { ($0["source"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }
                == ["beach.png", "grey.png", "party.png"])
        #expect(lines.map { Self.faces($0).count } == [1, 0, 1])
        // Photos do not share tracks: the third picture's face is a new face.
        #expect(lines.map { Self.faces($0).compactMap { $0["id"] as? Int } } == [[1], [], [2]])
    }

    @Test("a consecutively numbered folder is one sequence: one track across its frames")
    func frames() throws {
        let dir = try Self.folder([0, 1, 2, 3], names: ["f0001.png", "f0002.png", "f0003.png", "f0004.png"])
        let json = Demo.temporary("frames.jsonl")
        let run = try Demo.run(["live", "--input", dir.path, "--no-window", "--json", json.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("as separate photos"))
        let lines = try Self.lines(json)
        #expect(lines.map { Self.faces($0).compactMap { $0["id"] as? Int } } == [[1], [1], [1], [1]])
    }
}
