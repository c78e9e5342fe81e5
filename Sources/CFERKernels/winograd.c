// The transforms of Winograd's F(2×2, 3×3) and F(4×4, 3×3) convolutions (see fer_kernels.h and
// Winograd.swift), in an AVX2 and an AVX-512 version. Both compute every value with the same
// operations in the same order (adds and subtracts, and for F(4×4, 3×3) fused multiply-adds by
// the constants 2, 4, 5 and 8, written as FMA intrinsics on both paths, never left to the
// compiler to contract), so the two paths give identical results; the wider registers only do
// more channels at once.
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

// Where tile `at` lies in an image of `h` × `w` pixels of `c` channels (images `sample` floats
// apart), for tiles of `full` × `full` pixels `m` apart: its first pixel, and how many of its
// rows and columns lie inside (the rest is past the image's edge). The input transform reads
// α × α pixels (full = α), the output transform writes m × m (full = m).
typedef struct {
    long offset;
    int rows, cols;
} tile_span;

static inline tile_span tile_place(tile_at at, long sample, long h, long w, long c, long m, int full) {
    tile_span s = {at.n * sample + (m * at.ty * w + m * at.tx) * c, tile_extent(h, m * at.ty, full),
                   tile_extent(w, m * at.tx, full)};
    return s;
}

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

// F(4×4, 3×3) (Lavin and Gray's points 0, ±1, ±2, ∞). Bᵀ over six values d0…d5:
//   t0 = 4d0 − 5d2 + d4,        t1 = (d4 − 4d2) + (d3 − 4d1), t2 = (d4 − 4d2) − (d3 − 4d1),
//   t3 = (d4 − d2) + 2(d3 − d1), t4 = (d4 − d2) − 2(d3 − d1),  t5 = 4d1 − 5d3 + d5.
// FMA(a, b, c) = a·b + c and FNMA(a, b, c) = c − a·b, rounded once.
#define B6(V, ADD, SUB, FMA, FNMA, d0, d1, d2, d3, d4, d5, t) do { \
    const V ba_ = FNMA(k4, d2, d4), bb_ = FNMA(k4, d1, d3), bc_ = SUB(d4, d2), bd_ = SUB(d3, d1); \
    t[0] = FNMA(k5, d2, FMA(k4, d0, d4)); t[1] = ADD(ba_, bb_); t[2] = SUB(ba_, bb_); \
    t[3] = FMA(k2, bd_, bc_); t[4] = FNMA(k2, bd_, bc_); t[5] = FNMA(k5, d3, FMA(k4, d1, d5)); \
} while (0)

// Aᵀ over six values m0…m5: y0 = m0 + (m1 + m2) + (m3 + m4), y1 = (m1 − m2) + 2(m3 − m4),
// y2 = (m1 + m2) + 4(m3 + m4), y3 = (m1 − m2) + 8(m3 − m4) + m5.
#define A6(V, ADD, SUB, FMA, m0, m1, m2, m3, m4, m5, y) do { \
    const V ap_ = ADD(m1, m2), aq_ = SUB(m1, m2), ar_ = ADD(m3, m4), as_ = SUB(m3, m4); \
    y[0] = ADD(ADD(m0, ap_), ar_); y[1] = FMA(k2, as_, aq_); y[2] = FMA(k4, ar_, ap_); y[3] = ADD(FMA(k8, as_, aq_), m5); \
} while (0)

