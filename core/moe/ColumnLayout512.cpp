// SPDX-License-Identifier: GPL-3.0-or-later
// The column layout of the sweep's AVX-512 walk (declared in ColumnLayout512.h).
#include "moe/RowKernels.h" // DELTASCOPE_AVX2_DISPATCH

#if DELTASCOPE_AVX2_DISPATCH
#include "moe/ColumnLayout512.h"

#include <cstring>

namespace deltascope::moe::detail {

/// vpternlogd's table for a | b | c
constexpr int kOr3 = 0xf0 | 0xcc | 0xaa;

// Lays eight rows out by expert from expert `from` on: cols[e * kColRow + lane] = rows[lane][e],
// 8 x 8 blocks at a time. Returns the bits set in any score laid out (an OR of them).
namespace {

__attribute__((target("avx512f,avx512vl"))) std::uint32_t transposeGroup(
    const float* const* rows, int from, int N, float* cols)
{
    int e = from;
    __m256i seen = _mm256_setzero_si256();
    for (; e + 8 <= N; e += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i) {
            r[i] = _mm256_loadu_ps(rows[i] + e);
            seen = _mm256_or_si256(seen, _mm256_castps_si256(r[i]));
        }
        __m256 by[8];
        transpose8x8(r, by);
        float* out = cols + static_cast<std::size_t>(e) * kColRow;
        for (int j = 0; j < 8; ++j)
            _mm256_store_ps(out + static_cast<std::size_t>(j) * kColRow, by[j]);
    }
    std::uint32_t bits = 0;
    for (; e < N; ++e)
        for (int i = 0; i < 8; ++i) {
            const float x = rows[i][e];
            cols[static_cast<std::size_t>(e) * kColRow + static_cast<std::size_t>(i)] = x;
            std::uint32_t b;
            std::memcpy(&b, &x, sizeof b);
            bits |= b;
        }
    alignas(32) std::uint32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), seen);
    for (const std::uint32_t x : lanes)
        bits |= x;
    return bits;
}

} // namespace

// The same for sixteen rows (two groups), 16 x 16 blocks at a time: a third fewer shuffles per
// score than 8 x 8 blocks. cols must be 64-byte aligned. Returns the bits set in any score.
__attribute__((target("avx512f,avx512vl"))) std::uint32_t transposePair(const float* const* rows, int N, float* cols)
{
    int e = 0;
    __m512i seen = _mm512_setzero_si512();
    for (; e + 16 <= N; e += 16) {
        __m512 t[16];
        for (int i = 0; i < 16; i += 2) {
            const __m512 a = _mm512_loadu_ps(rows[i] + e);
            const __m512 b = _mm512_loadu_ps(rows[i + 1] + e);
            seen = _mm512_ternarylogic_epi32(seen, _mm512_castps_si512(a), _mm512_castps_si512(b), kOr3);
            t[i] = _mm512_unpacklo_ps(a, b);
            t[i + 1] = _mm512_unpackhi_ps(a, b);
        }
        // Each 128-bit lane L of u[4j + c] holds rows 4j..4j+3 at expert e + 4L + c.
        __m512 u[16];
        for (int j = 0; j < 16; j += 4) {
            const __m512d t0 = _mm512_castps_pd(t[j]);
            const __m512d t1 = _mm512_castps_pd(t[j + 1]);
            const __m512d t2 = _mm512_castps_pd(t[j + 2]);
            const __m512d t3 = _mm512_castps_pd(t[j + 3]);
            u[j] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
            u[j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
            u[j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
            u[j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
        }
        float* out = cols + static_cast<std::size_t>(e) * kColRow;
        for (int c = 0; c < 4; ++c) {
            const __m512 a = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
            const __m512 b = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xee);
            const __m512 x = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
            const __m512 y = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xee);
            const auto at = [&](int L) { return out + static_cast<std::size_t>(4 * L + c) * kColRow; };
            _mm512_store_ps(at(0), _mm512_shuffle_f32x4(a, x, 0x88));
            _mm512_store_ps(at(1), _mm512_shuffle_f32x4(a, x, 0xdd));
            _mm512_store_ps(at(2), _mm512_shuffle_f32x4(b, y, 0x88));
            _mm512_store_ps(at(3), _mm512_shuffle_f32x4(b, y, 0xdd));
        }
    }
    std::uint32_t bits = static_cast<std::uint32_t>(_mm512_reduce_or_epi32(seen));
    if (e < N) {
        bits |= transposeGroup(rows, e, N, cols);
        bits |= transposeGroup(rows + 8, e, N, cols + 8);
    }
    return bits;
}

} // namespace deltascope::moe::detail
#endif
