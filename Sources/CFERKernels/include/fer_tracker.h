#ifndef FER_TRACKER_H
#define FER_TRACKER_H
// The correlation-filter tracker's per-pixel and per-element loops (HOG, patch sampling, FFT
// stages, the scale filter's DFT, the reliability map's smoothing), each compiled twice: for the
// build's own target (baseline x86-64, SSE2, in a plain `swift build`) and for AVX2 by a target
// attribute, chosen at run time by `level` (fer_cpu_level(), or FERCORE_ISA's choice).
//
// Why C (see fer_kernels.h): Swift compiles these loops once, for the module's target, and a
// package that depends on FERCore builds for SSE2, where they ran 4 lanes wide instead of 8
// (the tracker measured 1.2-1.4x slower per loop than with -march=x86-64-v3).
//
// Every variant performs the same IEEE operations in the same order as the former Swift loops
// (no fused multiply-add: floating-point contraction is off in this file, and no reduction is
// reordered), so all levels give bit-identical results, equal to the former Swift code's.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One Stockham decimation-in-frequency stage of radix 2, 3, 4 or 5 over `batch` interleaved
/// transforms: input element (q + s·(k + r·m)), output (q + s·(p·k + u)), output u multiplied by
/// the twiddle w^(k·u) (tables [k][u−1]); `dir` is +1 forward, −1 inverse. `x` and `y` must not
/// overlap.
void fer_fft_stage(int level, int radix, const float *xr, const float *xi, float *yr, float *yi,
                   long m, long s, long batch, const float *twr, const float *twi, float dir);

/// One row of HOG gradients: per pixel of row `y` (rows `ym`, `yp` above and below, borders
/// replicated), the central difference of the channel with the largest magnitude; writes its
/// magnitude, the lower of the two nearest of 18 orientation bins (a whole number as a float) and
/// the fraction towards the upper one. `planes`: `channels` planes of `plane` floats, `width` wide.
void fer_hog_gradient_row(int level, const float *planes, long channels, long plane, long width,
                          long y, long ym, long yp, float bin_scale, float *mag, float *bin,
                          float *frac);

/// Adds one row's gradients into the cell histograms (18 bins per cell): each pixel's magnitude,
/// split between its two orientation bins, goes bilinearly into the cells of rows `row_a`
/// (weight `wy_a`) and `row_b` (`wy_b`) and columns `cell0`/`cell1` (weights `w0`/`w1`).
void fer_hog_accumulate_row(long width, const float *mag, const float *bin, const float *frac,
                            const int32_t *cell0, const int32_t *cell1, const float *w0,
                            const float *w1, float wy_a, float wy_b, float *row_a, float *row_b);

/// Normalises `cx × cy` cells of 18-bin histograms into `used` feature planes of `cx·cy` floats
/// (18 contrast-sensitive, 9 insensitive, 4 texture), each cell by its 4 blocks of 2×2 cells,
/// clipped at `clip`. `energy` is a work buffer of `cx·cy` floats.
void fer_hog_normalise(int level, const float *hist, long cx, long cy, float clip, long used,
                       float *energy, float *out);

/// One output row of the patch sampler: bilinear samples (1 or 2×2 taps per pixel) of an 8-bit
/// image with `channels` 1 or 3. Per vertical tap t < taps: the top and bottom source rows
/// `row0[t]`, `row1[t]` and the fraction `fy[t]`; per horizontal tap: the tables of byte offsets
/// `left`/`right` and fractions `fraction`, `table_stride` apart. `wide`: a 4-byte load at any
/// offset in the rows is safe. Writes `width` floats to each of `out0`, `out1`, `out2` (RGB) or to
/// `out0` (grey).
void fer_patch_row(int level, long channels, const uint8_t *const row0[2], const uint8_t *const row1[2],
                   const float fy[2], long taps, int wide, const int32_t *left, const int32_t *right,
                   const float *fraction, long table_stride, long width, float weight, float *out0,
                   float *out1, float *out2);

/// The scale filter's DFT along scales: for each frequency k < `frequencies`,
/// re[k][d] = Σ_n samples[n][d]·cos[k][n], im[k][d] = Σ_n samples[n][d]·sin[k][n], summed in n
/// order from zero. `samples` is `scales × dimension`; the tables are `frequencies × scales`.
void fer_scale_dft(int level, const float *samples, long scales, long dimension, long frequencies,
                   const float *cos_table, const float *sin_table, float *re, float *im);

/// out = λ ⊛ x on a `w × h` grid of doubles: the separable normalised Gaussian `kernel` (2r+1
/// taps, centre at kernel[r]) with its centre tap removed, (G ⊛ x − g_c·x) / (1 − g_c), borders
/// reflected (OpenCV BORDER_REFLECT). `tmp` is a work grid of `w·h` doubles.
void fer_lambda_filter(int level, const double *x, double *out, double *tmp, long w, long h,
                       const double *kernel, long r, double center_weight);

#ifdef __cplusplus
}
#endif

#endif