// Bᵀ d B for one channel vector of a 6×6 tile, rows first: LOAD(r, q) reads input (r, q), STORE(k,
// v) writes value k = 6r + q. Needs constants k2, k4, k5 (vectors of 2, 4, 5) in scope.
#define INPUT_TRANSFORM6(V, ADD, SUB, FMA, FNMA, LOAD, STORE) do { \
    V e_[6][6]; \
    for (int q = 0; q < 6; q++) { \
        const V d0 = LOAD(0, q), d1 = LOAD(1, q), d2 = LOAD(2, q), d3 = LOAD(3, q), d4 = LOAD(4, q), d5 = LOAD(5, q); \
        V t_[6]; \
        B6(V, ADD, SUB, FMA, FNMA, d0, d1, d2, d3, d4, d5, t_); \
        for (int r = 0; r < 6; r++) e_[r][q] = t_[r]; \
    } \
    for (int r = 0; r < 6; r++) { \
        V t_[6]; \
        B6(V, ADD, SUB, FMA, FNMA, e_[r][0], e_[r][1], e_[r][2], e_[r][3], e_[r][4], e_[r][5], t_); \
        for (int q = 0; q < 6; q++) STORE(6 * r + q, t_[q]); \
    } \
} while (0)

// Aᵀ M A for one channel vector of a 6×6 tile: LOAD(k) reads product k; OUT(r, q, v) gets output
// (r, q) of the 4×4. Needs constants k2, k4, k8 in scope.
#define OUTPUT_TRANSFORM6(V, ADD, SUB, FMA, LOAD, OUT) do { \
    V s_[4][6]; \
    for (int q = 0; q < 6; q++) { \
        const V m0 = LOAD(q), m1 = LOAD(6 + q), m2 = LOAD(12 + q), m3 = LOAD(18 + q), m4 = LOAD(24 + q), m5 = LOAD(30 + q); \
        V y_[4]; \
        A6(V, ADD, SUB, FMA, m0, m1, m2, m3, m4, m5, y_); \
        for (int r = 0; r < 4; r++) s_[r][q] = y_[r]; \
    } \
    for (int r = 0; r < 4; r++) { \
        V y_[4]; \
        A6(V, ADD, SUB, FMA, s_[r][0], s_[r][1], s_[r][2], s_[r][3], s_[r][4], s_[r][5], y_); \
        for (int q = 0; q < 4; q++) OUT(r, q, y_[q]); \
    } \
} while (0)

// ---- AVX2 ----

// Lanes lane ..< min(lane + 8, c) of a channel vector, as an AVX2 mask.
static inline AVX2 __m256i mask8(long lane, long c) {
    const long valid = c - lane;
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(valid > 8 ? 8 : valid)), index);
}

AVX2 void fer_avx2_winograd_input(const float *x, long sample_floats, long in_h, long in_w, long c, long m,
                                  long tiles_y, long tiles_x, long first, long count, float *t, long stride) {
    const __m256i none = _mm256_setzero_si256();
    const __m256 k2 = _mm256_set1_ps(2), k4 = _mm256_set1_ps(4), k5 = _mm256_set1_ps(5);
    const int alpha = (int)m + 2, planes = alpha * alpha;
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        // The pixels outside the image are read as zeros: a masked load of no lanes reads nothing.
        const tile_span s = tile_place(at, sample_floats, in_h, in_w, c, m, alpha);
        const float *base = x + s.offset;
        const int rows = s.rows, cols = s.cols;
        float *dst = t + i * planes * stride;
        for (long lane = 0; lane < c; lane += 8) {
            const __m256i mk = mask8(lane, c);
#define LOAD(r, q) _mm256_maskload_ps(base + ((r) * in_w + (q)) * c + lane, ((r) < rows && (q) < cols) ? mk : none)
#define STORE(k, v) _mm256_storeu_ps(dst + (k) * stride + lane, v)
            if (m == 2) {
                INPUT_TRANSFORM(__m256, _mm256_sub_ps, _mm256_add_ps, LOAD, STORE);
            } else {
                INPUT_TRANSFORM6(__m256, _mm256_add_ps, _mm256_sub_ps, _mm256_fmadd_ps, _mm256_fnmadd_ps, LOAD, STORE);
            }
#undef LOAD
#undef STORE
        }
    }
}

