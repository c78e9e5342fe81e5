import Foundation
import Testing

/// ferdemo's outputs, run as a process: write errors end the run with a message and a
/// non-zero status; devices, links and inputs are never replaced; `-` is standard output.
@Suite("ferdemo outputs: write errors and destructive writes", .serialized)
struct OutputSafetyTests {
    static let live = ["live", "--input", Demo.sample, "--no-window", "--max-frames", "12", "--min-face", "30"]
    static let image = Demo.root.appendingPathComponent("Tests/Fixtures/media/pattern.jpg").path

    @Test("a full device as --json, --csv, --report or standard output: status 6, the output named, the device kept")
    func fullDevice() throws {
        let full = try Demo.fullDevice()
        let cases: [([String], String)] = [
            (Self.live + ["--json", full], "(--json)"),
            (["classify", Self.image, "--cropped", "--csv", full], "(--csv)"),
            (["track", "--input", Demo.sample, "--init-box", "250,150,120,140", "--csv", full], "(--csv)")
        ]
        for (arguments, named) in cases {
            let run = try Demo.run(arguments)
            #expect(run.status == 6, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(named) && run.stderr.contains("No space left on device"), "\(run.stderr)")
            #expect(Demo.isCharacterDevice(full), "\(arguments) replaced the device")
        }
        // Standard output on the full device (`> /dev/full`): live's summary, detect's lines.
        for arguments in [Self.live, ["detect", Self.image], ["classify", Self.image, "--cropped"], ["models"]] {
            let out = try #require(FileHandle(forWritingAtPath: full))
            let err = Demo.temporary("err.txt")
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let p = try Demo.start(arguments, stdout: out, stderr: try FileHandle(forWritingTo: err))
            p.waitUntilExit()
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            #expect(p.terminationReason == .exit && p.terminationStatus == 6, "\(arguments): \(p.terminationStatus) \(stderr)")
            // classify's CSV goes to standard output ("standard output (--csv)"); the others print there.
            #expect(stderr.contains("writing standard output") && stderr.contains("failed: No space left on device (ENOSPC)"), "\(arguments): \(stderr)")
        }
    }

