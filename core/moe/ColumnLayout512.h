// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The column layout of the sweep's AVX-512 walk (ColumnLayout512.cpp): a chunk's rows of scores
// laid out by expert, one lane per token. Internal to the moe library; only where the AVX-512
// kernels are built.

#include <cstddef>
#include <cstdint>
#include <immintrin.h>

namespace deltascope::moe::detail {

/// floats per row of the layout: 64 tokens' lanes, 8 pads, and 8 more so that every row starts
/// on a cache line (the transpose writes 16 lanes at once)
constexpr std::size_t kColRow = 80;

// out[j][i] = r[i][j] for an 8 x 8 block of floats.
__attribute__((target("avx2"))) inline void transpose8x8(const __m256* r, __m256* out)
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
    const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
    const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
    const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
    const __m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44);
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44);
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    out[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    out[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    out[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    out[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    out[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    out[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    out[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    out[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Lays sixteen rows (of N scores) out by expert: cols[e * kColRow + lane] = rows[lane][e], in
// 16 x 16 blocks. cols must be 64-byte aligned. Returns the bits set in any score (an OR of them).
std::uint32_t transposePair(const float* const* rows, int N, float* cols);

} // namespace deltascope::moe::detail