AVX2 void fer_avx2_winograd_output(const float *p, long plane, long m, long tiles_y, long tiles_x, long first, long count,
                                   long cout, long out_h, long out_w, const fer_epilogue *e, float *out) {
    const int prelu = e->alpha != 0, relu = !prelu && e->relu;
    const __m256 zero = _mm256_setzero_ps();
    const __m256 k2 = _mm256_set1_ps(2), k4 = _mm256_set1_ps(4), k8 = _mm256_set1_ps(8);
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const tile_span s = tile_place(at, out_h * out_w * cout, out_h, out_w, cout, m, (int)m);
        float *o = out + s.offset;
        const int rows = s.rows, cols = s.cols;
        const float *src = p + i * cout;
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
                float *y = o + ((r) * out_w + (q)) * cout + lane; \
                if (whole) _mm256_storeu_ps(y, z); else _mm256_maskstore_ps(y, mk, z); } } while (0)
            if (m == 2) {
                OUTPUT_TRANSFORM(__m256, _mm256_sub_ps, _mm256_add_ps, LOAD, OUT);
            } else {
                OUTPUT_TRANSFORM6(__m256, _mm256_add_ps, _mm256_sub_ps, _mm256_fmadd_ps, LOAD, OUT);
            }
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

AVX512 void fer_avx512_winograd_input(const float *x, long sample_floats, long in_h, long in_w, long c, long m,
                                    long tiles_y, long tiles_x, long first, long count, float *t, long stride) {
    const __m512 k2 = _mm512_set1_ps(2), k4 = _mm512_set1_ps(4), k5 = _mm512_set1_ps(5);
    const int alpha = (int)m + 2, planes = alpha * alpha;
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const tile_span s = tile_place(at, sample_floats, in_h, in_w, c, m, alpha);
        const float *base = x + s.offset;
        const int rows = s.rows, cols = s.cols;
        float *dst = t + i * planes * stride;
        for (long lane = 0; lane < c; lane += 16) {
            const __mmask16 mk = mask16(lane, c);
#define LOAD(r, q) _mm512_maskz_loadu_ps(((r) < rows && (q) < cols) ? mk : 0, base + ((r) * in_w + (q)) * c + lane)
#define STORE(k, v) _mm512_mask_storeu_ps(dst + (k) * stride + lane, mk, v)
            if (m == 2) {
                INPUT_TRANSFORM(__m512, _mm512_sub_ps, _mm512_add_ps, LOAD, STORE);
            } else {
                INPUT_TRANSFORM6(__m512, _mm512_add_ps, _mm512_sub_ps, _mm512_fmadd_ps, _mm512_fnmadd_ps, LOAD, STORE);
            }
#undef LOAD
#undef STORE
        }
    }
}

AVX512 void fer_avx512_winograd_output(const float *p, long plane, long m, long tiles_y, long tiles_x, long first, long count,
                                     long cout, long out_h, long out_w, const fer_epilogue *e, float *out) {
    const int prelu = e->alpha != 0, relu = !prelu && e->relu;
    const __m512 zero = _mm512_setzero_ps();
    const __m512 k2 = _mm512_set1_ps(2), k4 = _mm512_set1_ps(4), k8 = _mm512_set1_ps(8);
    tile_at at = tile_first(first, tiles_y, tiles_x);
    for (long i = 0; i < count; i++, tile_next(&at, tiles_y, tiles_x)) {
        const tile_span s = tile_place(at, out_h * out_w * cout, out_h, out_w, cout, m, (int)m);
        float *o = out + s.offset;
        const int rows = s.rows, cols = s.cols;
        const float *src = p + i * cout;
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
            if (m == 2) {
                OUTPUT_TRANSFORM(__m512, _mm512_sub_ps, _mm512_add_ps, LOAD, OUT);
            } else {
                OUTPUT_TRANSFORM6(__m512, _mm512_add_ps, _mm512_sub_ps, _mm512_fmadd_ps, LOAD, OUT);
            }
#undef LOAD
#undef OUT
        }
    }
}
#endif
