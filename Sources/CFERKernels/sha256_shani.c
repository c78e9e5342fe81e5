// SHA-256 compression with the x86 SHA extensions (SHA-NI: Intel since Ice Lake/Goldmont,
// AMD since Zen), chosen at run time by FERCore's SHA256 when fer_cpu_has_sha() says the CPU
// has them; FERCore's Swift compression function runs elsewhere. Weights are hashed at every
// load (Weights/SHA256SUMS), which in Swift was the largest single cost of a short run's
// start-up (about 8 ms for the 2 MB of MTCNN weights); these instructions do it in about one.
//
// The state is kept as the two registers the instructions use: ABEF and CDGH (word A, and C,
// in the highest lane). Each sha256rnds2 does two rounds; the message schedule advances four words
// per step with sha256msg1 (W[t-16] + sigma0(W[t-15])), an add of W[t-7], and sha256msg2
// (+ sigma1(W[t-2])).

#include "fer_kernels.h"

// FIPS 180-4 §4.2.2; FERCore's Swift compression function reads the same table.
const uint32_t fer_sha256_round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#if defined(__x86_64__)
#include <immintrin.h>

int fer_cpu_has_sha(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
}


__attribute__((target("sha,sse4.1,ssse3")))
void fer_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    // Bytes of each 32-bit word reversed: the message is big-endian.
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abcd = _mm_loadu_si128((const __m128i *)&state[0]);   // lanes: A B C D (A lowest)
    __m128i efgh = _mm_loadu_si128((const __m128i *)&state[4]);   // lanes: E F G H
    abcd = _mm_shuffle_epi32(abcd, 0xB1);                         // B A D C
    efgh = _mm_shuffle_epi32(efgh, 0x1B);                         // H G F E
    __m128i abef = _mm_alignr_epi8(abcd, efgh, 8);                // F E B A: ABEF, A highest
    __m128i cdgh = _mm_blend_epi16(efgh, abcd, 0xF0);             // H G D C: CDGH, C highest

    for (size_t block = 0; block < blocks; block++) {
        const uint8_t *p = data + block * 64;
        const __m128i savedABEF = abef, savedCDGH = cdgh;
        __m128i w[4];
        for (int i = 0; i < 4; i++) {
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), byteswap);
        }
        for (int group = 0; group < 16; group++) {
            __m128i words;
            if (group < 4) {
                words = w[group];
            } else {
                // W[t] for t = 4·group … 4·group + 3, from the four previous groups (a ring).
                __m128i x = _mm_sha256msg1_epu32(w[group & 3], w[(group + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[(group + 3) & 3], w[(group + 2) & 3], 4));
                x = _mm_sha256msg2_epu32(x, w[(group + 3) & 3]);
                w[group & 3] = x;
                words = x;
            }
            __m128i msg = _mm_add_epi32(words, _mm_loadu_si128((const __m128i *)&fer_sha256_round_constants[4 * group]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
            msg = _mm_shuffle_epi32(msg, 0x0E);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, msg);
        }
        abef = _mm_add_epi32(abef, savedABEF);
        cdgh = _mm_add_epi32(cdgh, savedCDGH);
    }

    // Back to A B C D / E F G H.
    __m128i abef_lo = _mm_shuffle_epi32(abef, 0x1B);              // F E B A -> A B E F
    __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);                 // H G D C -> G H C D
    abcd = _mm_blend_epi16(abef_lo, ghcd, 0xF0);                  // A B C D
    efgh = _mm_alignr_epi8(ghcd, abef_lo, 8);                     // E F G H
    _mm_storeu_si128((__m128i *)&state[0], abcd);
    _mm_storeu_si128((__m128i *)&state[4], efgh);
}
#else
int fer_cpu_has_sha(void) { return 0; }
void fer_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state; (void)data; (void)blocks;
}
#endif
