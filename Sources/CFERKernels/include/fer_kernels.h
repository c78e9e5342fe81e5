#ifndef FER_KERNELS_H
#define FER_KERNELS_H
// FERCore's innermost loops, written for each x86 instruction-set level and chosen at run time.
//
// Why C: Swift cannot compile one function for a target the module was not built for (there is
// no per-function target attribute), and a package that depends on FERCore builds it for
// baseline x86-64 (SSE2), where Swift's SIMD8<Float>.addingProduct becomes a call to fmaf per
// lane. C functions marked __attribute__((target("..."))) are compiled for AVX2+FMA and for
// AVX-512 in any build, without flags, and fer_cpu_level() picks the best the CPU has (as ONNX
// Runtime's MLAS and XNNPACK do). Only the register-tiled loops are here; shapes, threading and
// the choice of tiles stay in Swift.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels, in increasing order.
enum {
    FER_LEVEL_GENERIC = 0,   ///< baseline x86-64 (or another architecture): FERCore's portable Swift loops
    FER_LEVEL_AVX2 = 1,      ///< AVX2 + FMA (x86-64-v3)
    FER_LEVEL_AVX512 = 2,    ///< AVX-512 F, BW, DQ, VL (x86-64-v4)
};

/// The best level this CPU (and the operating system's saved register state) supports.
int fer_cpu_level(void);

/// SHA-256 round constants K0…K63 (FIPS 180-4 §4.2.2).
extern const uint32_t fer_sha256_round_constants[64];

/// 1 when the CPU has the SHA extensions (SHA-NI) with SSE4.1/SSSE3, else 0.
int fer_cpu_has_sha(void);

/// SHA-256 compression of `blocks` 64-byte blocks at `data` into `state` (FIPS 180-4 words
/// H0…H7) with the SHA extensions. Call only when fer_cpu_has_sha() returned 1.
void fer_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Bias and activation applied to a tile's registers before the store.
typedef struct {
    const float *bias;   ///< one value per output channel, padded to whole panels of 8; or NULL
    const float *alpha;  ///< PReLU slopes, padded likewise; or NULL
    int relu;            ///< 1: ReLU (ignored when alpha is set)
} fer_epilogue;

/// How a tile's reduction walks one output position's inputs: kh runs of `run` contiguous
/// floats, `row_stride` floats apart, from the position's pointer.
typedef struct {
    long kh;
    long run;
    long row_stride;
} fer_operand;

// Convolution tiles over weights packed in panels of 8 output channels, two panels interleaved
// ([k][16] per pair; a lone last panel [k][8]). Output rows are `cout` floats apart; a tile writes
// channels `channel ..< min(channel + width, cout)` of `rows` positions. Every output is the sum
// over the reduction in order, one FMA per term, starting from zero; then bias, then activation.

/// AVX2: 6 positions × 16 channels (one panel pair) at arbitrary position pointers.
void fer_avx2_tile6x16(const float *const *a, const fer_operand *op, const float *b,
                       const fer_epilogue *e, long channel, float *out, long cout, long rows);
/// AVX2: `count` full 6 × 16 tiles whose positions are evenly spaced (`step` floats).
void fer_avx2_strip6x16(const float *a, long step, long count, const fer_operand *op, const float *b,
                        const fer_epilogue *e, long channel, float *out, long cout);
/// AVX2: 6 positions × 8 channels (a lone last panel).
void fer_avx2_tile6x8(const float *const *a, const fer_operand *op, const float *b,
                      const fer_epilogue *e, long channel, float *out, long cout, long rows);
/// AVX2: 12 positions × 8 channels (outputs of one panel).
void fer_avx2_tile12x8(const float *const *a, const fer_operand *op, const float *b,
                       const fer_epilogue *e, float *out, long cout, long rows);
/// AVX2: `count` full 12 × 8 tiles of evenly spaced positions.
void fer_avx2_strip12x8(const float *a, long step, long count, const fer_operand *op, const float *b,
                        const fer_epilogue *e, float *out, long cout);

/// AVX-512: 12 positions × 32 channels (two panel pairs, `pair_stride` floats apart).
void fer_avx512_tile12x32(const float *const *a, const fer_operand *op, const float *b, long pair_stride,
                          const fer_epilogue *e, long channel, float *out, long cout, long rows);
/// AVX-512: 12 positions × 16 channels (one panel pair).
void fer_avx512_tile12x16(const float *const *a, const fer_operand *op, const float *b,
                          const fer_epilogue *e, long channel, float *out, long cout, long rows);
/// AVX-512 (256-bit registers, 32 of them): 12 positions × 8 channels.
void fer_avx512_tile12x8(const float *const *a, const fer_operand *op, const float *b,
                         const fer_epilogue *e, long channel, float *out, long cout, long rows);

