// AVX-512 convolution and depthwise tiles (see fer_kernels.h). Compiled for x86-64-v4 by the
// target attribute whatever the build's flags; called only when fer_cpu_level() == FER_LEVEL_AVX512.
// Each output element is computed exactly as the AVX2 tiles compute it (the same FMAs in the same
// order): the wider registers change how many outputs run at once, not any output's arithmetic.
#if defined(__x86_64__)
#include <immintrin.h>
#include "fer_kernels.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))

typedef struct {
    __m512 bias, alpha;
    int relu, prelu;
} lanes16;

static inline AVX512 lanes16 lanes16_at(const fer_epilogue *e, long channel) {
    lanes16 l;
    l.bias = e->bias ? _mm512_loadu_ps(e->bias + channel) : _mm512_setzero_ps();
    l.alpha = e->alpha ? _mm512_loadu_ps(e->alpha + channel) : _mm512_setzero_ps();
    l.prelu = e->alpha != 0;
    l.relu = !l.prelu && e->relu;
    return l;
}

static inline AVX512 __m512 apply16(lanes16 l, __m512 v) {
    __m512 x = _mm512_add_ps(v, l.bias);
    if (l.relu) {
        __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
        x = _mm512_mask_mov_ps(x, neg, _mm512_setzero_ps());
    } else if (l.prelu) {
        __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
        x = _mm512_mask_mov_ps(x, neg, _mm512_mul_ps(x, l.alpha));
    }
    return x;
}

// Channels channel ..< min(channel + 16, cout) of one output row (a masked store).
static inline AVX512 void store16(__m512 v, float *row, long channel, long cout) {
    long valid = cout - channel;
    if (valid >= 16) {
        _mm512_storeu_ps(row + channel, v);
    } else if (valid > 0) {
        _mm512_mask_storeu_ps(row + channel, (__mmask16)((1u << valid) - 1u), v);
    }
}

// The accumulators are named variables (an array indexed in the loops made clang keep them in
// memory and store every one after each FMA). Rows of a tile repeat their last pointer beyond
// `rows` (the caller fills all 12); only `rows` rows are stored.
#define ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

AVX512 void fer_avx512_tile12x32(const float *const *a, const fer_operand *op, const float *b, long pair_stride,
                                 const fer_epilogue *e, long channel, float *out, long cout, long rows) {
#define DECL(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps(); const float *x##r;
    ROWS12(DECL)
#undef DECL
    const float *bp = b;
    const long run = op->run;
    for (long ky = 0; ky < op->kh; ky++) {
        const long off = ky * op->row_stride;
#define PTR(r) x##r = a[r] + off;
        ROWS12(PTR)
#undef PTR
        for (long j = 0; j < run; j++) {
            const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + pair_stride);
#define FMA(r) { const __m512 v = _mm512_set1_ps(x##r[j]); c##r##0 = _mm512_fmadd_ps(v, b0, c##r##0); c##r##1 = _mm512_fmadd_ps(v, b1, c##r##1); }
            ROWS12(FMA)
#undef FMA
            bp += 16;
        }
    }
    const lanes16 e0 = lanes16_at(e, channel), e1 = lanes16_at(e, channel + 16);
