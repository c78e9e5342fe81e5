import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

@Suite("SHA-256")
struct SHA256Tests {
    /// The FIPS 180-4 examples (NIST "Cryptographic Standards and Guidelines: Examples
    /// with Intermediate Values", SHA256.pdf and SHA2_Additional.pdf).
    @Test("this machine's path is the one reported")
    func path() {
        #expect(SHA256().usesExtensions == SHA256.hasSHAExtensions)
        #expect(!SHA256(portable: true).usesExtensions)
    }

    @Test(
        "FIPS 180-4 example vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            )
        ])
    func vectors(_ message: String, _ digest: String) {
        // Both compression functions: the SHA extensions' (where the CPU has them) and Swift's.
        #expect(SHA256.hex(of: Array(message.utf8)) == digest)
        #expect(SHA256.hex(of: Array(message.utf8), portable: true) == digest)
    }

    @Test("one million 'a', fed in uneven pieces", arguments: [false, true])
    func millionA(portable: Bool) {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(of: message, portable: portable) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var hasher = SHA256(portable: portable)
        var offset = 0
        var piece = 1
        message.withUnsafeBytes { all in
            while offset < all.count {
                let n = min(piece, all.count - offset)
                hasher.update(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
                offset += n
                piece = piece * 7 % 131 + 1 // 1...131 bytes: crosses every block boundary case
            }
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the padding boundaries (55/56 bytes leave no room for the
    /// length field; 64 is a whole block), checked against coreutils' `sha256sum`.
    @Test("padding boundaries agree with sha256sum", arguments: [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000])
    func paddingBoundaries(_ length: Int) throws {
        var rng = SplitMix64(seed: UInt64(length))
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = Paths.temporaryFile("sha-\(length).bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let expected = String(decoding: output.prefix(64), as: UTF8.self)
        #expect(expected.count == 64)
        #expect(SHA256.hex(of: bytes) == expected)
        #expect(SHA256.hex(of: bytes, portable: true) == expected)
    }
}
