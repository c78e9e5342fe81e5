// Int8 tiles (see fer_int8.h): AVX-512 VNNI and AVX2, compiled for their levels by target
// attributes whatever the build's flags, and called only when the CPU has them.
#include "fer_int8.h"

int fer_cpu_has_avx512_vnni(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

// ---------------------------------------------------------------------------------------------
// AVX-512 VNNI

static inline VNNI void vnni_store(__m512i acc, const fer_q8_epilogue *e, long channel, long cout,
                                   uint8_t *out_u8, float *out_f32) {
    // Multiply, then add: two roundings, as the portable Swift path (no FMA contraction of intrinsics).
    const __m512 y0 = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps(e->scale + channel)),
                                    _mm512_loadu_ps(e->bias + channel));
    const __m512 y = e->relu ? _mm512_max_ps(y0, _mm512_setzero_ps()) : y0;
    const long valid = cout - channel;
    const __mmask16 mask = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1u);
    if (out_u8) {
        // Round to nearest even (the default MXCSR mode), clamp to [0, 255], narrow to bytes.
        __m512i q = _mm512_cvtps_epi32(y);
        q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()), _mm512_set1_epi32(255));
        _mm_mask_storeu_epi8(out_u8 + channel, mask, _mm512_cvtepi32_epi8(q));
    } else {
        _mm512_mask_storeu_ps(out_f32 + channel, mask, y);
    }
}

VNNI void fer_q8_vnni_tile8x16(const uint8_t *const *a, long k4, const int8_t *b, const fer_q8_epilogue *e,
                               long channel, long cout, long rows, uint8_t *out_u8, float *out_f32) {
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    const uint8_t *r0 = a[0], *r1 = a[rows > 1 ? 1 : 0], *r2 = a[rows > 2 ? 2 : 0], *r3 = a[rows > 3 ? 3 : 0];
    const uint8_t *r4 = a[rows > 4 ? 4 : 0], *r5 = a[rows > 5 ? 5 : 0], *r6 = a[rows > 6 ? 6 : 0], *r7 = a[rows > 7 ? 7 : 0];
    for (long k = 0; k < k4; k++) {
        const __m512i w = _mm512_loadu_si512((const void *)(b + 64 * k));
        int32_t v;
#define STEP(c, r) memcpy(&v, r + 4 * k, 4); c = _mm512_dpbusd_epi32(c, _mm512_set1_epi32(v), w);
        STEP(c0, r0) STEP(c1, r1) STEP(c2, r2) STEP(c3, r3) STEP(c4, r4) STEP(c5, r5) STEP(c6, r6) STEP(c7, r7)
#undef STEP
    }
    const long stride = cout;
    const __m512i acc[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (long r = 0; r < rows; r++) {
        vnni_store(acc[r], e, channel, cout, out_u8 ? out_u8 + r * stride : NULL, out_f32 ? out_f32 + r * stride : NULL);
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2

static inline AVX2 void avx2_store8(__m256i acc, const float *scale, const float *bias, int relu, long valid,
                                    uint8_t *out_u8, float *out_f32) {
    const __m256 y0 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale)), _mm256_loadu_ps(bias));
    const __m256 y = relu ? _mm256_max_ps(y0, _mm256_setzero_ps()) : y0;
    if (valid <= 0) return;
    if (out_u8) {
        __m256i q = _mm256_cvtps_epi32(y);
        q = _mm256_min_epi32(_mm256_max_epi32(q, _mm256_setzero_si256()), _mm256_set1_epi32(255));
        int32_t lanes[8];
        _mm256_storeu_si256((__m256i *)lanes, q);
        const long n = valid < 8 ? valid : 8;
        for (long i = 0; i < n; i++) out_u8[i] = (uint8_t)lanes[i];
    } else if (valid >= 8) {
        _mm256_storeu_ps(out_f32, y);
    } else {
        float lanes[8];
        _mm256_storeu_ps(lanes, y);
        for (long i = 0; i < valid; i++) out_f32[i] = lanes[i];
    }
}

AVX2 void fer_q8_avx2_tile4x16(const uint8_t *const *a, long k4, const int8_t *b, const fer_q8_epilogue *e,
                               long channel, long cout, long rows, uint8_t *out_u8, float *out_f32) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const uint8_t *r0 = a[0], *r1 = a[rows > 1 ? 1 : 0], *r2 = a[rows > 2 ? 2 : 0], *r3 = a[rows > 3 ? 3 : 0];
    for (long k = 0; k < k4; k++) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(b + 64 * k));
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(b + 64 * k + 32));
        int32_t v;
#define STEP(c0, c1, r)                                                                  \
        memcpy(&v, r + 4 * k, 4);                                                        \
        {                                                                                \
            const __m256i x = _mm256_set1_epi32(v);                                      \
            c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones)); \
            c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones)); \
        }
        STEP(c00, c01, r0) STEP(c10, c11, r1) STEP(c20, c21, r2) STEP(c30, c31, r3)
#undef STEP
    }
    const __m256i acc[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    const long valid = cout - channel;
    for (long r = 0; r < rows; r++) {
        for (int h = 0; h < 2; h++) {
            const long off = channel + 8 * h;
            avx2_store8(acc[r][h], e->scale + off, e->bias + off, e->relu, valid - 8 * h,
                        out_u8 ? out_u8 + r * cout + off : NULL, out_f32 ? out_f32 + r * cout + off : NULL);
        }
    }
}

#else
// Other architectures: never called (fer_cpu_has_avx512_vnni() is 0 and fer_cpu_level() generic).
void fer_q8_vnni_tile8x16(const uint8_t *const *a, long k4, const int8_t *b, const fer_q8_epilogue *e,
                          long channel, long cout, long rows, uint8_t *out_u8, float *out_f32) {
    (void)a; (void)k4; (void)b; (void)e; (void)channel; (void)cout; (void)rows; (void)out_u8; (void)out_f32;
}
void fer_q8_avx2_tile4x16(const uint8_t *const *a, long k4, const int8_t *b, const fer_q8_epilogue *e,
                          long channel, long cout, long rows, uint8_t *out_u8, float *out_f32) {
    (void)a; (void)k4; (void)b; (void)e; (void)channel; (void)cout; (void)rows; (void)out_u8; (void)out_f32;
}
#endif
