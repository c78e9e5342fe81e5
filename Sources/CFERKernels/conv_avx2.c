// AVX2 + FMA convolution tiles (see fer_kernels.h). Compiled for x86-64-v3 by the target
// attribute whatever the build's flags; called only when fer_cpu_level() >= FER_LEVEL_AVX2.
#if defined(__x86_64__)
#include <immintrin.h>
#include "fer_kernels.h"

#define AVX2 __attribute__((target("avx2,fma")))

// Bias and activation of one 8-channel slice.
typedef struct {
    __m256 bias, alpha;
    int relu, prelu;
} lanes8;

static inline AVX2 lanes8 lanes8_at(const fer_epilogue *e, long channel) {
    lanes8 l;
    l.bias = e->bias ? _mm256_loadu_ps(e->bias + channel) : _mm256_setzero_ps();
    l.alpha = e->alpha ? _mm256_loadu_ps(e->alpha + channel) : _mm256_setzero_ps();
    l.prelu = e->alpha != 0;
    l.relu = !l.prelu && e->relu;
    return l;
}

static inline AVX2 __m256 apply8(lanes8 l, __m256 v) {
    __m256 x = _mm256_add_ps(v, l.bias);
    if (l.relu) {
        // x < 0 → 0 (a NaN stays NaN, as the Swift `replace(with:where: x .< 0)` does).
        __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        x = _mm256_blendv_ps(x, _mm256_setzero_ps(), neg);
    } else if (l.prelu) {
        __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        x = _mm256_blendv_ps(x, _mm256_mul_ps(x, l.alpha), neg);
    }
    return x;
}

// Channels channel ..< min(channel + 8, cout) of one output row.
static inline AVX2 void store8(__m256 v, float *row, long channel, long cout) {
    long valid = cout - channel;
    if (valid >= 8) {
        _mm256_storeu_ps(row + channel, v);
    } else {
        float tmp[8];
        _mm256_storeu_ps(tmp, v);
        for (long i = 0; i < valid; i++) row[channel + i] = tmp[i];
    }
}

static inline __attribute__((always_inline)) AVX2 void body6x16(const float *a0, const float *a1, const float *a2, const float *a3,
                                 const float *a4, const float *a5, const fer_operand *op, const float *b,
                                 const fer_epilogue *e, long channel, float *out, long cout, long rows) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    const float *bp = b;
    const long run = op->run;
    for (long ky = 0; ky < op->kh; ky++) {
        const long off = ky * op->row_stride;
        const float *x0 = a0 + off, *x1 = a1 + off, *x2 = a2 + off, *x3 = a3 + off, *x4 = a4 + off, *x5 = a5 + off;
        for (long j = 0; j < run; j++) {
            const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
            __m256 x = _mm256_broadcast_ss(x0 + j);
            c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
            x = _mm256_broadcast_ss(x1 + j);
            c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
            x = _mm256_broadcast_ss(x2 + j);
            c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
            x = _mm256_broadcast_ss(x3 + j);
            c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
            x = _mm256_broadcast_ss(x4 + j);
            c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
            x = _mm256_broadcast_ss(x5 + j);
            c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
            bp += 16;
        }
    }
    const long ch1 = channel + 8;
    const lanes8 e0 = lanes8_at(e, channel), e1 = lanes8_at(e, ch1);
    c00 = apply8(e0, c00); c10 = apply8(e0, c10); c20 = apply8(e0, c20); c30 = apply8(e0, c30); c40 = apply8(e0, c40); c50 = apply8(e0, c50);
    c01 = apply8(e1, c01); c11 = apply8(e1, c11); c21 = apply8(e1, c21); c31 = apply8(e1, c31); c41 = apply8(e1, c41); c51 = apply8(e1, c51);
    if (rows == 6 && cout - channel >= 16) {
        float *o = out + channel;
        _mm256_storeu_ps(o, c00); _mm256_storeu_ps(o + 8, c01); o += cout;
        _mm256_storeu_ps(o, c10); _mm256_storeu_ps(o + 8, c11); o += cout;
        _mm256_storeu_ps(o, c20); _mm256_storeu_ps(o + 8, c21); o += cout;
        _mm256_storeu_ps(o, c30); _mm256_storeu_ps(o + 8, c31); o += cout;
        _mm256_storeu_ps(o, c40); _mm256_storeu_ps(o + 8, c41); o += cout;
        _mm256_storeu_ps(o, c50); _mm256_storeu_ps(o + 8, c51);
        return;
    }
    store8(c00, out, channel, cout); store8(c01, out, ch1, cout);
    if (rows > 1) { store8(c10, out + cout, channel, cout); store8(c11, out + cout, ch1, cout); }
    if (rows > 2) { store8(c20, out + 2 * cout, channel, cout); store8(c21, out + 2 * cout, ch1, cout); }
    if (rows > 3) { store8(c30, out + 3 * cout, channel, cout); store8(c31, out + 3 * cout, ch1, cout); }
    if (rows > 4) { store8(c40, out + 4 * cout, channel, cout); store8(c41, out + 4 * cout, ch1, cout); }
    if (rows > 5) { store8(c50, out + 5 * cout, channel, cout); store8(c51, out + 5 * cout, ch1, cout); }
}

