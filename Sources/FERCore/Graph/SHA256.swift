import CFERKernels

/// SHA-256 (FIPS 180-4), used to check weights files against their published hashes.
///
/// Written here rather than taken from a package so that FERCore keeps its only
/// dependency (libv4l2). Where the CPU has the SHA extensions (most x86 CPUs since 2017-2019)
/// the blocks go through `fer_sha256_blocks_shani` (CFERKernels), about 1 ms for the 2 MB of
/// MTCNN weights checked at every load; elsewhere through the Swift compression function
/// below, which works on 32-bit words in local variables with a rolling 16-word schedule
/// (about 8 ms for the same bytes in a release build).
/// Checked against the FIPS 180-4 / NIST CAVP example vectors in SHA256Tests.
struct SHA256 {
    /// The eight working words (FIPS 180-4 §5.3.3 initial values).
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// A partial block waiting for more bytes.
    private var pending: [UInt8] = []
    /// Bytes hashed so far.
    private var length: UInt64 = 0

    /// Whether this hasher compresses with the SHA extensions.
    let usesExtensions: Bool

    /// A hasher; `portable: true` uses the Swift compression function even where the SHA
    /// extensions exist (the tests check both paths against the same vectors).
    init(portable: Bool = false) {
        usesExtensions = !portable && Self.hasSHAExtensions
    }

    /// The round constants (FIPS 180-4 §4.2.2).
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// The digest of `bytes` as 64 lower-case hex digits (the `sha256sum` form).
    static func hex(of bytes: UnsafeRawBufferPointer, portable: Bool = false) -> String {
        var hasher = SHA256(portable: portable)
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    /// The digest of `bytes` as 64 lower-case hex digits.
    static func hex(of bytes: [UInt8], portable: Bool = false) -> String {
        bytes.withUnsafeBytes { hex(of: $0, portable: portable) }
    }

    /// Adds `bytes` to the message.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        length &+= UInt64(bytes.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            offset = take
            if pending.count == 64 {
                pending.withUnsafeBytes { block in
                    if let b = block.baseAddress { compress(b, blocks: 1) }
                }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let blocks = (bytes.count - offset) / 64
        if blocks > 0 {
            compress(base + offset, blocks: blocks)
            offset += blocks * 64
        }
        if offset < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset))
        }
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns the digest's 32 bytes.
    mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        tail.withUnsafeBytes { blocks in
            if let b = blocks.baseAddress { compress(b, blocks: blocks.count / 64) }
        }
        pending.removeAll()
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * UInt32($0))) } }
    }

    /// ``finalize()`` as 64 lower-case hex digits.
    mutating func finalizeHex() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in finalize() {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One round with the roles of the working variables given by the caller, so that
    /// eight calls with rotated arguments do a round each without moving the variables.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let s1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
        let ch = (e & f) ^ (~e & g)
        let t1 = h &+ s1 &+ ch &+ kw
        let s0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
        let maj = (a & b) ^ (c & (a ^ b))
        d = d &+ t1
        h = t1 &+ s0 &+ maj
    }

    /// Message schedule word `t` ≥ 16: σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], kept modulo 16.
    @inline(__always)
    private static func schedule(_ w: UnsafeMutablePointer<UInt32>, _ t: Int) -> UInt32 {
        let w15 = w[(t &- 15) & 15], w2 = w[(t &- 2) & 15]
        let s0 = (w15 &>> 7 | w15 &<< 25) ^ (w15 &>> 18 | w15 &<< 14) ^ (w15 &>> 3)
        let s1 = (w2 &>> 17 | w2 &<< 15) ^ (w2 &>> 19 | w2 &<< 13) ^ (w2 &>> 10)
        let wt = w[t & 15] &+ s0 &+ w[(t &- 7) & 15] &+ s1
        w[t & 15] = wt
        return wt
    }

    /// Runs the compression function over `blocks` 64-byte blocks at `data`.
    ///
    /// Eight rounds per step with rotated roles (no variable moves), masking shifts, and
    /// no closures capturing the working variables, so that even a debug (-Onone) build,
    /// where a captured variable is a heap box, hashes tens of MB/s.
    private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
        if usesExtensions {
            withUnsafeMutableBytes(of: &state) { raw in
                guard let words = raw.baseAddress?.assumingMemoryBound(to: UInt32.self) else { return }
                fer_sha256_blocks_shani(words, data.assumingMemoryBound(to: UInt8.self), blocks)
            }
            return
        }
        compressPortable(data, blocks: blocks)
    }

    /// Whether the CPU has the SHA extensions (checked once).
    static let hasSHAExtensions = fer_cpu_has_sha() == 1

    /// The portable compression function (FIPS 180-4 §6.2.2).
    private mutating func compressPortable(_ data: UnsafeRawPointer, blocks: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        Self.k.withUnsafeBufferPointer { kBuffer in
            guard let k = kBuffer.baseAddress else { return }
            // The 16-word rolling schedule lives on the stack (a tuple), not in an array.
            var words: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { raw in
                guard let w = raw.baseAddress?.assumingMemoryBound(to: UInt32.self) else { return }
                for block in 0..<blocks {
                    let p = data + block &* 64
                    for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self)) }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    var t = 0
                    while t < 64 {
                        let w0 = t < 16 ? w[t] : Self.schedule(w, t)
                        Self.round(a, b, c, &d, e, f, g, &h, k[t] &+ w0)
                        let w1 = t < 16 ? w[t &+ 1] : Self.schedule(w, t &+ 1)
                        Self.round(h, a, b, &c, d, e, f, &g, k[t &+ 1] &+ w1)
                        let w2 = t < 16 ? w[t &+ 2] : Self.schedule(w, t &+ 2)
                        Self.round(g, h, a, &b, c, d, e, &f, k[t &+ 2] &+ w2)
                        let w3 = t < 16 ? w[t &+ 3] : Self.schedule(w, t &+ 3)
                        Self.round(f, g, h, &a, b, c, d, &e, k[t &+ 3] &+ w3)
                        let w4 = t < 16 ? w[t &+ 4] : Self.schedule(w, t &+ 4)
                        Self.round(e, f, g, &h, a, b, c, &d, k[t &+ 4] &+ w4)
                        let w5 = t < 16 ? w[t &+ 5] : Self.schedule(w, t &+ 5)
                        Self.round(d, e, f, &g, h, a, b, &c, k[t &+ 5] &+ w5)
                        let w6 = t < 16 ? w[t &+ 6] : Self.schedule(w, t &+ 6)
                        Self.round(c, d, e, &f, g, h, a, &b, k[t &+ 6] &+ w6)
                        let w7 = t < 16 ? w[t &+ 7] : Self.schedule(w, t &+ 7)
                        Self.round(b, c, d, &e, f, g, h, &a, k[t &+ 7] &+ w7)
                        t &+= 8
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}
