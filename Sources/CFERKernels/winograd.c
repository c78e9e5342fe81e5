// The transforms of Winograd's F(2×2, 3×3) convolution (see fer_kernels.h and Winograd.swift), in
// an AVX2 and an AVX-512 version. Both compute every value with the same additions and
// subtractions in the same order (no products the compiler could contract into FMAs), so the
// two paths give identical results; the wider registers only do more channels at once.
#if defined(__x86_64__)
#include <immintrin.h>
#include "fer_kernels.h"

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))

// The walk over tiles both versions share: tile (n, ty, tx) of the flat numbering, and the next.
typedef struct {
    long n, ty, tx;
} tile_at;

static inline tile_at tile_first(long first, long tiles_y, long tiles_x) {
    tile_at t = {first / (tiles_y * tiles_x), (first / tiles_x) % tiles_y, first % tiles_x};
    return t;
}

static inline void tile_next(tile_at *t, long tiles_y, long tiles_x) {
    if (++t->tx == tiles_x) {
        t->tx = 0;
        if (++t->ty == tiles_y) { t->ty = 0; t->n++; }
    }
}

// How many of a tile's `full` rows (or columns) from `start` lie inside a size of `size`: only
// the last tile row or column can reach past the edge, when the output size is odd.
static inline int tile_extent(long size, long start, int full) { return size - start < full ? (int)(size - start) : full; }

// Bᵀ d B for one channel vector of a tile, rows first: LOAD(r, q) reads input (r, q) (zero when
// outside the image), STORE(k, v) writes value k = 4r + q.
#define INPUT_TRANSFORM(V, SUB, ADD, LOAD, STORE) do { \
    V e0[4], e1[4], e2[4], e3[4]; \
    for (int q = 0; q < 4; q++) { \
        const V d0 = LOAD(0, q), d1 = LOAD(1, q), d2 = LOAD(2, q), d3 = LOAD(3, q); \
        e0[q] = SUB(d0, d2); e1[q] = ADD(d1, d2); e2[q] = SUB(d2, d1); e3[q] = SUB(d1, d3); \
    } \
    STORE(0, SUB(e0[0], e0[2])); STORE(1, ADD(e0[1], e0[2])); STORE(2, SUB(e0[2], e0[1])); STORE(3, SUB(e0[1], e0[3])); \
    STORE(4, SUB(e1[0], e1[2])); STORE(5, ADD(e1[1], e1[2])); STORE(6, SUB(e1[2], e1[1])); STORE(7, SUB(e1[1], e1[3])); \
    STORE(8, SUB(e2[0], e2[2])); STORE(9, ADD(e2[1], e2[2])); STORE(10, SUB(e2[2], e2[1])); STORE(11, SUB(e2[1], e2[3])); \
    STORE(12, SUB(e3[0], e3[2])); STORE(13, ADD(e3[1], e3[2])); STORE(14, SUB(e3[2], e3[1])); STORE(15, SUB(e3[1], e3[3])); \
} while (0)

// Aᵀ M A for one channel vector of a tile: LOAD(k) reads product k; OUT(r, q, v) gets output (r, q).
#define OUTPUT_TRANSFORM(V, SUB, ADD, LOAD, OUT) do { \
    V s0[4], s1[4]; \
    for (int q = 0; q < 4; q++) { \
        const V m0 = LOAD(q), m1 = LOAD(4 + q), m2 = LOAD(8 + q), m3 = LOAD(12 + q); \
        s0[q] = ADD(ADD(m0, m1), m2); s1[q] = SUB(SUB(m1, m2), m3); \
    } \
    OUT(0, 0, ADD(ADD(s0[0], s0[1]), s0[2])); OUT(0, 1, SUB(SUB(s0[1], s0[2]), s0[3])); \
    OUT(1, 0, ADD(ADD(s1[0], s1[1]), s1[2])); OUT(1, 1, SUB(SUB(s1[1], s1[2]), s1[3])); \
} while (0)

// ---- AVX2 ----

// Lanes lane ..< min(lane + 8, c) of a channel vector, as an AVX2 mask.
static inline AVX2 __m256i mask8(long lane, long c) {
    const long valid = c - lane;
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(valid > 8 ? 8 : valid)), index);
}

AVX2 void fer_avx2_winograd_input(const float *x, long sample_floats, long in_h, long in_w, long c,
                                  long tiles_y, long tiles_x, long first, long count, float *t, long stride) {
    const __m256i none = _mm256_setzero_si256();
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const float *base = x + at.n * sample_floats + (2 * at.ty * in_w + 2 * at.tx) * c;
        // The pixels outside the image are read as zeros: a masked load of no lanes reads nothing.
        const int rows = tile_extent(in_h, 2 * at.ty, 4), cols = tile_extent(in_w, 2 * at.tx, 4);
        float *dst = t + i * 16 * stride;
        for (long lane = 0; lane < c; lane += 8) {
            const __m256i m = mask8(lane, c);
#define LOAD(r, q) _mm256_maskload_ps(base + ((r) * in_w + (q)) * c + lane, ((r) < rows && (q) < cols) ? m : none)
#define STORE(k, v) _mm256_storeu_ps(dst + (k) * stride + lane, v)
            INPUT_TRANSFORM(__m256, _mm256_sub_ps, _mm256_add_ps, LOAD, STORE);
#undef LOAD
#undef STORE
        }
    }
}

