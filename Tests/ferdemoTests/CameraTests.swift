import Foundation
import Testing

/// `ferdemo live` on a camera without a camera: the fake V4L2 device (Tests/Support/fake_v4l2)
/// under the real libv4l2, playing frames of the sample clip in YUYV or MJPEG, and failing on
/// demand at every step. Each fault must give a typed error with a clear message, or a clean
/// end with the outputs finalised.
@Suite("ferdemo live on a fake V4L2 camera", .serialized)
struct CameraTests {
    static let live = ["live", "--input", FakeCamera.device, "--no-window"]

    struct Result {
        var run: Demo.Run
        var lines: [[String: Any]]
        var videoFrames: Int?
    }

    /// Runs ferdemo on the fake camera with a JSON Lines file and a video, and reads both back
    /// (every JSON line must parse; the video must decode when it exists).
    static func run(
        _ format: FakeCamera.Format, width: Int = 640, height: Int = 480, faults: String = "",
        arguments: [String] = ["--max-frames", "30"]
    ) throws -> Result {
        let json = Demo.temporary("cam.jsonl"), video = Demo.temporary("cam.mp4")
        let env = try FakeCamera.environment(format, width: width, height: height, faults: faults)
        let run = try Demo.run(Self.live + arguments + ["--json", json.path, "--output", video.path], environment: env)
        let lines = FileManager.default.fileExists(atPath: json.path) ? try Outputs.jsonLines(json) : []
        var frames: Int?
        if FileManager.default.fileExists(atPath: video.path) {
            #expect(Outputs.probedDuration(video.path) != nil, "the video is not finalised")
            frames = try Outputs.decodedFrames(video.path)
        }
        return Result(run: run, lines: lines, videoFrames: frames)
    }

    /// The faces of a line, and how many are labelled `label`.
    static func faces(_ line: [String: Any]) -> [[String: Any]] { line["faces"] as? [[String: Any]] ?? [] }