#define STORE(r) if (r < rows) { store16(apply16(e0, c##r##0), out + r * cout, channel, cout); \
                                 store16(apply16(e1, c##r##1), out + r * cout, channel + 16, cout); }
    ROWS12(STORE)
#undef STORE
}

AVX512 void fer_avx512_tile12x16(const float *const *a, const fer_operand *op, const float *b,
                                 const fer_epilogue *e, long channel, float *out, long cout, long rows) {
#define DECL(r) __m512 c##r = _mm512_setzero_ps(); const float *x##r;
    ROWS12(DECL)
#undef DECL
    const float *bp = b;
    const long run = op->run;
    for (long ky = 0; ky < op->kh; ky++) {
        const long off = ky * op->row_stride;
#define PTR(r) x##r = a[r] + off;
        ROWS12(PTR)
#undef PTR
        for (long j = 0; j < run; j++) {
            const __m512 w = _mm512_loadu_ps(bp);
#define FMA(r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(x##r[j]), w, c##r);
            ROWS12(FMA)
#undef FMA
            bp += 16;
        }
    }
    const lanes16 l = lanes16_at(e, channel);
#define STORE(r) if (r < rows) store16(apply16(l, c##r), out + r * cout, channel, cout);
    ROWS12(STORE)
#undef STORE
}

typedef struct {
    __m256 bias, alpha;
    int relu, prelu;
} lanes8;

static inline AVX512 lanes8 lanes8_at(const fer_epilogue *e, long channel) {
    lanes8 l;
    l.bias = e->bias ? _mm256_loadu_ps(e->bias + channel) : _mm256_setzero_ps();
    l.alpha = e->alpha ? _mm256_loadu_ps(e->alpha + channel) : _mm256_setzero_ps();
    l.prelu = e->alpha != 0;
    l.relu = !l.prelu && e->relu;
    return l;
}

static inline AVX512 __m256 apply8(lanes8 l, __m256 v) {
    __m256 x = _mm256_add_ps(v, l.bias);
    if (l.relu) {
        __mmask8 neg = _mm256_cmp_ps_mask(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        x = _mm256_mask_mov_ps(x, neg, _mm256_setzero_ps());
    } else if (l.prelu) {
        __mmask8 neg = _mm256_cmp_ps_mask(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        x = _mm256_mask_mov_ps(x, neg, _mm256_mul_ps(x, l.alpha));
    }
    return x;
}

AVX512 void fer_avx512_tile12x8(const float *const *a, const fer_operand *op, const float *b,
                                const fer_epilogue *e, long channel, float *out, long cout, long rows) {
#define DECL(r) __m256 c##r = _mm256_setzero_ps(); const float *x##r;
    ROWS12(DECL)
#undef DECL
    const float *bp = b;
    const long run = op->run;
    for (long ky = 0; ky < op->kh; ky++) {
        const long off = ky * op->row_stride;
#define PTR(r) x##r = a[r] + off;
        ROWS12(PTR)
#undef PTR
        for (long j = 0; j < run; j++) {
            const __m256 w = _mm256_loadu_ps(bp);
#define FMA(r) c##r = _mm256_fmadd_ps(_mm256_broadcast_ss(x##r + j), w, c##r);
            ROWS12(FMA)
#undef FMA
            bp += 8;
        }
    }
    const lanes8 l = lanes8_at(e, channel);
    const long valid = cout - channel;
    const __mmask8 mask = valid >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (valid > 0 ? valid : 0)) - 1u);
#define STORE(r) if (r < rows) _mm256_mask_storeu_ps(out + r * cout + channel, mask, apply8(l, c##r));
    ROWS12(STORE)
#undef STORE
}


static inline AVX512 __m512 act16(int relu, int prelu, __m512 alpha, __m512 x) {
    if (relu) return _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_ps());
    if (prelu) return _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_mul_ps(x, alpha));
    return x;
}

