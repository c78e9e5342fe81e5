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

static inline AVX2 void body6x16(const float *a0, const float *a1, const float *a2, const float *a3,
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

static inline AVX2 void body12x8(const float *const *a, const fer_operand *op, const float *b,
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

// Depthwise 3×3 interior pixels of one 8-channel slice (see fer_kernels.h).
AVX2 void fer_avx2_depthwise3x3(const float *row0, const float *row1, const float *row2, long step, long count,
                                const float *w, const float *bias, long c, float *out) {
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8), w2 = _mm256_loadu_ps(w + 16);
    const __m256 w3 = _mm256_loadu_ps(w + 24), w4 = _mm256_loadu_ps(w + 32), w5 = _mm256_loadu_ps(w + 40);
    const __m256 w6 = _mm256_loadu_ps(w + 48), w7 = _mm256_loadu_ps(w + 56), w8 = _mm256_loadu_ps(w + 64);
    const __m256 bv = _mm256_loadu_ps(bias);
    long i = 0;
    if (step == c) {
        // Stride 1: four pixels share their rows' six input vectors.
        for (; i + 4 <= count; i += 4) {
            __m256 s0 = bv, s1 = bv, s2 = bv, s3 = bv;
#define DW_ROW(r, wa, wb, wc) do { \
                const float *q = (r) + i * c; \
                const __m256 v0 = _mm256_loadu_ps(q), v1 = _mm256_loadu_ps(q + c), v2 = _mm256_loadu_ps(q + 2 * c); \
                const __m256 v3 = _mm256_loadu_ps(q + 3 * c), v4 = _mm256_loadu_ps(q + 4 * c), v5 = _mm256_loadu_ps(q + 5 * c); \
                s0 = _mm256_fmadd_ps(v0, wa, s0); s1 = _mm256_fmadd_ps(v1, wa, s1); s2 = _mm256_fmadd_ps(v2, wa, s2); s3 = _mm256_fmadd_ps(v3, wa, s3); \
                s0 = _mm256_fmadd_ps(v1, wb, s0); s1 = _mm256_fmadd_ps(v2, wb, s1); s2 = _mm256_fmadd_ps(v3, wb, s2); s3 = _mm256_fmadd_ps(v4, wb, s3); \
                s0 = _mm256_fmadd_ps(v2, wc, s0); s1 = _mm256_fmadd_ps(v3, wc, s1); s2 = _mm256_fmadd_ps(v4, wc, s2); s3 = _mm256_fmadd_ps(v5, wc, s3); \
            } while (0)
            DW_ROW(row0, w0, w1, w2);
            DW_ROW(row1, w3, w4, w5);
            DW_ROW(row2, w6, w7, w8);
#undef DW_ROW
            float *o = out + i * c;
            _mm256_storeu_ps(o, s0);
            _mm256_storeu_ps(o + c, s1);
            _mm256_storeu_ps(o + 2 * c, s2);
            _mm256_storeu_ps(o + 3 * c, s3);
        }
    }
    for (; i < count; i++) {
        const long x = i * step;
        __m256 s = bv;
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + x), w0, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + x + c), w1, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + x + 2 * c), w2, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + x), w3, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + x + c), w4, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + x + 2 * c), w5, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + x), w6, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + x + c), w7, s);
        s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + x + 2 * c), w8, s);
        _mm256_storeu_ps(out + i * c, s);
    }
}

// One depthwise 3×3 output pixel of an 8-channel slice whose taps start at offsets o0, o1, o2 of
// each row (border columns: the caller clamps the offsets and zeroes the weights of taps outside
// the image). Sum: bias, then the nine taps in row-major order, one FMA each.
AVX2 void fer_avx2_depthwise3x3_pixel(const float *row0, const float *row1, const float *row2,
                                      long o0, long o1, long o2, const float *w, const float *bias, float *out) {
    __m256 s = _mm256_loadu_ps(bias);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + o0), _mm256_loadu_ps(w), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + o1), _mm256_loadu_ps(w + 8), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + o2), _mm256_loadu_ps(w + 16), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + o0), _mm256_loadu_ps(w + 24), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + o1), _mm256_loadu_ps(w + 32), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + o2), _mm256_loadu_ps(w + 40), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + o0), _mm256_loadu_ps(w + 48), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + o1), _mm256_loadu_ps(w + 56), s);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + o2), _mm256_loadu_ps(w + 64), s);
    _mm256_storeu_ps(out, s);
}
#endif