AVX2 void fer_avx2_tile6x16(const float *const *a, const fer_operand *op, const float *b,
                            const fer_epilogue *e, long channel, float *out, long cout, long rows) {
    body6x16(a[0], a[1], a[2], a[3], a[4], a[5], op, b, e, channel, out, cout, rows);
}

AVX2 void fer_avx2_strip6x16(const float *a, long step, long count, const fer_operand *op, const float *b,
                             const fer_epilogue *e, long channel, float *out, long cout) {
    for (long t = 0; t < count; t++) {
        body6x16(a, a + step, a + 2 * step, a + 3 * step, a + 4 * step, a + 5 * step, op, b, e, channel, out, cout, 6);
        a += 6 * step;
        out += 6 * cout;
    }
}

AVX2 void fer_avx2_tile6x8(const float *const *a, const fer_operand *op, const float *b,
                           const fer_epilogue *e, long channel, float *out, long cout, long rows) {
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps();
    __m256 c3 = _mm256_setzero_ps(), c4 = _mm256_setzero_ps(), c5 = _mm256_setzero_ps();
    const float *bp = b;
    const long run = op->run;
    for (long ky = 0; ky < op->kh; ky++) {
        const long off = ky * op->row_stride;
        const float *x0 = a[0] + off, *x1 = a[1] + off, *x2 = a[2] + off, *x3 = a[3] + off, *x4 = a[4] + off, *x5 = a[5] + off;
        for (long j = 0; j < run; j++) {
            const __m256 w = _mm256_loadu_ps(bp);
            c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + j), w, c0);
            c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x1 + j), w, c1);
            c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x2 + j), w, c2);
            c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x3 + j), w, c3);
            c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(x4 + j), w, c4);
            c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(x5 + j), w, c5);
            bp += 8;
        }
    }
    const lanes8 l = lanes8_at(e, channel);
    store8(apply8(l, c0), out, channel, cout);
    if (rows > 1) store8(apply8(l, c1), out + cout, channel, cout);
    if (rows > 2) store8(apply8(l, c2), out + 2 * cout, channel, cout);
    if (rows > 3) store8(apply8(l, c3), out + 3 * cout, channel, cout);
    if (rows > 4) store8(apply8(l, c4), out + 4 * cout, channel, cout);
    if (rows > 5) store8(apply8(l, c5), out + 5 * cout, channel, cout);
}