// One output row of a depthwise 3×3 convolution for the 16-channel slice starting at `k`/`bias`
// (see fer_kernels.h): rows[0..2] are the window's input rows (clamped into the image; `keep[r]`
// says whether row r is inside it), columns at `in_w`, stride `sw`, `pad_left`; out_w pixels
// written at `out` (c floats apart). Border columns mask the taps outside the image with zero
// weights (bit-identical to skipping them); every pixel sums bias, then the nine taps in row-major
// order, one FMA each; then ReLU or PReLU.
AVX512 void fer_avx512_depthwise3x3_row(const float *row0, const float *row1, const float *row2, const int *keep,
                                  long in_w, long c, long pad_left, long sw, long out_w,
                                  const float *k, const float *bias, const fer_epilogue *e, float *out) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 w[9];
    for (int t = 0; t < 9; t++) w[t] = keep[t / 3] ? _mm512_loadu_ps(k + t * c) : zero;
    const __m512 bv = bias ? _mm512_loadu_ps(bias) : zero;
    const __m512 alpha = e->alpha ? _mm512_loadu_ps(e->alpha) : zero;
    const int prelu = e->alpha != 0, relu = !prelu && e->relu;
    // Columns whose three taps all lie inside the image.
    long a = (pad_left + sw - 1) / sw;
    if (a > out_w) a = out_w;
    if (a < 0) a = 0;
    long bcol = (in_w - 3 + pad_left) / sw + 1;
    if (in_w - 3 + pad_left < 0) bcol = 0;
    if (bcol > out_w) bcol = out_w;
    if (bcol < a) bcol = a;
    for (long ox = 0; ox < out_w; ox++) {
        if (ox == a && a < bcol) {
            // The interior: four pixels at a time at stride 1 (shared row loads), else one.
            const long x0 = ox * sw - pad_left;
            const float *r0 = row0 + x0 * c, *r1 = row1 + x0 * c, *r2 = row2 + x0 * c;
            const long count = bcol - a, step = sw * c;
            long i = 0;
            if (sw == 1) {
                for (; i + 4 <= count; i += 4) {
                    __m512 s0 = bv, s1 = bv, s2 = bv, s3 = bv;
#define DWROW(r, wa, wb, wc) do { const float *q = (r) + i * c; \
                    const __m512 v0 = _mm512_loadu_ps(q), v1 = _mm512_loadu_ps(q + c), v2 = _mm512_loadu_ps(q + 2 * c), v3 = _mm512_loadu_ps(q + 3 * c), v4 = _mm512_loadu_ps(q + 4 * c), v5 = _mm512_loadu_ps(q + 5 * c); \
                    s0 = _mm512_fmadd_ps(v0, wa, s0); s1 = _mm512_fmadd_ps(v1, wa, s1); s2 = _mm512_fmadd_ps(v2, wa, s2); s3 = _mm512_fmadd_ps(v3, wa, s3); \
                    s0 = _mm512_fmadd_ps(v1, wb, s0); s1 = _mm512_fmadd_ps(v2, wb, s1); s2 = _mm512_fmadd_ps(v3, wb, s2); s3 = _mm512_fmadd_ps(v4, wb, s3); \
                    s0 = _mm512_fmadd_ps(v2, wc, s0); s1 = _mm512_fmadd_ps(v3, wc, s1); s2 = _mm512_fmadd_ps(v4, wc, s2); s3 = _mm512_fmadd_ps(v5, wc, s3); } while (0)
                    DWROW(r0, w[0], w[1], w[2]);
                    DWROW(r1, w[3], w[4], w[5]);
                    DWROW(r2, w[6], w[7], w[8]);
#undef DWROW
                    float *o = out + (ox + i) * c;
                    _mm512_storeu_ps(o, act16(relu, prelu, alpha, s0)); _mm512_storeu_ps(o + c, act16(relu, prelu, alpha, s1)); _mm512_storeu_ps(o + 2 * c, act16(relu, prelu, alpha, s2)); _mm512_storeu_ps(o + 3 * c, act16(relu, prelu, alpha, s3));
                }
            }
            for (; i < count; i++) {
                const long x = i * step;
                __m512 s = bv;
                s = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + x), w[0], s); s = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + x + c), w[1], s); s = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + x + 2 * c), w[2], s);
                s = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + x), w[3], s); s = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + x + c), w[4], s); s = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + x + 2 * c), w[5], s);
                s = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + x), w[6], s); s = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + x + c), w[7], s); s = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + x + 2 * c), w[8], s);
                _mm512_storeu_ps(out + (ox + i) * c, act16(relu, prelu, alpha, s));
            }
            ox = bcol - 1;
            continue;
        }
        // A border column: masked taps, offsets clamped into the image.
        const long x0 = ox * sw - pad_left;
        long o[3];
        for (int t = 0; t < 3; t++) {
            long x = x0 + t;
            o[t] = (x < 0 ? 0 : (x >= in_w ? in_w - 1 : x)) * c;
        }
        const int k0 = x0 >= 0 && x0 < in_w, k1 = x0 + 1 >= 0 && x0 + 1 < in_w, k2 = x0 + 2 >= 0 && x0 + 2 < in_w;
        __m512 s = bv;
        s = _mm512_fmadd_ps(_mm512_loadu_ps(row0 + o[0]), k0 ? w[0] : zero, s); s = _mm512_fmadd_ps(_mm512_loadu_ps(row0 + o[1]), k1 ? w[1] : zero, s); s = _mm512_fmadd_ps(_mm512_loadu_ps(row0 + o[2]), k2 ? w[2] : zero, s);
        s = _mm512_fmadd_ps(_mm512_loadu_ps(row1 + o[0]), k0 ? w[3] : zero, s); s = _mm512_fmadd_ps(_mm512_loadu_ps(row1 + o[1]), k1 ? w[4] : zero, s); s = _mm512_fmadd_ps(_mm512_loadu_ps(row1 + o[2]), k2 ? w[5] : zero, s);
        s = _mm512_fmadd_ps(_mm512_loadu_ps(row2 + o[0]), k0 ? w[6] : zero, s); s = _mm512_fmadd_ps(_mm512_loadu_ps(row2 + o[1]), k1 ? w[7] : zero, s); s = _mm512_fmadd_ps(_mm512_loadu_ps(row2 + o[2]), k2 ? w[8] : zero, s);
        _mm512_storeu_ps(out + ox * c, act16(relu, prelu, alpha, s));
    }
}

