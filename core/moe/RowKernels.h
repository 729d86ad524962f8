// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The row kernels of the CPU fast paths (sweepSlice, sliceBudgets): top-k of a row with block
// maxima and, where the CPU has AVX2, branch-free vector ranking; utility sums; per-device peaks.
// Internal to the moe library. They are tested against the shared slice template through the
// paths that use them.

#include "moe/XShare.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DELTASCOPE_AVX2_DISPATCH 1
#else
#define DELTASCOPE_AVX2_DISPATCH 0
#endif

namespace deltascope::moe::rows {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

inline const float* rowOf(const SliceInput& in, int t)
{
    return in.rows ? in.rows[t] : in.scores + static_cast<std::size_t>(t) * static_cast<std::size_t>(in.experts);
}

inline int maskWords(int experts)
{
    return (experts + 63) / 64;
}

inline bool testBit(const std::uint64_t* mask, int e)
{
    return (mask[e >> 6] >> (e & 63)) & 1u;
}

inline std::uint64_t keyOf(float score, int e)
{
    std::uint32_t bits;
    std::memcpy(&bits, &score, sizeof bits);
    return (static_cast<std::uint64_t>(bits) << 32) | ~static_cast<std::uint32_t>(e);
}

inline int idOfKey(std::uint64_t key)
{
    return static_cast<int>(~static_cast<std::uint32_t>(key));
}

// Places key in a best-first list of at most cap keys holding count; returns the new count.
inline int insertKey(std::uint64_t* keys, int count, int cap, std::uint64_t key)
{
    int i;
    if (count < cap) {
        i = count++;
    } else {
        if (key <= keys[cap - 1])
            return count;
        i = cap - 1;
    }
    while (i > 0 && keys[i - 1] < key) {
        keys[i] = keys[i - 1];
        --i;
    }
    keys[i] = key;
    return count;
}

// The k best experts of a row among those allowed (all when allowed is null), best first.
void topOf(const float* row, int n, int k, const std::uint8_t* allowed, std::vector<int>& out);

// The k best of a row, best first, scanning only the blocks of 8 experts whose maximum can hold
// one; returns how many.
int topOfFast(const float* row, int n, int k, int* ids, std::vector<float>& maxima, std::vector<int>& cand);

// Experts by decreasing utility, ties to the lower id; only the first `head` entries need to be in
// order (the rest follow in no particular order).
std::vector<int> byUtility(std::vector<int> experts, const std::vector<double>& u, std::size_t head = SIZE_MAX);

// The most activated experts and the most token-expert assignments on one device, from the number
// of tokens routed to each expert (copies dealt round-robin, the placed device first). With `only`,
// just those experts are visited (the others route no token).
void devicePeaks(const std::vector<int>& counts, const std::vector<int>& device,
    const std::vector<std::vector<int>>& replicas, int devices, int& peakActive, int& peakTokens,
    const std::vector<int>* only = nullptr);

// True when no score of the row is negative, -0, NaN or infinite.
bool rowValid(const float* row, int n);

// Adds a row's known scores to the utilities.
void addUtility(const float* row, int n, bool hasUnknown, double* acc);

// The vector kernels in use: the best the processor has, lowered by the environment variable
// DELTASCOPE_CPU_KERNELS (scalar, avx2; other values are reported and ignored) or by
// setVectorLevel. Results do not depend on it.
enum VectorLevel : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
int vectorLevel();
// Asks for a level (the processor's best stays the limit); returns the level asked for before.
// For tests and benchmarks that compare the kernels on one machine.
int setVectorLevel(int level);
const char* vectorLevelName(int level);
// False when DELTASCOPE_CPU_KERNELS or setVectorLevel asked for less than AVX-512: kernels that
// need only part of AVX-512 (and run on processors without the whole of it) then stay off too.
bool avx512Allowed();

// The kernels a slice's rows take: kScalar, kAvx2 (dense rows of a multiple of 8 experts, at
// least 16, k <= 8) or kAvx512 (the same with a multiple of 16 experts).
int rowPath(const SliceInput& in);

#if DELTASCOPE_AVX2_DISPATCH
// The target of the AVX-512 kernels (RowKernels512.cpp, RowKernels512Blocks.cpp): each carries
// it and runs only when vectorLevel() says the processor has AVX-512.
#define DELTASCOPE_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512vbmi2,popcnt,bmi,bmi2")))

constexpr int kRankCap = 32; // at most this many candidates are ranked without branches

// The k best among a short list of experts in ascending id order (at most kRankCap), best first.
int topkOfList(const float* row, const int* list, int m, int k, int* ids);

// The k (<= 8) best of a row among the allowed experts (one all-ones or zero lane per expert; null
// allows all), best first; -1 when too many scores tie at the bound.
int topkAvx2(const float* row, int n, int k, const float* allow, int* ids);

// The scalar ranking: the k best allowed experts of the row, best first.
int topkKeys(const float* row, int n, int k, const std::uint64_t* allow, int* ids);

// One pass over a dense row: checks the scores, adds them to the utilities, then the k best
// experts; -1 for a score the kernels cannot order.
int scanRowAvx2(const float* row, int n, int k, double* util, int* ids);

// The AVX-512 kernels (RowKernels512.cpp), for rows of a multiple of 16 experts and k <= 8: the
// same results as the AVX2 ones.
bool scanRow512Fits(int n, int k);
int scanRow512(const float* row, int n, int k, double* util, int* ids);
// Two rows of at most 256 experts at once, as scanRow512 on a then b; false for a score the kernels
// cannot order.
bool scanRowPair512(
    const float* a, const float* b, int n, int k, double* util, int* idsA, int* idsB, int& countA, int& countB);
// Sixteen rows of at most 256 experts (ids: 16 lists of k, one after another), as scanRow512 on
// each in order (every row gets its k best); false for a score the kernels cannot order.
bool scanRows16x512(const float* const* rows, int n, int k, double* util, int* ids);
// The k best of a checked row from its 16 lane maxima (a row the block kernel leaves to the one-row
// path), best first.
int topkFromLaneMaxima512(const float* row, int n, int k, const float* laneMax, int* ids);
// The position of each of n (a multiple of 8, at most 1024) keys in decreasing order, when the keys
// are distinct; false (positions unset) when two are equal.
bool positionsOfDistinct512(const std::uint64_t* keys, int n, std::int32_t* position);
// The k best of a checked row among the allowed experts (bits), best first.
int topkAllowed512(const float* row, int n, int k, const std::uint64_t* allow, int* ids);
// The k best of a checked row among at most 32 experts listed in ascending id order, best first.
int topkOfList512(const float* row, const int* list, int m, int k, int* ids);
// Re-routes a slice's tokens (dense rows, k <= 8, every score checked) within a selected set of at
// most 32 experts (sel: their ids ascending; selMask: as bits), from the baseline (bits per token,
// kOf, tokenMass): adds to used the tokens routed to each expert and sums the kept mass, the
// overlap with the baseline and the unchanged tokens, in the same order as rerouteWithin.
void rerouteSmall512(const SliceInput& in, const int* sel, int m, const std::uint64_t* selMask,
    const std::uint64_t* baseMask, const int* kOf, const double* tokenMass, int* used, double& mass, int& overlap,
    int& unchanged);
#endif

} // namespace deltascope::moe::rows