    /// The astronaut is in every frame the fake plays (the clip's first 24, in a loop); the
    /// pipeline must find her and call her happy. PyTorch gives this face happy 0.86 with fernet,
    /// the default model, and Keras 0.998 with mini-Xception (goldens, emotion_fernet and emotion case
    /// 2), so every classified entry must say happy.
    static func expectAstronaut(_ r: Result, width: Int, height: Int, frames: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.run.status == 0, "\(r.run.stderr)", sourceLocation: sourceLocation)
        #expect(r.lines.count == frames, sourceLocation: sourceLocation)
        #expect(r.videoFrames == frames, sourceLocation: sourceLocation)
        var withFace = 0, labels: [String] = []
        for line in r.lines {
            let faces = Self.faces(line)
            if !faces.isEmpty { withFace += 1 }
            for face in faces {
                if let label = face["label"] as? String { labels.append(label) }
                let box = face["box"] as? [Double] ?? []
                // Boxes are in the camera's pixels: inside its frame (a box may stick out by a
                // margin; the centre may not).
                if box.count == 4 {
                    let cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2
                    #expect(
                        cx >= 0 && cx < Double(width) && cy >= 0 && cy < Double(height), "box \(box) outside \(width)x\(height)",
                        sourceLocation: sourceLocation)
                }
            }
        }
        // Frame 0 is detected before it is reported, and the face never leaves the frame.
        #expect(withFace == frames, "\(withFace) of \(frames) frames have a face", sourceLocation: sourceLocation)
        #expect(!labels.isEmpty && labels.allSatisfy { $0 == "happy" }, "labels: \(Set(labels))", sourceLocation: sourceLocation)
    }

    @Test("a YUYV camera at 640x480: the whole pipeline, the astronaut found and happy, outputs whole")
    func yuyvCamera() throws {
        let r = try Self.run(.yuyv)
        #expect(r.run.stderr.contains("camera \(FakeCamera.device) (FERCore fake camera (YUYV), 640x480 @ 30.0 fps)"), "\(r.run.stderr)")
        Self.expectAstronaut(r, width: 640, height: 480, frames: 30)
    }

    @Test("an MJPEG camera that changes the size to 320x240: decoded by libv4l2, the whole pipeline at that size")
    func mjpegCameraChangesSize() throws {
        let r = try Self.run(.mjpeg, width: 320, height: 240, arguments: ["--max-frames", "30", "--camera-size", "640x480", "--min-face", "20"])
        #expect(r.run.stderr.contains("(FERCore fake camera (MJPG), 320x240 @ 30.0 fps)"), "\(r.run.stderr)")
        Self.expectAstronaut(r, width: 320, height: 240, frames: 30)
    }

    @Test(
        "faults while opening: a typed error, its message and status, nothing written",
        arguments: [
            ("open=ENOENT", Int32(3), "no camera at /dev/video-fercore-fake"),
            ("open=EBUSY", 5, "is busy; close the other program using the camera"),
            ("open=EACCES", 5, "add your user to the 'video' group"),
            ("querycap=notcapture", 5, "is not a video capture device"),
            ("querycap=nostreaming", 5, "does not support streaming I/O"),
            ("s_fmt=EINVAL", 5, "offers no usable pixel format (VIDIOC_S_FMT YUYV: Invalid argument; VIDIOC_S_FMT RGB3: Invalid argument)"),
            ("s_fmt=EBUSY", 5, "is busy"),
            ("reqbufs=ENOMEM", 5, "VIDIOC_REQBUFS failed (errno 12: Cannot allocate memory)"),
            ("reqbufs=one", 5, "the driver granted 1 buffer(s) of the 4 asked for"),
            ("mmap=ENOMEM", 5, "mmap failed (errno 12: Cannot allocate memory)"),
            ("smallbuf", 5, "holds 307200 bytes, but a 640x480 YUYV frame needs 614400"),
            ("streamon=EIO", 5, "VIDIOC_STREAMON failed (errno 5: Input/output error)")
        ])
    func openFaults(fault: String, status: Int32, message: String) throws {
        let r = try Self.run(.yuyv, faults: fault)
        #expect(r.run.status == status, "\(fault): \(r.run.stderr)")
        #expect(r.run.stderr.contains(message), "\(fault): \(r.run.stderr)")
        #expect(!r.run.stderr.contains("libv4l2: error"), "libv4l2's own log is silenced: \(r.run.stderr)")
        #expect(r.lines.isEmpty && r.videoFrames == nil, "\(fault): outputs were written")
    }

    @Test(
        "faults mid-stream: the camera's end or error reported (status 5), every output finalised",
        arguments: [
            ("dqbuf=EIO@10", 10, "stopped after 10 frames: VIDIOC_DQBUF: Input/output error (unplugged?)"),
            ("dqbuf=ENODEV@10", 10, "stopped after 10 frames: VIDIOC_DQBUF: No such device (unplugged?)"),
            // Unplugged while a frame is processed (re-queueing its buffer fails), or while waiting
            // for the next one (poll reports the hang-up): both are what a USB camera does.
            ("unplug@10", 10, "stopped after 10 frames: VIDIOC_QBUF: device gone (unplugged?)"),
            ("hangup@10", 10, "stopped after 10 frames: the device reported an error or hang-up (unplugged?)"),
            ("stall@8", 8, "No frame from '/dev/video-fercore-fake' within 2000 ms"),
            ("badindex@6", 6, "the driver returned buffer 1000, but only 4 exist"),
            ("shortall", 0, "30 frames in a row carried 307200 bytes where a 640x480 YUYV frame needs 614400")
        ])
    func streamFaults(fault: String, frames: Int, message: String) throws {
        let r = try Self.run(.yuyv, faults: fault)
        #expect(r.run.status == 5, "\(fault): \(r.run.stderr)")
        #expect(r.run.stderr.contains(message), "\(fault): \(r.run.stderr)")
        #expect(r.run.stderr.contains("Outputs finalised."), "\(fault): \(r.run.stderr)")
        #expect(r.lines.count == frames, "\(fault): \(r.lines.count) JSON lines")
        // No frame, no video; otherwise one video frame per JSON line.
        #expect(r.videoFrames == (frames == 0 ? nil : frames), "\(fault): video \(String(describing: r.videoFrames))")
    }

    @Test("an EAGAIN storm and a damaged frame are ridden out: every frame delivered, status 0")
    func transientFaults() throws {
        // 40 wake-ups without a frame at frame 5: each DQBUF answers EAGAIN and is retried.
        let storm = try Self.run(.yuyv, faults: "eagain=40@5")
        #expect(storm.run.status == 0, "\(storm.run.stderr)")
        #expect(storm.lines.count == 30 && storm.videoFrames == 30)
        // Frame 3 arrives with half its bytes: dropped (not shown half old, half new), said so.
        let short = try Self.run(.yuyv, faults: "short@3")
        #expect(short.run.status == 0, "\(short.run.stderr)")
        #expect(short.lines.count == 30 && short.videoFrames == 30)
        #expect(short.run.stderr.contains("dropped 1 damaged frame"), "\(short.run.stderr)")
    }

    @Test("SIGTERM on a camera run (which has no end of its own): outputs finalised, ends by SIGTERM")
    func terminateCameraRun() throws {
        let json = Demo.temporary("camterm.jsonl"), video = Demo.temporary("camterm.mp4")
        let env = try FakeCamera.environment(.yuyv, width: 640, height: 480)
        let (process, _, err) = try Demo.start(Self.live + ["--json", json.path, "--output", video.path], environment: env)
        #expect(Demo.waitFor(120) { ((try? String(contentsOf: json, encoding: .utf8)) ?? "").split(separator: "\n").count >= 10 })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM, "\(stderr)")
        let lines = try Outputs.jsonLines(json)
        #expect(lines.count >= 10)
        #expect(Outputs.probedDuration(video.path) != nil)
        #expect(try Outputs.decodedFrames(video.path) == lines.count)
    }

    @Test("track on a camera, stopped by SIGTERM: the CSV file appears whole (header, one row per frame), ends by SIGTERM")
    func trackCameraTerminated() throws {
        let csv = Demo.temporary("track.csv")
        try Data("old content\n".utf8).write(to: csv)
        let env = try FakeCamera.environment(.yuyv, width: 640, height: 480)
        let (process, _, err) = try Demo.start(
            ["track", "--input", FakeCamera.device, "--init-box", "250,150,120,140", "--csv", csv.path],
            environment: env)
        // The CSV replaces the old file only when the run ends: until then it still holds the old content.
        usleep(1_500_000)
        #expect(try String(contentsOf: csv, encoding: .utf8) == "old content\n")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM, "\(stderr)")
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.first == "frame,id,x,y,w,h,confidence,lost")
        #expect(rows.last == "", "the file ends with a whole row")
        let body = rows.dropFirst().dropLast()
        #expect(body.count >= 1)
        for (i, row) in body.enumerated() {
            #expect(row.split(separator: ",").count == 8 && row.hasPrefix("\(i),1,"), "row \(i): \(row)")
        }
    }

    @Test("track on a camera that is unplugged: the CSV written whole, status 5")
    func trackCameraUnplugged() throws {
        let csv = Demo.temporary("unplugged.csv")
        let env = try FakeCamera.environment(.yuyv, width: 640, height: 480, faults: "hangup@12")
        let run = try Demo.run(["track", "--input", FakeCamera.device, "--init-box", "250,150,120,140", "--csv", csv.path], environment: env)
        #expect(run.status == 5, "\(run.stderr)")
        #expect(run.stderr.contains("stopped after 12 frames: the device reported an error or hang-up (unplugged?)"), "\(run.stderr)")
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 13, "header + 12 rows: \(rows.count)")
    }
}
