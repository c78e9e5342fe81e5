// The tracker's loops (see fer_tracker.h): each body is written once, as an always-inlined
// function, and instantiated for the build's target and for AVX2 (used on AVX-512 CPUs too: these
// loops are memory- and shuffle-bound, and 512-bit vectors measured no faster on them).
#include <math.h>
#include <string.h>
#include "fer_kernels.h"
#include "fer_tracker.h"

// Same operations as the former Swift loops on every level: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define BODY static inline __attribute__((always_inline))
#if defined(__x86_64__)
#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define DISPATCH(level, name, ...) \
    ((level) >= FER_LEVEL_AVX2 ? name##_avx2(__VA_ARGS__) : name##_base(__VA_ARGS__))
#define VARIANTS(name, params, args) \
    static void name##_base params { name##_body args; } \
    TARGET_AVX2 static void name##_avx2 params { name##_body args; }
#else
#define DISPATCH(level, name, ...) name##_base(__VA_ARGS__)
#define VARIANTS(name, params, args) \
    static void name##_base params { name##_body args; }
#endif

// Float.pi as Swift spells it (rounded towards zero, 0x1.921fb4p+1), which the former code used.
#define SWIFT_FLOAT_PI 0x1.921fb4p+1f

static inline float min_f(float a, float b) { return b < a ? b : a; }
static inline float max_f(float a, float b) { return b >= a ? b : a; }

// MARK: FFT stages

// Stores (r + i·im)·(wr + i·wi) at index `i` of the output stage.
BODY void twiddle_store(float *restrict yr, float *restrict yi, long i, float r, float im, float wr, float wi) {
    yr[i] = r * wr - im * wi;
    yi[i] = r * wi + im * wr;
}

BODY void fft_radix2_body(const float *restrict xr, const float *restrict xi, float *restrict yr,
                          float *restrict yi, long m, long s, long batch, const float *twr,
                          const float *twi, float dir) {
    for (long k = 0; k < m; k++) {
        const float wr = twr[k], wi = twi[k] * dir;
        for (long q = 0; q < s; q++) {
            const long i0 = (q + s * k) * batch, i1 = (q + s * (k + m)) * batch;
            const long o0 = (q + s * (2 * k)) * batch, o1 = (q + s * (2 * k + 1)) * batch;
            for (long b = 0; b < batch; b++) {
                const float ar = xr[i0 + b], ai = xi[i0 + b], br = xr[i1 + b], bi = xi[i1 + b];
                yr[o0 + b] = ar + br;
                yi[o0 + b] = ai + bi;
                const float dr = ar - br, di = ai - bi;
                twiddle_store(yr, yi, o1 + b, dr, di, wr, wi);
            }
        }
    }
}

BODY void fft_radix3_body(const float *restrict xr, const float *restrict xi, float *restrict yr,
                          float *restrict yi, long m, long s, long batch, const float *twr,
                          const float *twi, float dir) {
    const float sn = (float)sin(2.0 * M_PI / 3.0) * dir;
    for (long k = 0; k < m; k++) {
        const float w1r = twr[2 * k], w1i = twi[2 * k] * dir;
        const float w2r = twr[2 * k + 1], w2i = twi[2 * k + 1] * dir;
        for (long q = 0; q < s; q++) {
            const long i0 = (q + s * k) * batch, i1 = (q + s * (k + m)) * batch;
            const long i2 = (q + s * (k + 2 * m)) * batch;
            const long o0 = (q + s * (3 * k)) * batch, o1 = o0 + s * batch, o2 = o0 + 2 * s * batch;
            for (long b = 0; b < batch; b++) {
                const float a0r = xr[i0 + b], a0i = xi[i0 + b];
                const float a1r = xr[i1 + b], a1i = xi[i1 + b];
                const float a2r = xr[i2 + b], a2i = xi[i2 + b];
                const float t1r = a1r + a2r, t1i = a1i + a2i;
                const float t2r = a0r - 0.5f * t1r, t2i = a0i - 0.5f * t1i;
                const float dr = (a1r - a2r) * sn, di = (a1i - a2i) * sn;
                yr[o0 + b] = a0r + t1r;
                yi[o0 + b] = a0i + t1i;
                // y1 = t2 − i·d, y2 = t2 + i·d (forward sign).
                const float y1r = t2r + di, y1i = t2i - dr;
                const float y2r = t2r - di, y2i = t2i + dr;
                twiddle_store(yr, yi, o1 + b, y1r, y1i, w1r, w1i);
                twiddle_store(yr, yi, o2 + b, y2r, y2i, w2r, w2i);
            }
        }
    }
}

BODY void fft_radix4_body(const float *restrict xr, const float *restrict xi, float *restrict yr,
                          float *restrict yi, long m, long s, long batch, const float *twr,
                          const float *twi, float dir) {
    for (long k = 0; k < m; k++) {
        const float w1r = twr[3 * k], w1i = twi[3 * k] * dir;
        const float w2r = twr[3 * k + 1], w2i = twi[3 * k + 1] * dir;
        const float w3r = twr[3 * k + 2], w3i = twi[3 * k + 2] * dir;
        for (long q = 0; q < s; q++) {
            const long i0 = (q + s * k) * batch, i1 = (q + s * (k + m)) * batch;
            const long i2 = (q + s * (k + 2 * m)) * batch, i3 = (q + s * (k + 3 * m)) * batch;
            const long o0 = (q + s * (4 * k)) * batch, sb = s * batch;
            for (long b = 0; b < batch; b++) {
                const float a0r = xr[i0 + b], a0i = xi[i0 + b], a1r = xr[i1 + b], a1i = xi[i1 + b];
                const float a2r = xr[i2 + b], a2i = xi[i2 + b], a3r = xr[i3 + b], a3i = xi[i3 + b];
                const float s02r = a0r + a2r, s02i = a0i + a2i, d02r = a0r - a2r, d02i = a0i - a2i;
                const float s13r = a1r + a3r, s13i = a1i + a3i;
                // −i·dir·(a1 − a3)
                const float d13r = (a1i - a3i) * dir, d13i = -(a1r - a3r) * dir;
                yr[o0 + b] = s02r + s13r;
                yi[o0 + b] = s02i + s13i;
                const float y1r = d02r + d13r, y1i = d02i + d13i;
                const float y2r = s02r - s13r, y2i = s02i - s13i;
                const float y3r = d02r - d13r, y3i = d02i - d13i;
                twiddle_store(yr, yi, o0 + sb + b, y1r, y1i, w1r, w1i);
                twiddle_store(yr, yi, o0 + 2 * sb + b, y2r, y2i, w2r, w2i);
                twiddle_store(yr, yi, o0 + 3 * sb + b, y3r, y3i, w3r, w3i);
            }
        }
    }
}

BODY void fft_radix5_body(const float *restrict xr, const float *restrict xi, float *restrict yr,
                          float *restrict yi, long m, long s, long batch, const float *twr,
                          const float *twi, float dir) {
    const float c1 = (float)cos(2.0 * M_PI / 5.0), c2 = (float)cos(4.0 * M_PI / 5.0);
    const float s1 = (float)sin(2.0 * M_PI / 5.0) * dir, s2 = (float)sin(4.0 * M_PI / 5.0) * dir;
    for (long k = 0; k < m; k++) {
        const float w1r = twr[4 * k], w1i = twi[4 * k] * dir;
        const float w2r = twr[4 * k + 1], w2i = twi[4 * k + 1] * dir;
        const float w3r = twr[4 * k + 2], w3i = twi[4 * k + 2] * dir;
        const float w4r = twr[4 * k + 3], w4i = twi[4 * k + 3] * dir;
        for (long q = 0; q < s; q++) {
            const long i0 = (q + s * k) * batch, ms = m * s * batch;
            const long o0 = (q + s * (5 * k)) * batch, sb = s * batch;
            for (long b = 0; b < batch; b++) {
                const float a0r = xr[i0 + b], a0i = xi[i0 + b];
                const float a1r = xr[i0 + ms + b], a1i = xi[i0 + ms + b];
                const float a2r = xr[i0 + 2 * ms + b], a2i = xi[i0 + 2 * ms + b];
                const float a3r = xr[i0 + 3 * ms + b], a3i = xi[i0 + 3 * ms + b];
                const float a4r = xr[i0 + 4 * ms + b], a4i = xi[i0 + 4 * ms + b];
                const float b1r = a1r + a4r, b1i = a1i + a4i, b2r = a2r + a3r, b2i = a2i + a3i;
                const float d1r = a1r - a4r, d1i = a1i - a4i, d2r = a2r - a3r, d2i = a2i - a3i;
                const float t1r = a0r + c1 * b1r + c2 * b2r, t1i = a0i + c1 * b1i + c2 * b2i;
                const float t2r = a0r + c2 * b1r + c1 * b2r, t2i = a0i + c2 * b1i + c1 * b2i;
                const float u1r = s1 * d1r + s2 * d2r, u1i = s1 * d1i + s2 * d2i;
                const float u2r = s2 * d1r - s1 * d2r, u2i = s2 * d1i - s1 * d2i;
                yr[o0 + b] = a0r + b1r + b2r;
                yi[o0 + b] = a0i + b1i + b2i;
                // y1 = t1 − i·u1, y4 = t1 + i·u1, y2 = t2 − i·u2, y3 = t2 + i·u2.
                const float y1r = t1r + u1i, y1i = t1i - u1r;
                const float y4r = t1r - u1i, y4i = t1i + u1r;
                const float y2r = t2r + u2i, y2i = t2i - u2r;
                const float y3r = t2r - u2i, y3i = t2i + u2r;
                twiddle_store(yr, yi, o0 + sb + b, y1r, y1i, w1r, w1i);
                twiddle_store(yr, yi, o0 + 2 * sb + b, y2r, y2i, w2r, w2i);
                twiddle_store(yr, yi, o0 + 3 * sb + b, y3r, y3i, w3r, w3i);
                twiddle_store(yr, yi, o0 + 4 * sb + b, y4r, y4i, w4r, w4i);
            }
        }
    }
}

#define FFT_PARAMS \
    (const float *xr, const float *xi, float *yr, float *yi, long m, long s, long batch, \
     const float *twr, const float *twi, float dir)
#define FFT_ARGS (xr, xi, yr, yi, m, s, batch, twr, twi, dir)
VARIANTS(fft_radix2, FFT_PARAMS, FFT_ARGS)
VARIANTS(fft_radix3, FFT_PARAMS, FFT_ARGS)
VARIANTS(fft_radix4, FFT_PARAMS, FFT_ARGS)
VARIANTS(fft_radix5, FFT_PARAMS, FFT_ARGS)

void fer_fft_stage(int level, int radix, const float *xr, const float *xi, float *yr, float *yi,
                   long m, long s, long batch, const float *twr, const float *twi, float dir) {
    switch (radix) {
    case 2: DISPATCH(level, fft_radix2, xr, xi, yr, yi, m, s, batch, twr, twi, dir); break;
    case 3: DISPATCH(level, fft_radix3, xr, xi, yr, yi, m, s, batch, twr, twi, dir); break;
    case 4: DISPATCH(level, fft_radix4, xr, xi, yr, yi, m, s, batch, twr, twi, dir); break;
    default: DISPATCH(level, fft_radix5, xr, xi, yr, yi, m, s, batch, twr, twi, dir); break;
    }
}

// MARK: HOG

// atan2 with a polynomial arctangent (max error ≈ 1e-4 rad, far below the 20° bin width).
BODY float fast_atan2(float y, float x) {
    const float ax = fabsf(x), ay = fabsf(y);
    const float mx = max_f(ax, ay), mn = min_f(ax, ay);
    // mx = 0 (no gradient) gives a = 0 and angle 0 without a branch.
    const float a = mn / max_f(mx, 0x1p-126f);
    const float s = a * a;
    // Minimax polynomial for atan on [0, 1].
    float r = ((-0.0464964749f * s + 0.15931422f) * s - 0.327622764f) * s * a + a;
    r = ay > ax ? SWIFT_FLOAT_PI / 2 - r : r;
    r = x < 0 ? SWIFT_FLOAT_PI - r : r;
    return y < 0 ? -r : r;
}

BODY void hog_store(long x, float gx, float gy, float energy, float bin_scale, float *mag,
                    float *bin, float *frac) {
    float angle = fast_atan2(gy, gx);
    angle = angle < 0 ? angle + 2 * SWIFT_FLOAT_PI : angle;
    const float fb = angle * bin_scale;
    // Truncation by adds and a compare (fb ≥ 0, < 2²³): no libm call on any level.
    const float magic = 8388608.0f;
    const float nearest = (fb + magic) - magic;
    float b0 = nearest > fb ? nearest - 1 : nearest;
    const float f = fb - b0;
    b0 = b0 >= 18 ? b0 - 18 : b0;
    mag[x] = sqrtf(energy);
    bin[x] = b0;
    frac[x] = f;
}

BODY void hog_gradient_row_body(const float *planes, long channels, long plane, long width, long y,
                                long ym, long yp, float bin_scale, float *restrict mag,
                                float *restrict bin, float *restrict frac) {
    // Border columns replicate (one-sided differences).
    for (int side = 0; side < 2; side++) {
        const long x = side == 0 ? 0 : width - 1;
        const long xm = x > 0 ? x - 1 : 0, xp = x + 1 < width ? x + 1 : width - 1;
        float gx = 0, gy = 0, best = -1;
        for (long ch = 0; ch < channels; ch++) {
            const float *p = planes + ch * plane;
            const float dx = p[y * width + xp] - p[y * width + xm];
            const float dy = p[yp * width + x] - p[ym * width + x];
            const float m = dx * dx + dy * dy;
            if (m > best) { best = m; gx = dx; gy = dy; }
        }
        hog_store(x, gx, gy, best, bin_scale, mag, bin, frac);
    }
    if (width <= 2) return;
    const float *c0 = planes + y * width, *u0 = planes + ym * width, *d0 = planes + yp * width;
    if (channels == 3) {
        const float *c1 = c0 + plane, *u1 = u0 + plane, *d1 = d0 + plane;
        const float *c2 = c1 + plane, *u2 = u1 + plane, *d2 = d1 + plane;
        for (long x = 1; x < width - 1; x++) {
            float gx = c0[x + 1] - c0[x - 1], gy = d0[x] - u0[x];
            float best = gx * gx + gy * gy;
            const float gx1 = c1[x + 1] - c1[x - 1], gy1 = d1[x] - u1[x], m1 = gx1 * gx1 + gy1 * gy1;
            const int t1 = m1 > best;
            best = t1 ? m1 : best; gx = t1 ? gx1 : gx; gy = t1 ? gy1 : gy;
            const float gx2 = c2[x + 1] - c2[x - 1], gy2 = d2[x] - u2[x], m2 = gx2 * gx2 + gy2 * gy2;
            const int t2 = m2 > best;
            best = t2 ? m2 : best; gx = t2 ? gx2 : gx; gy = t2 ? gy2 : gy;
            hog_store(x, gx, gy, best, bin_scale, mag, bin, frac);
        }
    } else {
        for (long x = 1; x < width - 1; x++) {
            const float gx = c0[x + 1] - c0[x - 1], gy = d0[x] - u0[x];
            hog_store(x, gx, gy, gx * gx + gy * gy, bin_scale, mag, bin, frac);
        }
    }
}

VARIANTS(hog_gradient_row,
         (const float *planes, long channels, long plane, long width, long y, long ym, long yp,
          float bin_scale, float *mag, float *bin, float *frac),
         (planes, channels, plane, width, y, ym, yp, bin_scale, mag, bin, frac))

void fer_hog_gradient_row(int level, const float *planes, long channels, long plane, long width,
                          long y, long ym, long yp, float bin_scale, float *mag, float *bin,
                          float *frac) {
    DISPATCH(level, hog_gradient_row, planes, channels, plane, width, y, ym, yp, bin_scale, mag, bin, frac);
}

void fer_hog_accumulate_row(long width, const float *mag, const float *bin, const float *frac,
                            const int32_t *cell0, const int32_t *cell1, const float *w0,
                            const float *w1, float wy_a, float wy_b, float *row_a, float *row_b) {
    // Scattered adds: scalar on every level, so one version.
    for (long x = 0; x < width; x++) {
        const float m = mag[x];
        const long b0 = (long)bin[x], b1 = b0 == 17 ? 0 : b0 + 1; // bin holds whole numbers 0…17
        const float wb1 = frac[x], wb0 = 1 - wb1;
        const float m0 = m * wb0, m1 = m * wb1;
        const long c0 = (long)cell0[x] * 18, c1 = (long)cell1[x] * 18;
        const float w00 = wy_a * w0[x], w01 = wy_a * w1[x], w10 = wy_b * w0[x], w11 = wy_b * w1[x];
        row_a[c0 + b0] += w00 * m0; row_a[c0 + b1] += w00 * m1;
        row_a[c1 + b0] += w01 * m0; row_a[c1 + b1] += w01 * m1;
        row_b[c0 + b0] += w10 * m0; row_b[c0 + b1] += w10 * m1;
        row_b[c1 + b0] += w11 * m0; row_b[c1 + b1] += w11 * m1;
    }
}

BODY void hog_normalise_body(const float *restrict hist, long cx, long cy, float clip, long used,
                             float *restrict energy, float *restrict out) {
    const long cells = cx * cy;
    // Energy of the contrast-insensitive histogram per cell.
    for (long i = 0; i < cells; i++) {
        const float *h = hist + i * 18;
        float e = 0;
        for (int o = 0; o < 9; o++) { const float v = h[o] + h[o + 9]; e += v * v; }
        energy[i] = e;
    }
    const float eps = 1e-4f; // keeps flat areas finite (the toolbox uses a small epsilon too)
    for (long j = 0; j < cy; j++) {
        for (long i = 0; i < cx; i++) {
            // The 4 blocks of 2×2 cells containing cell (i, j); outside cells are clamped.
            float norms[4];
            for (int blk = 0; blk < 4; blk++) {
                const long dx = (blk & 1) == 0 ? -1 : 1, dy = (blk & 2) == 0 ? -1 : 1;
                long i2 = i + dx, j2 = j + dy;
                i2 = i2 < 0 ? 0 : (i2 > cx - 1 ? cx - 1 : i2);
                j2 = j2 < 0 ? 0 : (j2 > cy - 1 ? cy - 1 : j2);
                const float s = energy[j * cx + i] + energy[j * cx + i2] + energy[j2 * cx + i] + energy[j2 * cx + i2];
                norms[blk] = 1 / sqrtf(s + eps);
            }
            const float *h = hist + (j * cx + i) * 18;
            const long o = j * cx + i;
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (long b = 0; b < 18; b++) {
                const float v = h[b];
                const float a0 = min_f(v * norms[0], clip), a1 = min_f(v * norms[1], clip);
                const float a2 = min_f(v * norms[2], clip), a3 = min_f(v * norms[3], clip);
                if (b < used) out[b * cells + o] = 0.5f * (a0 + a1 + a2 + a3);
                t0 += a0; t1 += a1; t2 += a2; t3 += a3;
            }
            if (used > 18) {
                const long n = used - 18 < 9 ? used - 18 : 9;
                for (long b = 0; b < n; b++) {
                    const float v = h[b] + h[b + 9];
                    const float s = min_f(v * norms[0], clip) + min_f(v * norms[1], clip) +
                                    min_f(v * norms[2], clip) + min_f(v * norms[3], clip);
                    out[(18 + b) * cells + o] = 0.5f * s;
                }
            }
            if (used > 27) {
                const long n = used - 27 < 4 ? used - 27 : 4;
                out[27 * cells + o] = 0.2357f * t0;
                if (n > 1) out[28 * cells + o] = 0.2357f * t1;
                if (n > 2) out[29 * cells + o] = 0.2357f * t2;
                if (n > 3) out[30 * cells + o] = 0.2357f * t3;
            }
        }
    }
}

VARIANTS(hog_normalise,
         (const float *hist, long cx, long cy, float clip, long used, float *energy, float *out),
         (hist, cx, cy, clip, used, energy, out))

void fer_hog_normalise(int level, const float *hist, long cx, long cy, float clip, long used,
                       float *energy, float *out) {
    DISPATCH(level, hog_normalise, hist, cx, cy, clip, used, energy, out);
}

// MARK: Patch sampler

typedef float v4f __attribute__((vector_size(16)));
typedef uint8_t v4u8 __attribute__((vector_size(4)));

// The pixel at `p` as one 4-byte load (the 4th lane is the next byte, ignored).
BODY v4f rgbx(const uint8_t *p) {
    v4u8 v;
    memcpy(&v, p, 4);
    return __builtin_convertvector(v, v4f);
}

BODY v4f rgb(const uint8_t *p) {
    const v4f v = {(float)p[0], (float)p[1], (float)p[2], 0};
    return v;
}

BODY void patch_row_body(long channels, const uint8_t *const row0[2], const uint8_t *const row1[2],
                         const float fy[2], long taps, int wide, const int32_t *left,
                         const int32_t *right, const float *fraction, long table_stride, long width,
                         float weight, float *out0, float *out1, float *out2) {
    if (channels == 3) {
        // All taps of one output pixel accumulate in a register, RGB as one 4-lane set.
        for (long ox = 0; ox < width; ox++) {
            v4f acc = {0, 0, 0, 0};
            for (long ty = 0; ty < taps; ty++) {
                const uint8_t *r0 = row0[ty], *r1 = row1[ty];
                const float fyt = fy[ty];
                for (long tx = 0; tx < taps; tx++) {
                    const long a = left[tx * table_stride + ox], b = right[tx * table_stride + ox];
                    const float fx = fraction[tx * table_stride + ox];
                    const v4f q00 = wide ? rgbx(r0 + a) : rgb(r0 + a);
                    const v4f q01 = wide ? rgbx(r0 + b) : rgb(r0 + b);
                    const v4f q10 = wide ? rgbx(r1 + a) : rgb(r1 + a);
                    const v4f q11 = wide ? rgbx(r1 + b) : rgb(r1 + b);
                    const v4f top = q00 + (q01 - q00) * fx;
                    const v4f bottom = q10 + (q11 - q10) * fx;
                    acc += top + (bottom - top) * fyt;
                }
            }
            acc *= weight;
            out0[ox] = acc[0];
            out1[ox] = acc[1];
            out2[ox] = acc[2];
        }
    } else {
        for (long ox = 0; ox < width; ox++) out0[ox] = 0;
        for (long ty = 0; ty < taps; ty++) {
            const uint8_t *r0 = row0[ty], *r1 = row1[ty];
            const float fyt = fy[ty];
            for (long tx = 0; tx < taps; tx++) {
                const int32_t *la = left + tx * table_stride, *ra = right + tx * table_stride;
                const float *fa = fraction + tx * table_stride;
                for (long ox = 0; ox < width; ox++) {
                    const float a = r0[la[ox]], b = r0[ra[ox]], d = r1[la[ox]], e = r1[ra[ox]];
                    const float fx = fa[ox];
                    const float top = a + (b - a) * fx, bottom = d + (e - d) * fx;
                    out0[ox] += weight * (top + (bottom - top) * fyt);
                }
            }
        }
    }
}

VARIANTS(patch_row,
         (long channels, const uint8_t *const row0[2], const uint8_t *const row1[2], const float fy[2],
          long taps, int wide, const int32_t *left, const int32_t *right, const float *fraction,
          long table_stride, long width, float weight, float *out0, float *out1, float *out2),
         (channels, row0, row1, fy, taps, wide, left, right, fraction, table_stride, width, weight,
          out0, out1, out2))

void fer_patch_row(int level, long channels, const uint8_t *const row0[2], const uint8_t *const row1[2],
                   const float fy[2], long taps, int wide, const int32_t *left, const int32_t *right,
                   const float *fraction, long table_stride, long width, float weight, float *out0,
                   float *out1, float *out2) {
    DISPATCH(level, patch_row, channels, row0, row1, fy, taps, wide, left, right, fraction,
             table_stride, width, weight, out0, out1, out2);
}

// MARK: Scale filter

BODY void scale_dft_body(const float *restrict samples, long scales, long dimension, long frequencies,
                         const float *cos_table, const float *sin_table, float *restrict re,
                         float *restrict im) {
    for (long i = 0; i < dimension * frequencies; i++) { re[i] = 0; im[i] = 0; }
    for (long n = 0; n < scales; n++) {
        const float *v = samples + n * dimension;
        for (long k = 0; k < frequencies; k++) {
            const float c = cos_table[k * scales + n], sn = sin_table[k * scales + n];
            float *restrict r = re + k * dimension, *restrict s = im + k * dimension;
            for (long d = 0; d < dimension; d++) {
                r[d] += v[d] * c;
                s[d] += v[d] * sn;
            }
        }
    }
}

VARIANTS(scale_dft,
         (const float *samples, long scales, long dimension, long frequencies, const float *cos_table,
          const float *sin_table, float *re, float *im),
         (samples, scales, dimension, frequencies, cos_table, sin_table, re, im))

void fer_scale_dft(int level, const float *samples, long scales, long dimension, long frequencies,
                   const float *cos_table, const float *sin_table, float *re, float *im) {
    DISPATCH(level, scale_dft, samples, scales, dimension, frequencies, cos_table, sin_table, re, im);
}

// MARK: Spatial reliability

static inline long reflect_index(long i, long n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
}

BODY void lambda_filter_body(const double *restrict x, double *restrict out, double *restrict tmp,
                             long w, long h, const double *kernel, long r, double center_weight) {
    const double *k = kernel + r;
    // Horizontal pass: reflected borders, then the interior without index checks.
    for (long j = 0; j < h; j++) {
        const double *row = x + j * w;
        double *dst = tmp + j * w;
        for (long i = 0; i < w; i++) {
            if (i >= r && i < w - r) continue;
            double s = 0.0;
            for (long t = -r; t <= r; t++) s += k[t] * row[reflect_index(i + t, w)];
            dst[i] = s;
        }
        if (w > 2 * r) {
            for (long i = r; i < w - r; i++) {
                double s = k[0] * row[i];
                for (long t = 1; t <= r; t++) s += k[t] * (row[i - t] + row[i + t]);
                dst[i] = s;
            }
        }
    }
    // Vertical pass, row by row so the inner loop runs over contiguous cells.
    const double inv = 1 / (1 - center_weight);
    for (long j = 0; j < h; j++) {
        double *dst = out + j * w;
        const double *src = x + j * w;
        const double *c0 = tmp + reflect_index(j, h) * w;
        for (long i = 0; i < w; i++) dst[i] = k[0] * c0[i];
        for (long t = 1; t <= r; t++) {
            const double *up = tmp + reflect_index(j - t, h) * w, *down = tmp + reflect_index(j + t, h) * w;
            const double kt = k[t];
            for (long i = 0; i < w; i++) dst[i] += kt * (up[i] + down[i]);
        }
        for (long i = 0; i < w; i++) dst[i] = (dst[i] - center_weight * src[i]) * inv;
    }
}

VARIANTS(lambda_filter,
         (const double *x, double *out, double *tmp, long w, long h, const double *kernel, long r,
          double center_weight),
         (x, out, tmp, w, h, kernel, r, center_weight))

void fer_lambda_filter(int level, const double *x, double *out, double *tmp, long w, long h,
                       const double *kernel, long r, double center_weight) {
    DISPATCH(level, lambda_filter, x, out, tmp, w, h, kernel, r, center_weight);
}
