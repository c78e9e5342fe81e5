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
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
    ) {
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
        // The round constants (FIPS 180-4 §4.2.2), CFERKernels' table.
        withUnsafePointer(to: fer_sha256_round_constants) { table in
            let k = UnsafeRawPointer(table).assumingMemoryBound(to: UInt32.self)
            // The 16-word rolling schedule lives on the stack (a tuple), not in an array.
            var words:
                (
                    UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                    UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
                ) =
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