static inline __attribute__((always_inline)) AVX2 void body12x8(const float *const *a, const fer_operand *op, const float *b,
                                 const fer_epilogue *e, float *out, long cout, long rows) {
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps(), c3 = _mm256_setzero_ps();
    __m256 c4 = _mm256_setzero_ps(), c5 = _mm256_setzero_ps(), c6 = _mm256_setzero_ps(), c7 = _mm256_setzero_ps();
    __m256 c8 = _mm256_setzero_ps(), c9 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    const float *bp = b;
    const long run = op->run;
    for (long ky = 0; ky < op->kh; ky++) {
        const long off = ky * op->row_stride;
        const float *x0 = a[0] + off, *x1 = a[1] + off, *x2 = a[2] + off, *x3 = a[3] + off;
        const float *x4 = a[4] + off, *x5 = a[5] + off, *x6 = a[6] + off, *x7 = a[7] + off;
        const float *x8 = a[8] + off, *x9 = a[9] + off, *x10 = a[10] + off, *x11 = a[11] + off;
        for (long j = 0; j < run; j++) {
            const __m256 w = _mm256_loadu_ps(bp);
            c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + j), w, c0);
            c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x1 + j), w, c1);
            c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x2 + j), w, c2);
            c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x3 + j), w, c3);
            c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(x4 + j), w, c4);
            c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(x5 + j), w, c5);
            c6 = _mm256_fmadd_ps(_mm256_broadcast_ss(x6 + j), w, c6);
            c7 = _mm256_fmadd_ps(_mm256_broadcast_ss(x7 + j), w, c7);
            c8 = _mm256_fmadd_ps(_mm256_broadcast_ss(x8 + j), w, c8);
            c9 = _mm256_fmadd_ps(_mm256_broadcast_ss(x9 + j), w, c9);
            c10 = _mm256_fmadd_ps(_mm256_broadcast_ss(x10 + j), w, c10);
            c11 = _mm256_fmadd_ps(_mm256_broadcast_ss(x11 + j), w, c11);
            bp += 8;
        }
    }
    const lanes8 l = lanes8_at(e, 0);
    store8(apply8(l, c0), out, 0, cout);
    if (rows > 1) store8(apply8(l, c1), out + cout, 0, cout);
    if (rows > 2) store8(apply8(l, c2), out + 2 * cout, 0, cout);
    if (rows > 3) store8(apply8(l, c3), out + 3 * cout, 0, cout);
    if (rows > 4) store8(apply8(l, c4), out + 4 * cout, 0, cout);
    if (rows > 5) store8(apply8(l, c5), out + 5 * cout, 0, cout);
    if (rows > 6) store8(apply8(l, c6), out + 6 * cout, 0, cout);
    if (rows > 7) store8(apply8(l, c7), out + 7 * cout, 0, cout);
    if (rows > 8) store8(apply8(l, c8), out + 8 * cout, 0, cout);
    if (rows > 9) store8(apply8(l, c9), out + 9 * cout, 0, cout);
    if (rows > 10) store8(apply8(l, c10), out + 10 * cout, 0, cout);
    if (rows > 11) store8(apply8(l, c11), out + 11 * cout, 0, cout);
}

AVX2 void fer_avx2_tile12x8(const float *const *a, const fer_operand *op, const float *b,
                            const fer_epilogue *e, float *out, long cout, long rows) {
    body12x8(a, op, b, e, out, cout, rows);
}

AVX2 void fer_avx2_strip12x8(const float *a, long step, long count, const fer_operand *op, const float *b,
                             const fer_epilogue *e, float *out, long cout) {
    const float *rows[12];
    for (long t = 0; t < count; t++) {
        for (int r = 0; r < 12; r++) rows[r] = a + r * step;
        body12x8(rows, op, b, e, out, cout, 12);
        a += 12 * step;
        out += 12 * cout;
    }
}