    @Test("a report through a link to a device: written in place, the link and the device kept")
    func reportThroughLinkToDevice() throws {
        let full = try Demo.fullDevice()
        let link = Demo.temporary("timeline.svg")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: full)
        let run = try Demo.run(Self.live + ["--report", link.path])
        #expect(run.status == 6, "\(run.stderr)")
        #expect(run.stderr.contains("(--report)") && run.stderr.contains("No space left"), "\(run.stderr)")
        #expect(Demo.isCharacterDevice(full))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == full)
    }

    @Test("a report through a link to a file: the target replaced, the link kept")
    func reportThroughLink() throws {
        let target = Demo.temporary("target.svg"), link = Demo.temporary("link.svg")
        try Data("old".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        let run = try Demo.run(Self.live + ["--quiet", "--report", link.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == target.path)
        let svg = try String(contentsOf: target, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
    }

    @Test("outputs naming the input (by any path) or each other: status 2, nothing written")
    func conflicts() throws {
        let dir = Demo.temporary("conflicts")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let clip = dir.appendingPathComponent("clip.mp4")
        try FileManager.default.copyItem(atPath: Demo.sample, toPath: clip.path)
        let alias = dir.appendingPathComponent("alias.mp4")
        try FileManager.default.createSymbolicLink(atPath: alias.path, withDestinationPath: clip.path)
        let before = try Data(contentsOf: clip)
        let imageBefore = try Data(contentsOf: URL(fileURLWithPath: Self.image))
        let base = ["live", "--input", clip.path, "--no-window", "--max-frames", "3"]
        let refused: [[String]] = [
            base + ["--output", clip.path],
            base + ["--output", alias.path],
            base + ["--json", alias.path],
            base + ["--json", dir.appendingPathComponent("sub/../clip.mp4").path],
            base + ["--json", dir.appendingPathComponent("x.mp4").path, "--output", dir.appendingPathComponent("x.mp4").path],
            ["track", "--input", clip.path, "--init-box", "250,150,120,140", "--csv", alias.path],
            ["classify", Self.image, "--csv", Self.image],
            ["classify", Self.image, "--csv", "-", "--dump-pixels", "-"]
        ]
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for arguments in refused {
            let run = try Demo.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("refusing to write over an input") || run.stderr.contains("both"), "\(run.stderr)")
        }
        #expect(try Data(contentsOf: clip) == before, "the input was modified")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.mp4").path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.image)) == imageBefore, "the input image was modified")
    }

    @Test("an output that cannot be created is refused before the run: status 6, nothing processed or written")
    func unwritableOutputsRefusedFirst() throws {
        let json = Demo.temporary("first.jsonl")
        let folder = Demo.temporary("a-folder.svg")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (option, path, message) in [
            ("--report", "/nonexistent-folder/r.svg", "the folder does not exist: create it first"),
            ("--output", "/nonexistent-folder/v.mp4", "the folder does not exist: create it first"),
            ("--report", folder.path, "is a directory")
        ] {
            let run = try Demo.run(Self.live + ["--json", json.path, option, path])
            #expect(run.status == 6, "\(option) \(path): \(run.stderr)")
            #expect(run.stderr.contains("(\(option))") || run.stderr.contains("\(option) '"), "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(!run.stdout.contains("Summary"), "the run went ahead: \(run.stdout)")
            #expect(!FileManager.default.fileExists(atPath: json.path), "--json was created before the refusal")
        }
    }

    @Test("--json - writes the JSON Lines to standard output and the summary to standard error")
    func jsonToStandardOutput() throws {
        let run = try Demo.run(Self.live + ["--json", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try Outputs.jsonLines(run.stdout)
        #expect(lines.count == 12)
        #expect(lines.first?["frame"] as? Int == 0)
        #expect(run.stderr.contains("Summary: 12 frames") && run.stderr.contains("standard output (12 lines)"))
        #expect(!FileManager.default.fileExists(atPath: Demo.root.appendingPathComponent("-").path), "a file named '-' was created")

        let csv = try Demo.run(["classify", Self.image, "--cropped", "--csv", "-"])
        #expect(csv.status == 0)
        #expect(csv.stdout.hasPrefix("path,face,x,y,w,h,angry"))
    }

    /// Not under ThreadSanitizer (`make sanitize-thread` sets TSAN_OPTIONS): a TSan-built binary
    /// dies with SIGBUS at start-up under `ulimit -f 100` (its shadow-memory set-up needs larger
    /// file mappings), before ferdemo runs a line of its own.
    @Test(
        "a file over the size limit (ulimit -f): status 6, the JSON Lines cut back to whole lines",
        .disabled(if: ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil, "ThreadSanitizer binaries cannot start under ulimit -f"))
    func fileSizeLimit() throws {
        let json = Demo.temporary("limited.jsonl")
        // 100 KiB (bash counts ulimit -f in 1024-byte blocks): more than the first 64 KiB
        // flush, less than the whole clip's JSON Lines (about 200 KiB), so a later flush is
        // cut short by the limit and the file must be cut back to the last whole line.
        let command = "ulimit -f 100; exec \"$0\" \"$@\""
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command, try Demo.binary(), "live", "--input", Demo.sample, "--no-window", "--json", json.path]
        p.currentDirectoryURL = Demo.root
        let err = Demo.temporary("err.txt")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(p.terminationReason == .exit && p.terminationStatus == 6, "\(p.terminationReason) \(p.terminationStatus): \(stderr)")
        #expect(stderr.contains("File too large (EFBIG)"), "\(stderr)")
        let lines = try Outputs.jsonLines(json)
        #expect(lines.count > 10 && lines.count < 300, "\(lines.count) lines")
        for (i, line) in lines.enumerated() { #expect(line["frame"] as? Int == i) }
    }
}