// One output row of a max pool over an NHWC image (see fer_kernels.h): for each output column the
// window's rows ky_lo..<ky_hi (clipped by the caller) and columns clipped here; channels in slices
// of 16 (the last slice overlapping the one before when c is not a multiple: max is idempotent),
// or, for 8 ≤ c < 16, one masked slice. With `residual`, its value at the same place is added to each maximum as it is stored
// (it may alias `out`: each value is read before it is written).
AVX512 void fer_avx512_maxpool_row(const float *image, long in_w, long c, long first_row, long rows,
                              long kw, long sw, long pad_left, long out_w, const float *residual, float *out) {
    const long row_floats = in_w * c;
    for (long ox = 0; ox < out_w; ox++) {
        const long ix0 = ox * sw - pad_left;
        const long kx_lo = ix0 < 0 ? -ix0 : 0;
        const long kx_hi = (in_w - ix0) < kw ? (in_w - ix0) : kw;
        const long cols = kx_hi - kx_lo;
        const float *first = image + first_row * row_floats + (ix0 + kx_lo) * c;
        float *o = out + ox * c;
        const float *res = residual ? residual + ox * c : 0;
        if (c < 16) {
            // One masked slice (P-Net's 10 channels).
            const __mmask16 k = (__mmask16)((1u << c) - 1u);
            __m512 m = _mm512_maskz_loadu_ps(k, first);
            for (long r = 0; r < rows; r++) {
                const float *q = first + r * row_floats;
                for (long x = 0; x < cols; x++) m = _mm512_max_ps(_mm512_maskz_loadu_ps(k, q + x * c), m);
            }
            if (res) m = _mm512_add_ps(m, _mm512_maskz_loadu_ps(k, res));
            _mm512_mask_storeu_ps(o, k, m);
            continue;
        }
        for (long j = 0;; j += 16) {
            const long s = j < c - 16 ? j : c - 16;
            const float *p = first + s;
            __m512 m = _mm512_loadu_ps(p);
            for (long r = 0; r < rows; r++) {
                const float *q = p + r * row_floats;
                for (long x = 0; x < cols; x++) m = _mm512_max_ps(_mm512_loadu_ps(q + x * c), m);
            }
            if (res) m = _mm512_add_ps(m, _mm512_loadu_ps(res + s));
            _mm512_storeu_ps(o + s, m);
            if (s == c - 16) break;
        }
    }
}

// The AREA resize's horizontal sums of four input rows in one 512-bit register (see the AVX2
// version): each tap's 16 bytes are widened, converted and normalised (v·scale + bias, exact for
// MTCNN's normalisation), then multiplied by the weight and added.
AVX512 void fer_avx512_area_rows4(const uint8_t *group, float scale, float bias, const long *cols, const float *w,
                                  long taps, long out_w, float *h) {
    const __m512 vs = _mm512_set1_ps(scale), vb = _mm512_set1_ps(bias);
#define PIXELS(col) _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(group + (col) * 16)))), vs, vb)
    for (long x = 0; x < out_w; x++) {
        __m512 s = _mm512_mul_ps(PIXELS(cols[0]), _mm512_set1_ps(w[0]));
        for (long t = 1; t < taps; t++) s = _mm512_add_ps(s, _mm512_mul_ps(PIXELS(cols[t]), _mm512_set1_ps(w[t])));
        _mm_storeu_ps(h + 4 * x, _mm512_castps512_ps128(s));
        _mm_storeu_ps(h + 4 * (out_w + x), _mm512_extractf32x4_ps(s, 1));
        _mm_storeu_ps(h + 4 * (2 * out_w + x), _mm512_extractf32x4_ps(s, 2));
        _mm_storeu_ps(h + 4 * (3 * out_w + x), _mm512_extractf32x4_ps(s, 3));
        cols += taps;
        w += taps;
    }
#undef PIXELS
}
#endif