static inline AVX2 __m256 act8(int relu, int prelu, __m256 alpha, __m256 x) {
    if (relu) return _mm256_blendv_ps(x, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    if (prelu) return _mm256_blendv_ps(x, _mm256_mul_ps(x, alpha), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    return x;
}

// One output row of a depthwise 3×3 convolution for the 8-channel slice starting at `k`/`bias`
// (see fer_kernels.h): rows[0..2] are the window's input rows (clamped into the image; `keep[r]`
// says whether row r is inside it), columns at `in_w`, stride `sw`, `pad_left`; out_w pixels
// written at `out` (c floats apart). Border columns mask the taps outside the image with zero
// weights (bit-identical to skipping them); every pixel sums bias, then the nine taps in row-major
// order, one FMA each; then ReLU or PReLU.
AVX2 void fer_avx2_depthwise3x3_row(const float *row0, const float *row1, const float *row2, const int *keep,
                                  long in_w, long c, long pad_left, long sw, long out_w,
                                  const float *k, const float *bias, const fer_epilogue *e, float *out) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = keep[t / 3] ? _mm256_loadu_ps(k + t * c) : zero;
    const __m256 bv = bias ? _mm256_loadu_ps(bias) : zero;
    const __m256 alpha = e->alpha ? _mm256_loadu_ps(e->alpha) : zero;
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
                    __m256 s0 = bv, s1 = bv, s2 = bv, s3 = bv;
#define DWROW(r, wa, wb, wc) do { const float *q = (r) + i * c; \
                    const __m256 v0 = _mm256_loadu_ps(q), v1 = _mm256_loadu_ps(q + c), v2 = _mm256_loadu_ps(q + 2 * c), v3 = _mm256_loadu_ps(q + 3 * c), v4 = _mm256_loadu_ps(q + 4 * c), v5 = _mm256_loadu_ps(q + 5 * c); \
                    s0 = _mm256_fmadd_ps(v0, wa, s0); s1 = _mm256_fmadd_ps(v1, wa, s1); s2 = _mm256_fmadd_ps(v2, wa, s2); s3 = _mm256_fmadd_ps(v3, wa, s3); \
                    s0 = _mm256_fmadd_ps(v1, wb, s0); s1 = _mm256_fmadd_ps(v2, wb, s1); s2 = _mm256_fmadd_ps(v3, wb, s2); s3 = _mm256_fmadd_ps(v4, wb, s3); \
                    s0 = _mm256_fmadd_ps(v2, wc, s0); s1 = _mm256_fmadd_ps(v3, wc, s1); s2 = _mm256_fmadd_ps(v4, wc, s2); s3 = _mm256_fmadd_ps(v5, wc, s3); } while (0)
                    DWROW(r0, w[0], w[1], w[2]);
                    DWROW(r1, w[3], w[4], w[5]);
                    DWROW(r2, w[6], w[7], w[8]);
#undef DWROW
                    float *o = out + (ox + i) * c;
                    _mm256_storeu_ps(o, act8(relu, prelu, alpha, s0)); _mm256_storeu_ps(o + c, act8(relu, prelu, alpha, s1)); _mm256_storeu_ps(o + 2 * c, act8(relu, prelu, alpha, s2)); _mm256_storeu_ps(o + 3 * c, act8(relu, prelu, alpha, s3));
                }
                if (i + 2 <= count) {
                    // Two pixels (shared row loads), the same FMAs in the same order per pixel.
                    __m256 s0 = bv, s1 = bv;
#define DWROW2(r, wa, wb, wc) do { const float *q = (r) + i * c; \
                    const __m256 v0 = _mm256_loadu_ps(q), v1 = _mm256_loadu_ps(q + c), v2 = _mm256_loadu_ps(q + 2 * c), v3 = _mm256_loadu_ps(q + 3 * c); \
                    s0 = _mm256_fmadd_ps(v0, wa, s0); s1 = _mm256_fmadd_ps(v1, wa, s1); \
                    s0 = _mm256_fmadd_ps(v1, wb, s0); s1 = _mm256_fmadd_ps(v2, wb, s1); \
                    s0 = _mm256_fmadd_ps(v2, wc, s0); s1 = _mm256_fmadd_ps(v3, wc, s1); } while (0)
                    DWROW2(r0, w[0], w[1], w[2]);
                    DWROW2(r1, w[3], w[4], w[5]);
                    DWROW2(r2, w[6], w[7], w[8]);
#undef DWROW2
                    float *o = out + (ox + i) * c;
                    _mm256_storeu_ps(o, act8(relu, prelu, alpha, s0)); _mm256_storeu_ps(o + c, act8(relu, prelu, alpha, s1));
                    i += 2;
                }
            }
            for (; i < count; i++) {
                const long x = i * step;
                __m256 s = bv;
                s = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + x), w[0], s); s = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + x + c), w[1], s); s = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + x + 2 * c), w[2], s);
                s = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + x), w[3], s); s = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + x + c), w[4], s); s = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + x + 2 * c), w[5], s);
                s = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + x), w[6], s); s = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + x + c), w[7], s); s = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + x + 2 * c), w[8], s);
                _mm256_storeu_ps(out + (ox + i) * c, act8(relu, prelu, alpha, s));
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
        __m256 s = bv;
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + o[0]), k0 ? w[0] : zero, s); s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + o[1]), k1 ? w[1] : zero, s); s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + o[2]), k2 ? w[2] : zero, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + o[0]), k0 ? w[3] : zero, s); s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + o[1]), k1 ? w[4] : zero, s); s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + o[2]), k2 ? w[5] : zero, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + o[0]), k0 ? w[6] : zero, s); s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + o[1]), k1 ? w[7] : zero, s); s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + o[2]), k2 ? w[8] : zero, s);
        _mm256_storeu_ps(out + ox * c, act8(relu, prelu, alpha, s));
    }
}