AVX2 void fer_avx2_winograd_output(const float *m, long plane, long tiles_y, long tiles_x, long first, long count,
                                   long cout, long out_h, long out_w, const fer_epilogue *e, float *out) {
    const int prelu = e->alpha != 0, relu = !prelu && e->relu;
    const __m256 zero = _mm256_setzero_ps();
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const int rows = tile_extent(out_h, 2 * at.ty, 2), cols = tile_extent(out_w, 2 * at.tx, 2);
        float *o = out + at.n * out_h * out_w * cout + (2 * at.ty * out_w + 2 * at.tx) * cout;
        const float *src = m + i * cout;
        for (long lane = 0; lane < cout; lane += 8) {
            const int whole = lane + 8 <= cout;
            const __m256i mk = mask8(lane, cout);
            // Bias and padded alphas are whole panels of 8: full loads are in bounds.
            const __m256 bias = e->bias ? _mm256_loadu_ps(e->bias + lane) : zero;
            const __m256 alpha = prelu ? _mm256_loadu_ps(e->alpha + lane) : zero;
#define LOAD(k) _mm256_maskload_ps(src + (k) * plane + lane, mk)
#define OUT(r, q, v) do { if ((r) < rows && (q) < cols) { \
                __m256 z = _mm256_add_ps(v, bias); \
                if (relu) z = _mm256_blendv_ps(z, zero, _mm256_cmp_ps(z, zero, _CMP_LT_OQ)); \
                else if (prelu) z = _mm256_blendv_ps(z, _mm256_mul_ps(z, alpha), _mm256_cmp_ps(z, zero, _CMP_LT_OQ)); \
                float *p = o + ((r) * out_w + (q)) * cout + lane; \
                if (whole) _mm256_storeu_ps(p, z); else _mm256_maskstore_ps(p, mk, z); } } while (0)
            OUTPUT_TRANSFORM(__m256, _mm256_sub_ps, _mm256_add_ps, LOAD, OUT);
#undef LOAD
#undef OUT
        }
    }
}

// ---- AVX-512 ----

static inline AVX512 __mmask16 mask16(long lane, long c) {
    const long valid = c - lane;
    return valid >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << valid) - 1u);
}

AVX512 void fer_avx512_winograd_input(const float *x, long sample_floats, long in_h, long in_w, long c,
                                    long tiles_y, long tiles_x, long first, long count, float *t, long stride) {
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const float *base = x + at.n * sample_floats + (2 * at.ty * in_w + 2 * at.tx) * c;
        const int rows = tile_extent(in_h, 2 * at.ty, 4), cols = tile_extent(in_w, 2 * at.tx, 4);
        float *dst = t + i * 16 * stride;
        for (long lane = 0; lane < c; lane += 16) {
            const __mmask16 m = mask16(lane, c);
#define LOAD(r, q) _mm512_maskz_loadu_ps(((r) < rows && (q) < cols) ? m : 0, base + ((r) * in_w + (q)) * c + lane)
#define STORE(k, v) _mm512_mask_storeu_ps(dst + (k) * stride + lane, m, v)
            INPUT_TRANSFORM(__m512, _mm512_sub_ps, _mm512_add_ps, LOAD, STORE);
#undef LOAD
#undef STORE
        }
    }
}

AVX512 void fer_avx512_winograd_output(const float *m, long plane, long tiles_y, long tiles_x, long first, long count,
                                     long cout, long out_h, long out_w, const fer_epilogue *e, float *out) {
    const int prelu = e->alpha != 0, relu = !prelu && e->relu;
    const __m512 zero = _mm512_setzero_ps();
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const int rows = tile_extent(out_h, 2 * at.ty, 2), cols = tile_extent(out_w, 2 * at.tx, 2);
        float *o = out + at.n * out_h * out_w * cout + (2 * at.ty * out_w + 2 * at.tx) * cout;
        const float *src = m + i * cout;
        for (long lane = 0; lane < cout; lane += 16) {
            const __mmask16 mk = mask16(lane, cout);
            // Bias and alphas are padded to panels of 8 only: masked loads.
            const __m512 bias = e->bias ? _mm512_maskz_loadu_ps(mk, e->bias + lane) : zero;
            const __m512 alpha = prelu ? _mm512_maskz_loadu_ps(mk, e->alpha + lane) : zero;
#define LOAD(k) _mm512_maskz_loadu_ps(mk, src + (k) * plane + lane)
#define OUT(r, q, v) do { if ((r) < rows && (q) < cols) { \
                __m512 z = _mm512_add_ps(v, bias); \
                const __mmask16 neg = _mm512_cmp_ps_mask(z, zero, _CMP_LT_OQ); \
                if (relu) z = _mm512_mask_mov_ps(z, neg, zero); \
                else if (prelu) z = _mm512_mask_mov_ps(z, neg, _mm512_mul_ps(z, alpha)); \
                _mm512_mask_storeu_ps(o + ((r) * out_w + (q)) * cout + lane, mk, z); } } while (0)
            OUTPUT_TRANSFORM(__m512, _mm512_sub_ps, _mm512_add_ps, LOAD, OUT);
#undef LOAD
#undef OUT
        }
    }
}
#endif