// Depthwise 3×3 (NHWC, channels in multiples of 8), one output row of a channel slice at a time.

/// AVX2: a whole output row of an 8-channel slice: border columns (masked taps) and interior,
/// with the epilogue's ReLU or PReLU (alpha at the slice; bias here is the slice's, or NULL).
/// `keep[3]`: whether each window row lies inside the image (rows outside get zero weights).
void fer_avx2_depthwise3x3_row(const float *row0, const float *row1, const float *row2, const int *keep,
                               long in_w, long c, long pad_left, long sw, long out_w,
                               const float *k, const float *bias, const fer_epilogue *e, float *out);
/// AVX-512: the same for a 16-channel slice.
void fer_avx512_depthwise3x3_row(const float *row0, const float *row1, const float *row2, const int *keep,
                                 long in_w, long c, long pad_left, long sw, long out_w,
                                 const float *k, const float *bias, const fer_epilogue *e, float *out);


// Max pooling (NHWC), one output row: window rows first_row ..< first_row + rows of `image`
// (clipped by the caller), window columns clipped to the image; `residual` (or NULL) is added to
// each maximum as it is stored and may alias `out`. c must be at least the slice width.

/// AVX2: 8-channel slices (c ≥ 8).
void fer_avx2_maxpool_row(const float *image, long in_w, long c, long first_row, long rows,
                          long kw, long sw, long pad_left, long out_w, const float *residual, float *out);
/// AVX-512: 16-channel slices (c ≥ 16), or one masked slice (8 ≤ c < 16).
void fer_avx512_maxpool_row(const float *image, long in_w, long c, long first_row, long rows,
                            long kw, long sw, long pad_left, long out_w, const float *residual, float *out);

// TensorFlow's AREA resize (MTCNN's image pyramid): the horizontal sums of four input rows, from
// a group of the byte layout of AreaResizer.normalize (per column, the 4 rows' pixels of 4 bytes
// (R, G, B, 0), 16 contiguous bytes), each byte normalised as v·scale + bias (one FMA, exact for
// MTCNN's (v − 127.5)/128); per output column `taps` taps at cols[] with weights w[], a multiply
// and an add each, in order (TensorFlow's scalar sequence, no FMA). Row r's sums go to
// h + 4·(r·out_w + x) (the fourth lane of each pixel is not meaningful).

/// AVX2: two rows per 256-bit register.
void fer_avx2_area_rows4(const uint8_t *group, float scale, float bias, const long *cols, const float *w,
                         long taps, long out_w, float *h);
/// AVX-512: four rows per 512-bit register.
void fer_avx512_area_rows4(const uint8_t *group, float scale, float bias, const long *cols, const float *w,
                           long taps, long out_w, float *h);

// Winograd F(m×m, 3×3), m = 2 or 4 (Winograd.swift): a 3×3 stride-1 valid convolution as α² = (m + 2)²
// products of transformed input tiles (α×α input pixels, m pixels apart) with transformed kernels.
// Tiles are numbered flat over (image, tile row, tile column); `first` is the first tile, `count` of
// them. The AVX2 and AVX-512 versions compute every value identically (the same adds, subtracts
// and fused multiply-adds by constants, in the same order).

/// Bᵀ d B of `count` input tiles of `x` (images `sample_floats` apart, in_h × in_w × c, NHWC), the
/// pixels beyond the image zero; value k (0..<α²) of tile i goes to t + (α²·i + k)·stride
/// (stride ≥ c, a multiple of 8; lanes beyond c may be written).
void fer_avx2_winograd_input(const float *x, long sample_floats, long in_h, long in_w, long c, long m,
                             long tiles_y, long tiles_x, long first, long count, float *t, long stride);
void fer_avx512_winograd_input(const float *x, long sample_floats, long in_h, long in_w, long c, long m,
                               long tiles_y, long tiles_x, long first, long count, float *t, long stride);
/// Aᵀ M A of `count` tiles (product k of tile i at p + k·plane + i·cout), plus bias (padded to
/// whole panels of 8, or NULL), then ReLU or PReLU, stored into `out` (images out_h × out_w ×
/// cout) where the tile's m×m outputs lie inside it.
void fer_avx2_winograd_output(const float *p, long plane, long m, long tiles_y, long tiles_x, long first, long count,
                              long cout, long out_h, long out_w, const fer_epilogue *e, float *out);
void fer_avx512_winograd_output(const float *p, long plane, long m, long tiles_y, long tiles_x, long first, long count,
                                long cout, long out_h, long out_w, const fer_epilogue *e, float *out);

#ifdef __cplusplus
}
#endif
// The int8 and tracker kernels' declarations, included here too so that a build directory made
// before those headers existed picks them up (the module's umbrella directory alone was not re-scanned).
#include "fer_int8.h"
#include "fer_tracker.h"

#endif
