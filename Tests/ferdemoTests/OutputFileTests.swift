import FERDemoSupport
import Foundation
import Testing

/// FERDemoSupport's OutputFile and OutputPlan: what happens to each kind of path, and which
/// sets of outputs are refused.
@Suite struct OutputFileTests {
    static func folder() throws -> String {
        let url = Demo.temporary("outputs")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func kind(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    @Test("a regular file is replaced whole, with the old file's permissions, only at finish")
    func replacesRegularFile() throws {
        let dir = try Self.folder()
        let path = dir + "/out.csv"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        let file = try OutputFile(path: path, option: "--csv", mode: .replace)
        try file.write("new 1\n")
        try file.flush()
        // Before finish the target still holds the old content.
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        try file.write("new 2\n")
        try file.finish()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new 1\nnew 2\n")
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o640)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.csv"])
    }

    @Test("an abandoned replacement leaves the old file and no temporary")
    func abandonKeepsOldFile() throws {
        let dir = try Self.folder()
        let path = dir + "/keep.csv"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        do {
            let file = try OutputFile(path: path, option: "--csv", mode: .replace)
            try file.write("partial")
        } // deinit abandons
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["keep.csv"])
    }

    @Test("a symbolic link is followed: its target is replaced, the link stays a link")
    func followsLinks() throws {
        let dir = try Self.folder()
        let target = dir + "/target.svg", link = dir + "/link.svg"
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let file = try OutputFile(path: link, option: "--report", mode: .replace)
        try file.write("new")
        try file.finish()
        #expect(Self.kind(link) == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")

        let dangling = dir + "/dangling.csv"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: dir + "/missing/none.csv")
        #expect(throws: OutputError.danglingLink(output: "--csv", path: dangling)) {
            try OutputFile(path: dangling, option: "--csv", mode: .replace)
        }
        #expect(Self.kind(dangling) == S_IFLNK)
    }

    @Test("a character device is written in place, never replaced")
    func devicesInPlace() throws {
        // /dev/null: writes succeed, and it stays a character device in both modes.
        for mode in [OutputFile.Mode.replace, .stream] {
            let file = try OutputFile(path: "/dev/null", option: "--csv", mode: mode)
            try file.write("x\n")
            try file.finish()
            #expect(Self.kind("/dev/null") == S_IFCHR)
        }
        // A full device: the write error names the output and says why.
        let full = try Demo.fullDevice()
        let file = try OutputFile(path: full, option: "--json", mode: .replace)
        try file.write("line\n")
        #expect(throws: OutputError.writeFailed(output: "--json", path: full, errno: ENOSPC)) { try file.finish() }
        #expect(Self.kind(full) == S_IFCHR)
        // After a failure the output is closed: later writes fail too, finish is a no-op.
        #expect(throws: OutputError.self) { try file.write("more\n") }
        try file.finish()
        #expect(
            OutputError.writeFailed(output: "--json", path: full, errno: ENOSPC).description
                == "writing '\(full)' (--json) failed: No space left on device (ENOSPC); free some space or write elsewhere.")
    }

    @Test("a FIFO is written in place; one without a reader is refused, not waited for")
    func fifos() throws {
        let dir = try Self.folder()
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: OutputError.noReader(output: "--json", path: fifo)) {
            try OutputFile(path: fifo, option: "--json", mode: .stream)
        }
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let file = try OutputFile(path: fifo, option: "--json", mode: .replace)
        try file.write("through the pipe\n")
        try file.finish()
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &bytes, bytes.count)
        #expect(String(decoding: bytes[0..<max(0, n)], as: UTF8.self) == "through the pipe\n")
        #expect(Self.kind(fifo) == S_IFIFO)
    }

    @Test("directories, block devices and sockets are refused")
    func refusedKinds() throws {
        let dir = try Self.folder()
        #expect(throws: OutputError.isDirectory(output: "--csv", path: dir)) { try OutputFile(path: dir, option: "--csv", mode: .replace) }
        #expect(throws: OutputError.cannotCreate(output: "--csv", path: dir + "/no/such/x.csv", errno: ENOENT)) {
            try OutputFile(path: dir + "/no/such/x.csv", option: "--csv", mode: .replace)
        }
        if let disk = ["/dev/vda", "/dev/sda", "/dev/loop0", "/dev/nvme0n1"].first(where: { Self.kind($0) == S_IFBLK }) {
            #expect(throws: OutputError.unwritableKind(output: "--json", path: disk, kind: "a block device (a disk)")) {
                try OutputFile(path: disk, option: "--json", mode: .stream)
            }
        }
    }

    @Test("standard output for '-'")
    func standardOutput() throws {
        let file = try OutputFile(path: "-", option: "--json", mode: .stream)
        #expect(file.isStandardOutput && !file.isRegularFile)
        try file.finish()
    }

    @Test("outputs naming an input or each other are refused by identity, not by name")
    func plan() throws {
        let dir = try Self.folder()
        let input = dir + "/clip.mp4"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: input))
        let link = dir + "/alias.mp4"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
        let hard = dir + "/hard.mp4"
        #expect(Glibc.link(input, hard) == 0)
        let inputs = [OutputPlan.Entry(option: "--input", path: input)]
        for alias in [input, link, hard, dir + "/./clip.mp4", dir + "/../" + (dir as NSString).lastPathComponent + "/clip.mp4"] {
            #expect(throws: OutputConflictError.self, "\(alias)") {
                try OutputPlan.check(outputs: [.init(option: "--output", path: alias)], inputs: inputs, standardOutputCarriesText: false)
            }
        }
        // Two outputs to one new file, through different spellings.
        #expect(throws: OutputConflictError.sameFile(first: "--json", second: "--report", path: dir + "/sub/../out.svg")) {
            try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
            try OutputPlan.check(
                outputs: [.init(option: "--json", path: dir + "/out.svg"), .init(option: "--report", path: dir + "/sub/../out.svg")],
                inputs: inputs, standardOutputCarriesText: false)
        }
        #expect(throws: OutputConflictError.standardOutputTwice(first: "--json", second: "--csv")) {
            try OutputPlan.check(outputs: [.init(option: "--json", path: "-"), .init(option: "--csv", path: "-")], inputs: [], standardOutputCarriesText: false)
        }
        // /dev/null may take several outputs; distinct files are fine.
        try OutputPlan.check(
            outputs: [
                .init(option: "--json", path: "/dev/null"), .init(option: "--report", path: "/dev/null"),
                .init(option: "--output", path: dir + "/a.mp4")
            ],
            inputs: inputs, standardOutputCarriesText: true)
        #expect(
            OutputConflictError.overwritesInput(output: "--output", path: link, input: "--input", inputPath: input).description
                == "--output '\(link)' is the same file as the input ('\(input)') of --input; refusing to write over an input. Choose another output path.")
    }

    @Test("an output folder is created with its parents; a file in the way is named")
    func outputDirectory() throws {
        let dir = try Self.folder()
        try OutputDirectory.create(dir + "/a/b/c", option: "--annotate")
        #expect(Self.kind(dir + "/a/b/c") == S_IFDIR)
        try OutputDirectory.create(dir + "/a/b/c", option: "--annotate")
        try "x".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
        #expect(throws: OutputError.notAFolder(output: "--annotate", path: dir + "/file")) {
            try OutputDirectory.create(dir + "/file/sub", option: "--annotate")
        }
    }
}
