// SPDX-License-Identifier: GPL-3.0-or-later
// The all-budgets sweep's per-device running counts and peaks in AVX-512 registers (runningPeaks,
// declared in Sweep512.h). Tested against the portable loop of XShareSweep.cpp.
#include "moe/RowKernels.h" // DELTASCOPE_AVX2_DISPATCH
#include "moe/Sweep512.h"

#include <algorithm>
#include <cstddef>

#if DELTASCOPE_AVX2_DISPATCH
#include <immintrin.h>
#endif

namespace deltascope::moe::detail {

#if DELTASCOPE_AVX2_DISPATCH
namespace {

// Up to 16 devices in the lanes of one register: the running counts of [budget][device]
// differences, written to run when given, and each budget's largest (at least 0).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) void runningPeaks16(
    const int* diffs, std::size_t budgets, std::size_t G, int* run, int* peak)
{
    const auto lanes = static_cast<__mmask16>((1u << G) - 1);
    __m512i v = _mm512_setzero_si512();
    for (std::size_t m = 0; m < budgets; ++m) {
        v = _mm512_add_epi32(v, _mm512_maskz_loadu_epi32(lanes, diffs + m * G));
        if (run != nullptr)
            _mm512_mask_storeu_epi32(run + m * G, lanes, v);
        peak[m] = std::max(0, _mm512_mask_reduce_max_epi32(lanes, v));
    }
}

// Both kinds of counts of up to 8 devices in one register, the first in lanes 0-7 and the second
// in lanes 8-15 (zero past G): one pass for both.
__attribute__((target("avx512f,avx512vl"))) void runningPeaksPair(const int* first, const int* second,
    std::size_t budgets, std::size_t G, int* runFirst, int* runSecond, int* peakFirst, int* peakSecond)
{
    const auto lanes = static_cast<__mmask8>((1u << G) - 1);
    __m512i v = _mm512_setzero_si512();
    for (std::size_t m = 0; m < budgets; ++m) {
        const __m512i d = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_maskz_loadu_epi32(lanes, first + m * G)),
            _mm256_maskz_loadu_epi32(lanes, second + m * G), 1);
        v = _mm512_add_epi32(v, d);
        if (runFirst != nullptr) {
            _mm256_mask_storeu_epi32(runFirst + m * G, lanes, _mm512_castsi512_si256(v));
            _mm256_mask_storeu_epi32(runSecond + m * G, lanes, _mm512_extracti64x4_epi64(v, 1));
        }
        // The largest of each half of eight lanes, in its lanes 0 and 8.
        __m512i x = _mm512_max_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_CDAB));
        x = _mm512_max_epi32(x, _mm512_shuffle_epi32(x, _MM_PERM_BADC));
        x = _mm512_max_epi32(x, _mm512_shuffle_i64x2(x, x, _MM_SHUFFLE(2, 3, 0, 1)));
        x = _mm512_max_epi32(x, _mm512_setzero_si512()); // at least 0, as every peak is
        peakFirst[m] = _mm_cvtsi128_si32(_mm512_castsi512_si128(x));
        peakSecond[m] = _mm_cvtsi128_si32(_mm512_extracti32x4_epi32(x, 2));
    }
}
#pragma GCC diagnostic pop

} // namespace

bool runningPeaks(const int* active, const int* tokens, std::size_t budgets, std::size_t G, int* runActive,
    int* runTokens, int* peakActive, int* peakTokens)
{
    if (G < 1 || G > 16 || !sweep512Available())
        return false;
    if (G <= 8) {
        runningPeaksPair(active, tokens, budgets, G, runActive, runTokens, peakActive, peakTokens);
    } else {
        runningPeaks16(active, budgets, G, runActive, peakActive);
        runningPeaks16(tokens, budgets, G, runTokens, peakTokens);
    }
    return true;
}
#else
bool runningPeaks(const int*, const int*, std::size_t, std::size_t, int*, int*, int*, int*)
{
    return false;
}
#endif

} // namespace deltascope::moe::detail