// One output row of a max pool over an NHWC image (see fer_kernels.h): for each output column the
// window's rows ky_lo..<ky_hi (clipped by the caller) and columns clipped here; channels in slices
// of 8 (the last slice overlapping the one before when c is not a multiple: max is idempotent),
// c >= 8. With `residual`, its value at the same place is added to each maximum as it is stored
// (it may alias `out`: each value is read before it is written).
AVX2 void fer_avx2_maxpool_row(const float *image, long in_w, long c, long first_row, long rows,
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
        if (rows == 3 && cols == 3) {
            // The common full 3×3 window, straight-line: the same maxima in the same order as the
            // loop below (so the same bits), without its loop control and spills.
            const float *r1 = first + row_floats, *r2 = r1 + row_floats;
            for (long j = 0;; j += 8) {
                const long s = j < c - 8 ? j : c - 8;
                __m256 m = _mm256_loadu_ps(first + s);
                m = _mm256_max_ps(_mm256_loadu_ps(first + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(first + c + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(first + 2 * c + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(r1 + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(r1 + c + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(r1 + 2 * c + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(r2 + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(r2 + c + s), m);
                m = _mm256_max_ps(_mm256_loadu_ps(r2 + 2 * c + s), m);
                if (res) m = _mm256_add_ps(m, _mm256_loadu_ps(res + s));
                _mm256_storeu_ps(o + s, m);
                if (s == c - 8) break;
            }
            continue;
        }
        for (long j = 0;; j += 8) {
            const long s = j < c - 8 ? j : c - 8;
            const float *p = first + s;
            __m256 m = _mm256_loadu_ps(p);
            for (long r = 0; r < rows; r++) {
                const float *q = p + r * row_floats;
                for (long x = 0; x < cols; x++) m = _mm256_max_ps(_mm256_loadu_ps(q + x * c), m);
            }
            if (res) m = _mm256_add_ps(m, _mm256_loadu_ps(res + s));
            _mm256_storeu_ps(o + s, m);
            if (s == c - 8) break;
        }
    }
}

// TensorFlow AREA resize, the horizontal sums of four input rows (see fer_kernels.h): for every
// output column x, over its `taps` taps t (columns cols[x·taps + t], weights w[x·taps + t]):
// h_r[x] = ((row_r[c0]·w0) + row_r[c1]·w1) + … for r = 0…3, each pixel 4 floats (R, G, B, 0).
// A multiply then an add per tap, in order, as TensorFlow's scalar loop (no FMA).
AVX2 void fer_avx2_area_rows4(const uint8_t *group, float scale, float bias, const long *cols, const float *w,
                              long taps, long out_w, float *h) {
    const __m256 vs = _mm256_set1_ps(scale), vb = _mm256_set1_ps(bias);
    // Rows 0-1 (bytes 0-7) and rows 2-3 (bytes 8-15) of a column, widened, converted, normalised.
#define PIXELS(p) _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p)))), vs, vb)
    for (long x = 0; x < out_w; x++) {
        const uint8_t *p = group + cols[0] * 16;
        __m256 weight = _mm256_set1_ps(w[0]);
        __m256 s01 = _mm256_mul_ps(PIXELS(p), weight);
        __m256 s23 = _mm256_mul_ps(PIXELS(p + 8), weight);
        for (long t = 1; t < taps; t++) {
            p = group + cols[t] * 16;
            weight = _mm256_set1_ps(w[t]);
            s01 = _mm256_add_ps(s01, _mm256_mul_ps(PIXELS(p), weight));
            s23 = _mm256_add_ps(s23, _mm256_mul_ps(PIXELS(p + 8), weight));
        }
        _mm_storeu_ps(h + 4 * x, _mm256_castps256_ps128(s01));
        _mm_storeu_ps(h + 4 * (out_w + x), _mm256_extractf128_ps(s01, 1));
        _mm_storeu_ps(h + 4 * (2 * out_w + x), _mm256_castps256_ps128(s23));
        _mm_storeu_ps(h + 4 * (3 * out_w + x), _mm256_extractf128_ps(s23, 1));
        cols += taps;
        w += taps;
    }
#undef PIXELS
}
#endif
