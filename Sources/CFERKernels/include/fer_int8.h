#ifndef FER_INT8_H
#define FER_INT8_H
// Int8 matrix tiles for FERCore's quantized networks (QuantizedNetwork.swift), one per
// instruction set, chosen at run time like the float tiles of fer_kernels.h.
//
// Operands: A is u8 (activations after ReLU, zero point 0), one row of K bytes per output
// position (K a multiple of 4); B is s8 weights in [-63, 63] (7 bits, see below), packed per
// block of 16 output channels as [K/4][16][4]: for each group of 4 reduction steps, 16 channels
// × 4 bytes (64 bytes). Every output is the exact int32 sum over k of A[m][k]·B[k][n]:
//   * AVX-512 VNNI: vpdpbusd (u8 × s8, four products summed into int32, no intermediate rounding);
//   * AVX2: vpmaddubsw (u8 × s8, pairs summed into int16 with saturation) then vpmaddwd by 1
//     into int32. Weights are limited to 7 bits so that a pair never saturates
//     (2 · 255 · 63 = 32130 < 32767): the int16 step is exact, and both paths give the same
//     int32 sums (ONNX Runtime's "reduce_range" for CPUs without VNNI does the same);
//   * portable Swift (QuantizedKernels.swift): the same sums with plain integer loops.
// The epilogue is shared: y = float(sum) · scale[n] + bias[n] (multiply, round, add, round: no
// FMA, so that every path and a numpy model of it agree to the bit), ReLU when
// asked, then either stored as float or rounded to nearest even and clamped to [0, 255] as
// the next layer's u8 input (scale and bias already divided by that input's scale).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU has AVX-512 F/BW/VL and AVX-512 VNNI (vpdpbusd), else 0.
int fer_cpu_has_avx512_vnni(void);

/// The epilogue of an int8 tile (see the file comment). `scale` and `bias` hold one value per
/// output channel, padded to a multiple of 16.
typedef struct {
    const float *scale;
    const float *bias;
    int relu;
} fer_q8_epilogue;

/// AVX-512 VNNI: `rows` (1...8) positions × 16 channels `channel ..< min(channel + 16, cout)`.
/// `a[r]` points to row r's K bytes, `b` to the block's packed weights, `k4` = K / 4.
/// Writes u8 to `out_u8` (rows `cout` bytes apart) when it is not NULL, else float to `out_f32`.
void fer_q8_vnni_tile8x16(const uint8_t *const *a, long k4, const int8_t *b, const fer_q8_epilogue *e,
                          long channel, long cout, long rows, uint8_t *out_u8, float *out_f32);

/// AVX2: `rows` (1...4) positions × 16 channels, as fer_q8_vnni_tile8x16.
void fer_q8_avx2_tile4x16(const uint8_t *const *a, long k4, const int8_t *b, const fer_q8_epilogue *e,
                          long channel, long cout, long rows, uint8_t *out_u8, float *out_f32);

#ifdef __cplusplus
}
#endif
#endif
