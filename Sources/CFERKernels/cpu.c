#include "fer_kernels.h"

int fer_cpu_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also checks that the operating system saves the registers
    // (XCR0), so a kernel without AVX-512 state support is not offered AVX-512.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return FER_LEVEL_AVX512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return FER_LEVEL_AVX2;
    }
#endif
    return FER_LEVEL_GENERIC;
}
