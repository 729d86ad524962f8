// SPDX-License-Identifier: GPL-3.0-or-later
// The all-budgets sweep's AVX-512 column walk and its sums (walkColumns, declared in Sweep512.h);
// the layout it walks is ColumnLayout512.cpp's, the running peaks SweepPeaks512.cpp's. Tested bit for bit against the
// portable walk of XShareSweep.cpp.
#include "moe/RowKernels.h"
#include "moe/Sweep512.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#if DELTASCOPE_AVX2_DISPATCH
#include "moe/ColumnLayout512.h"

#include <immintrin.h>
#endif

namespace deltascope::moe::detail {

using namespace rows;

#if DELTASCOPE_AVX2_DISPATCH
namespace {

// GCC 12's AVX-512 headers start some conversions from an undefined register and warn about it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

bool hasAvx512()
{
    static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    return yes && avx512Allowed(); // DELTASCOPE_CPU_KERNELS=avx2 or scalar turns it off too
}

// The column walk: the tokens of a chunk walk the order together, one vector lane each, so no
// token waits on its own chain of insertions. Each lane holds its token's k best keys of the prefix
// as k registers, best first (zero for an empty place, below every key); an expert's key enters
// every lane at once by new[j] = max(old[j], min(old[j - 1], key)), and the lanes where it beats
// the old last key are the tokens that take it (displacing that key where it was not empty). The
// walk writes down, per position, which lanes took the expert and which expert they displaced; the
// slice then adds those up per budget in token order, so the sums are bit for bit walkPortable's.
//
// Sixteen lanes walk at once on 32-bit keys: the score's bits with the last b cleared, above
// 2^b - 1 - expert, with b the fewest bits that leave every key above zero (8 for 128 experts, 9
// for 256). Such a key orders like the exact (score, lower id) order except between two scores
// equal in all but their last b bits, and compares as a float, whose minimum and maximum run
// several times faster than those of the exact 64-bit keys (the score's bits above the inverted
// id). Where such a near tie could decide what a lane takes or displaces, the group walks again,
// eight lanes at a time, on the exact keys.
constexpr int kChunk = 64; ///< tokens walked per chunk: 4 groups of 16 lanes
constexpr std::size_t kRow = 80; ///< entries per row of lost: the chunk's lanes, then 16 pads
constexpr std::uint32_t kNoExpert = 256; ///< the expert of lost's pads: a slot past every expert
constexpr std::size_t kSlots = 257;
/// The low bits of the short keys of a slice of N experts (N <= 256): the least 2^b - 1 >= N, so
/// that 2^b - 1 - expert is never zero.
inline std::uint32_t idBitsOf(int N)
{
    std::uint32_t bits = 1;
    while (bits < static_cast<std::uint32_t>(N))
        bits = 2 * bits + 1;
    return bits;
}
/// What the walks leave in held: a short key, or the low half of an exact key (~expert), both
/// zero for an empty place and with the expert recovered the same way.
inline std::size_t heldExpert(std::uint32_t key, std::uint32_t idBits)
{
    return (key & idBits) ^ idBits;
}

struct ColumnWalk {
    std::vector<float> store; ///< backs cols, aligned
    std::vector<std::uint32_t> idStore; ///< backs lost and padIds, aligned
    /// [expert][kColRow] the chunk's scores by expert (unknown past its tokens); row kNoExpert is
    /// zeros, the score of nothing displaced
    float* cols = nullptr;
    /// [position][kRow] the expert a lane displaced there; kNoExpert where it displaced none, and
    /// in lanes 64-79
    std::uint32_t* lost = nullptr;
    std::uint32_t* padIds = nullptr; ///< kRow times kNoExpert
    std::vector<std::uint64_t> notId; ///< [position] the inverted id of the expert there, the low half of its keys
    std::uint32_t idBits = 0x1ff; ///< the low bits of the slice's short keys (idBitsOf)
    std::vector<std::uint32_t> shortId; ///< [position] idBits - the expert there, the low bits of its short keys
    bool shortKeys = true; ///< whether the groups walk on short keys first
    std::vector<std::uint32_t> colAt; ///< [position] the offset of its expert's row in cols
    std::vector<std::uint8_t> took; ///< [position][8 groups] lanes that took the expert there
    std::vector<std::uint8_t> displaced; ///< [position][8 groups] lanes where that displaced a key
    /// [group of 16][8 places][16 lanes] what the lanes hold after the walk (see heldExpert)
    std::vector<std::uint32_t> held;
    std::vector<float> unknownRow; ///< a row of unknown scores for lanes past the chunk's tokens
    std::vector<int> leave; ///< [4][kSlots] per budget of four: each expert's last budget held (N + 1: to the end)
    std::vector<std::uint64_t> lossByte; ///< [kSlots] 1 in the byte of the expert's device (0 for kNoExpert)
    std::vector<int> lossStore; ///< backs lossWords, aligned
    /// [budget][8] the displaced experts per device (up to 8 devices, no copies), counted by the
    /// masses' pass in aligned rows of their own and taken off the slice's tokens per device once,
    /// after its last chunk: a masked update of the packed [budget][device] rows stalls on the
    /// store before it
    int* lossWords = nullptr;
    std::vector<int> lossRows; ///< lossWords packed as [budget][device]
    float* zeros = nullptr; ///< cols' row kNoExpert: kColRow zeros
    const float* laidCols = nullptr; ///< the layout whose pad lanes are in place
    const std::uint32_t* laidLost = nullptr;
    std::size_t laidExperts = 0;
    std::size_t laidSteps = 0;

    template <typename T> static std::uintptr_t aligned64(T* p)
    {
        return (reinterpret_cast<std::uintptr_t>(p) + 63) & ~static_cast<std::uintptr_t>(63);
    }

    template <typename T> static std::uintptr_t aligned32(T* p)
    {
        return (reinterpret_cast<std::uintptr_t>(p) + 31) & ~static_cast<std::uintptr_t>(31);
    }

    void size(int experts, int steps)
    {
        const auto E = static_cast<std::size_t>(experts);
        const auto P = static_cast<std::size_t>(std::max(steps, 1));
        const std::size_t floats = kSlots * kColRow + 16;
        if (store.size() < floats)
            store.resize(floats);
        cols = reinterpret_cast<float*>(aligned64(store.data()));
        zeros = cols + kNoExpert * kColRow;
        const std::size_t ids = (P + 1) * kRow + 16;
        if (idStore.size() < ids)
            idStore.resize(ids);
        lost = reinterpret_cast<std::uint32_t*>(aligned64(idStore.data()));
        padIds = lost + P * kRow;
        // Lanes 64-79 of every row are pads, as is the row after the last: the sums read a lane
        // past the last event there, which adds +0 and marks the spare slot kNoExpert.
        if (cols != laidCols || lost != laidLost || E != laidExperts || P != laidSteps) {
            for (std::size_t r = 0; r < E; ++r)
                std::fill_n(cols + r * kColRow + kChunk, kColRow - kChunk, 0.0f);
            std::fill_n(zeros, kColRow, 0.0f);
            for (std::size_t r = 0; r < P; ++r)
                std::fill_n(lost + r * kRow + kChunk, kRow - kChunk, kNoExpert);
            std::fill_n(padIds, kRow, kNoExpert);
            laidCols = cols;
            laidLost = lost;
            laidExperts = E;
            laidSteps = P;
        }
        if (took.size() < P * 8) {
            took.resize(P * 8);
            displaced.resize(P * 8);
        }
        held.resize(4 * 8 * 16);
        if (lossStore.size() < (P + 1) * 8 + 8)
            lossStore.resize((P + 1) * 8 + 8);
        lossWords = reinterpret_cast<int*>(aligned32(lossStore.data()));
        if (lossRows.size() < (P + 1) * 8)
            lossRows.resize((P + 1) * 8);
        if (unknownRow.size() < E + 8)
            unknownRow.assign(E + 8, kUnknown);
        if (leave.size() != 4 * kSlots)
            leave.assign(4 * kSlots, 0); // each chunk clears what it used
        lossByte.resize(kSlots);
    }
};

// Whether the masses' pass counts the displaced experts per device, packed in the bytes of one
// register (then they are taken off the slice's per-device tokens after its last chunk).
inline bool packedLosses(const Walk& c)
{
    return c.devices <= 8 && !c.replicated;
}

// vpternlogd's tables of its operands a, b, c: (a & ~b) | c, and ~b & c.
constexpr int kTableA = 0xf0;
constexpr int kTableB = 0xcc;
constexpr int kTableC = 0xaa;
constexpr int kKeyOf = (kTableA & ~kTableB & 0xff) | kTableC;
constexpr int kIdOf = ~kTableB & kTableC & 0xff;

// One group of eight lanes (lanes 8 group .. 8 group + 7 of the chunk) over the first `steps`
// positions on the exact keys (cols already offset to the group). Without unknown scores in the
// slice, no key needs clearing.
template <int K, bool Unknown>
__attribute__((target("avx512f,avx512vl,bmi,bmi2,popcnt"))) void walkGroup(
    const float* cols, int steps, int group, ColumnWalk& w)
{
    __m512i best[K];
    for (int j = 0; j < K; ++j)
        best[j] = _mm512_setzero_si512();
    const __m512i unknownBits = _mm512_set1_epi64(0xff800000LL);
    const __m256i none = _mm256_set1_epi32(static_cast<int>(kNoExpert));
    const auto g = static_cast<std::size_t>(group);
    const std::uint32_t* colAt = w.colAt.data();
    const std::uint64_t* notId = w.notId.data();
    // Kept in registers: the byte stores below could otherwise alias w's members.
    std::uint8_t* took = w.took.data() + g;
    std::uint8_t* displaced = w.displaced.data() + g;
    std::uint32_t* lost = w.lost + 8 * g;
    for (int p = 0; p < steps; ++p) {
        const auto pz = static_cast<std::size_t>(p);
        const __m512i bits
            = _mm512_cvtepu32_epi64(_mm256_load_si256(reinterpret_cast<const __m256i*>(cols + colAt[pz])));
        const __m512i high = _mm512_slli_epi64(bits, 32);
        const __m512i low = _mm512_set1_epi64(static_cast<long long>(notId[pz]));
        const __m512i key = Unknown ? _mm512_maskz_or_epi64(_mm512_cmpneq_epu64_mask(bits, unknownBits), high, low)
                                    : _mm512_or_epi64(high, low);
        const __m512i worst = best[K - 1];
        const __mmask8 take = _mm512_cmpgt_epu64_mask(key, worst);
        const __mmask8 displace = _mm512_mask_test_epi64_mask(take, worst, worst);
#pragma GCC unroll 8
        for (int j = K - 1; j > 0; --j)
            best[j] = _mm512_max_epu64(best[j], _mm512_min_epu64(best[j - 1], key));
        best[0] = _mm512_max_epu64(best[0], key);
        took[pz * 8] = static_cast<std::uint8_t>(take);
        displaced[pz * 8] = static_cast<std::uint8_t>(displace);
        // The displaced expert: ~(the low half of its key)
        const __m256i ids = _mm256_xor_si256(_mm512_cvtepi64_epi32(worst), _mm256_set1_epi32(-1));
        _mm256_store_si256(reinterpret_cast<__m256i*>(lost + pz * kRow), _mm256_mask_blend_epi32(displace, none, ids));
    }
    // Into the halves of the group of sixteen's held rows.
    std::uint32_t* held = w.held.data() + (g / 2) * 128 + (g % 2) * 8;
    for (int j = 0; j < 8; ++j)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(held + static_cast<std::size_t>(j) * 16),
            j < K ? _mm512_cvtepi64_epi32(best[j]) : _mm256_setzero_si256());
}

// Sixteen lanes (lanes 16 group .. 16 group + 15 of the chunk) over the first `steps` positions on
// short keys (cols already offset to the group). Returns false, its output unfinished, at the
// first near tie that could decide a lane's take or what it displaces: the key entering equal to
// the last held (a full place's) in the bits the short key keeps, or the two last held so where
// one is displaced. Without nearTies (no score of the group uses the bits the short key drops)
// every key is exact.
template <int K, bool Unknown>
__attribute__((target("avx512f,avx512vl,bmi,bmi2,popcnt"))) bool walkGroup16(
    const float* cols, int steps, int group, bool nearTies, ColumnWalk& w)
{
    __m512 best[K];
    for (int j = 0; j < K; ++j)
        best[j] = _mm512_setzero_ps();
    const __m512i unknownBits = _mm512_set1_epi32(static_cast<int>(0xff800000u));
    const __m512i idBits = _mm512_set1_epi32(static_cast<int>(w.idBits));
    const __m512i scoreBits = _mm512_set1_epi32(static_cast<int>(~w.idBits));
    const __m512i none = _mm512_set1_epi32(static_cast<int>(kNoExpert));
    const auto g = static_cast<std::size_t>(group);
    const std::uint32_t* colAt = w.colAt.data();
    const std::uint32_t* shortId = w.shortId.data();
    auto* took = reinterpret_cast<std::uint16_t*>(w.took.data() + 2 * g);
    auto* displaced = reinterpret_cast<std::uint16_t*>(w.displaced.data() + 2 * g);
    std::uint32_t* lost = w.lost + 16 * g;
    for (int p = 0; p < steps; ++p) {
        const auto pz = static_cast<std::size_t>(p);
        const __m512i bits = _mm512_load_si512(cols + colAt[pz]);
        const __m512i low = _mm512_set1_epi32(static_cast<int>(shortId[pz]));
        // (bits & ~idBits) | low
        __mmask16 known = 0xffff;
        __m512i key;
        if constexpr (Unknown) {
            known = _mm512_cmpneq_epi32_mask(bits, unknownBits);
            key = _mm512_maskz_ternarylogic_epi32(known, bits, idBits, low, kKeyOf);
        } else {
            key = _mm512_ternarylogic_epi32(bits, idBits, low, kKeyOf);
        }
        const __m512i worst = _mm512_castps_si512(best[K - 1]);
        const __mmask16 take = _mm512_cmpgt_epu32_mask(key, worst);
        const __mmask16 occupied = _mm512_test_epi32_mask(worst, worst); // an empty place takes any key
        const __mmask16 displace = take & occupied;
        __mmask16 near = _mm512_mask_testn_epi32_mask(known & occupied, _mm512_xor_si512(key, worst), scoreBits);
        if constexpr (K > 1)
            near |= _mm512_mask_testn_epi32_mask(
                displace, _mm512_xor_si512(_mm512_castps_si512(best[K - 2]), worst), scoreBits);
        if (near != 0 && nearTies)
            return false;
        const __m512 entering = _mm512_castsi512_ps(key);
#pragma GCC unroll 8
        for (int j = K - 1; j > 0; --j)
            best[j] = _mm512_max_ps(best[j], _mm512_min_ps(best[j - 1], entering));
        best[0] = _mm512_max_ps(best[0], entering);
        took[pz * 4] = static_cast<std::uint16_t>(take);
        displaced[pz * 4] = static_cast<std::uint16_t>(displace);
        // The displaced expert, (worst & idBits) ^ idBits, where one was.
        _mm512_store_si512(lost + pz * kRow, _mm512_mask_ternarylogic_epi32(none, displace, worst, idBits, kIdOf));
    }
    std::uint32_t* held = w.held.data() + g * 128;
    for (int j = 0; j < 8; ++j)
        _mm512_storeu_si512(
            held + static_cast<std::size_t>(j) * 16, j < K ? _mm512_castps_si512(best[j]) : _mm512_setzero_si512());
    return true;
}

#pragma GCC diagnostic pop

// The masses of the budgets before the first position where a lane displaced a key, as the
// lanes fill their k places (in a dense slice, the first k): eight positions at a time, one per
// vector lane, each adding the scores of the lanes that took its expert in token order, as
// sumChunk does, so the sums are the same to the bit (subtracting nothing is adding +0). Returns
// the number of positions done.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f,avx512vl"))) int fillSums(const Walk& c, ColumnWalk& w, int stop)
{
    int fills = 0;
    while (fills < stop) {
        std::uint64_t d;
        std::memcpy(&d, w.displaced.data() + static_cast<std::size_t>(fills) * 8, sizeof d);
        if (d != 0)
            break;
        ++fills;
    }
    for (int p = 0; p < fills; p += 8) {
        const int n = std::min(8, fills - p);
        const auto positions = static_cast<__mmask8>((1u << n) - 1);
        const auto pz = static_cast<std::size_t>(p);
        const float* rows[8];
        for (int i = 0; i < 8; ++i)
            rows[i] = i < n ? w.cols + static_cast<std::size_t>(c.order[p + i]) * kColRow : w.zeros;
        const __m512i took = _mm512_maskz_loadu_epi64(positions, w.took.data() + pz * 8);
        __m512d mass = _mm512_maskz_loadu_pd(positions, c.diffMass + pz + 1);
        __m512i bit = _mm512_set1_epi64(1);
        for (int e = 0; e < kChunk; e += 8) {
            // Lanes e .. e + 7 of the eight rows, by lane.
            __m256 r[8];
            for (int i = 0; i < 8; ++i)
                r[i] = _mm256_load_ps(rows[i] + e);
            __m256 lane[8];
            transpose8x8(r, lane);
            for (int j = 0; j < 8; ++j) {
                const __mmask8 takes = _mm512_test_epi64_mask(took, bit);
                mass = _mm512_mask_add_pd(mass, takes, mass, _mm512_cvtps_pd(lane[j]));
                bit = _mm512_add_epi64(bit, bit);
            }
        }
        _mm512_mask_storeu_pd(c.diffMass + pz + 1, positions, mass);
    }
    return fills;
}
#pragma GCC diagnostic pop

// The masses of the first `stop` budgets, four at a time: each budget's sum runs over its tokens
// in order, and the four run side by side (one finished early reads lane 64's pads, adding +0,
// until the others are done). With Losses, the same pass counts the displaced experts: each of the
// four budgets has its own leave slots, and its losses per device add up in the bytes of one
// register (up to 8 devices, no copies). A lane that took without displacing reads the pad key,
// which counts nothing.
template <bool Losses>
__attribute__((target("avx512f,bmi,bmi2,popcnt"))) void sumChunk(const Walk& c, ColumnWalk& w, int stop)
{
    int* leave = w.leave.data();
    for (int p = fillSums(c, w, stop); p < stop; p += 4) {
        std::uint64_t m[4];
        double mass[4];
        const float* gain[4];
        const std::uint32_t* lostAt[4];
        std::uint64_t loss[4] = { 0, 0, 0, 0 };
        for (int i = 0; i < 4; ++i) {
            const int q = p + i;
            m[i] = 0;
            mass[i] = 0.0;
            gain[i] = w.zeros;
            lostAt[i] = w.padIds;
            if (q < stop) {
                const auto qz = static_cast<std::size_t>(q);
                std::memcpy(&m[i], w.took.data() + qz * 8, sizeof m[i]);
                mass[i] = c.diffMass[qz + 1];
                gain[i] = w.cols + static_cast<std::size_t>(c.order[q]) * kColRow;
                lostAt[i] = w.lost + qz * kRow;
            }
        }
        while ((m[0] | m[1] | m[2] | m[3]) != 0)
            for (int i = 0; i < 4; ++i) {
                const auto lane = static_cast<std::size_t>(_tzcnt_u64(m[i]));
                m[i] = _blsr_u64(m[i]);
                const std::size_t e = lostAt[i][lane];
                mass[i] -= static_cast<double>(w.cols[e * kColRow + lane]); // +0 where nothing was displaced
                mass[i] += static_cast<double>(gain[i][lane]);
                if constexpr (Losses) {
                    leave[static_cast<std::size_t>(i) * kSlots + e] = p + i + 1;
                    loss[i] += w.lossByte[e];
                }
            }
        for (int i = 0; i < 4 && p + i < stop; ++i) {
            c.diffMass[static_cast<std::size_t>(p + i) + 1] = mass[i];
            if constexpr (Losses) {
                auto* words = reinterpret_cast<__m256i*>(w.lossWords + static_cast<std::size_t>(p + i + 1) * 8);
                const __m256i bytes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(loss[i])));
                _mm256_store_si256(words, _mm256_add_epi32(_mm256_load_si256(words), bytes));
            }
        }
    }
}

// Takes the displaced experts counted in lossWords over budgets 1..steps off the slice's tokens
// per device, and clears lossWords for the next slice.
__attribute__((target("avx512f,avx512vl"))) void foldLosses(const Walk& c, int steps, ColumnWalk& w)
{
    const std::size_t G = c.devices;
    const auto last = static_cast<std::size_t>(std::max(steps, 0));
    const auto lanes = static_cast<__mmask8>((1u << G) - 1);
    int* rows = w.lossRows.data();
    for (std::size_t m = 1; m <= last; ++m)
        _mm256_mask_storeu_epi32(
            rows + m * G, lanes, _mm256_load_si256(reinterpret_cast<const __m256i*>(w.lossWords + m * 8)));
    int* diff = c.devTokenDiff;
    for (std::size_t i = G; i < (last + 1) * G; ++i)
        diff[i] -= rows[i];
    std::fill_n(w.lossWords, (last + 1) * 8, 0);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Walks tokens [first, first + count) (count <= kChunk) by columns, then adds what they did to the
// slice's differences, position by position in token order.
__attribute__((target("avx512f,bmi,bmi2,popcnt"))) void walkChunk(
    const SliceInput& in, const Walk& c, const int* limit, int first, int count, int steps, int N, ColumnWalk& w)
{
    const int groups = (count + 15) / 16;
    int stop = 0;
    for (int i = 0; i < count; ++i)
        stop = std::max(stop, limit[first + i]);
    stop = std::min(stop, steps);
    std::fill_n(w.took.begin(), static_cast<std::size_t>(stop) * 8, std::uint8_t { 0 });
    std::fill_n(w.displaced.begin(), static_cast<std::size_t>(stop) * 8, std::uint8_t { 0 });
    using GroupWalk = void (*)(const float*, int, int, ColumnWalk&);
    static constexpr GroupWalk exactWalks[2][8]
        = { { walkGroup<1, false>, walkGroup<2, false>, walkGroup<3, false>, walkGroup<4, false>, walkGroup<5, false>,
                walkGroup<6, false>, walkGroup<7, false>, walkGroup<8, false> },
              { walkGroup<1, true>, walkGroup<2, true>, walkGroup<3, true>, walkGroup<4, true>, walkGroup<5, true>,
                  walkGroup<6, true>, walkGroup<7, true>, walkGroup<8, true> } };
    using ShortWalk = bool (*)(const float*, int, int, bool, ColumnWalk&);
    static constexpr ShortWalk shortWalks[2][8]
        = { { walkGroup16<1, false>, walkGroup16<2, false>, walkGroup16<3, false>, walkGroup16<4, false>,
                walkGroup16<5, false>, walkGroup16<6, false>, walkGroup16<7, false>, walkGroup16<8, false> },
              { walkGroup16<1, true>, walkGroup16<2, true>, walkGroup16<3, true>, walkGroup16<4, true>,
                  walkGroup16<5, true>, walkGroup16<6, true>, walkGroup16<7, true>, walkGroup16<8, true> } };
    for (int g = 0; g < groups; ++g) {
        // The group laid out by expert (lanes past the tokens read unknown scores).
        const float* rows[16];
        for (int i = 0; i < 16; ++i)
            rows[i] = 16 * g + i < count ? rowOf(in, first + 16 * g + i) : w.unknownRow.data();
        const auto lanes = static_cast<std::size_t>(16 * g);
        // Where no score of the group has any of the bits the short keys drop (as in traces stored in 16
        // bits), the short keys are exact and a near tie is an exact one, which they order right.
        const bool nearTies = (transposePair(rows, N, w.cols + lanes) & w.idBits) != 0;
        int groupStop = 0;
        for (int i = 0; i < 16 && 16 * g + i < count; ++i)
            groupStop = std::max(groupStop, limit[first + 16 * g + i]);
        groupStop = std::min(groupStop, stop);
        const bool unknown = in.hasUnknown || 16 * g + 16 > count; // lanes past the tokens read unknown scores
        if (w.shortKeys && shortWalks[unknown ? 1 : 0][c.k - 1](w.cols + lanes, groupStop, g, nearTies, w))
            continue;
        // Near ties: each half again on exact keys, over the same positions, so that every
        // position the short walk wrote is written again.
        for (int h = 0; h < 2; ++h) {
            const bool unknownHalf = in.hasUnknown || 16 * g + 8 * h + 8 > count;
            exactWalks[unknownHalf ? 1 : 0][c.k - 1](
                w.cols + lanes + 8 * static_cast<std::size_t>(h), groupStop, 2 * g + h, w);
        }
    }
    for (int p = 0; p < stop; ++p) {
        const auto pz = static_cast<std::size_t>(p);
        std::uint64_t took;
        std::memcpy(&took, w.took.data() + pz * 8, sizeof took);
        const int joins = __builtin_popcountll(took);
        c.joined[pz + 1] += joins;
        if (c.replicated)
            c.expertDiff[static_cast<std::size_t>(c.order[p]) * c.stride + pz + 1] += joins;
    }
    // The displaced experts. Positions rise, so the last store is each expert's latest leave. With
    // up to 8 devices (and no copies), they are counted in the masses' pass below.
    int* leave = w.leave.data();
    if (packedLosses(c)) {
        for (int e = 0; e < N; ++e)
            w.lossByte[static_cast<std::size_t>(e)] = std::uint64_t { 1 }
                << (8 * c.deviceOf[static_cast<std::size_t>(e)]);
        w.lossByte[kNoExpert] = 0;
        sumChunk<true>(c, w, stop);
    } else {
        for (int p = 0; p < stop; ++p) {
            const auto pz = static_cast<std::size_t>(p);
            const auto M = pz + 1;
            std::uint64_t displaced;
            std::memcpy(&displaced, w.displaced.data() + pz * 8, sizeof displaced);
            const std::uint32_t* ids = w.lost + pz * kRow;
            int* devLoss = c.devTokenDiff + M * c.devices;
            for (std::uint64_t m = displaced; m != 0; m &= m - 1) {
                const std::size_t wz = ids[_tzcnt_u64(m)];
                leave[wz] = static_cast<int>(M);
                devLoss[c.deviceOf[wz]] -= 1;
                if (c.replicated)
                    c.expertDiff[wz * c.stride + M] -= 1;
            }
        }
        sumChunk<false>(c, w, stop);
    }
    // What the tokens hold after the last position stays active to the end. After every position
    // that is each token's own top k, which the slice adds once (sweepSliceWith).
    for (int g = 0; g < (steps < N ? groups : 0); ++g)
        for (int i = 0; i < 16 * c.k; ++i) {
            const std::uint32_t key = w.held[static_cast<std::size_t>(g) * 128 + static_cast<std::size_t>(i)];
            if (key != 0)
                leave[heldExpert(key, w.idBits)] = N + 1;
        }
    // Each expert's latest leave, clearing its slots for the next chunk on the way (only the pads'
    // slot, kNoExpert, is left as it is: no chunk reads it).
    for (std::size_t e = 0; e < static_cast<std::size_t>(N); ++e) {
        const int a = std::max(leave[e], leave[kSlots + e]);
        const int b = std::max(leave[2 * kSlots + e], leave[3 * kSlots + e]);
        c.maxEnd[e] = std::max(c.maxEnd[e], std::max(a, b));
        leave[e] = 0;
        leave[kSlots + e] = 0;
        leave[2 * kSlots + e] = 0;
        leave[3 * kSlots + e] = 0;
    }
}
#pragma GCC diagnostic pop

} // namespace

bool sweep512Available()
{
    return hasAvx512();
}

bool walkColumns(const SliceInput& in, const Walk& c, const int* limits, int steps)
{
    const int N = in.experts;
    if (N > 256 || c.k < 1 || c.k > 8 || !hasAvx512())
        return false;
    static thread_local ColumnWalk w;
    w.size(N, steps);
    const auto P = static_cast<std::size_t>(std::max(steps, 0));
    w.notId.resize(P);
    w.shortId.resize(P);
    w.colAt.resize(P);
    // Short keys compare as floats, some of them subnormal: not where the floating-point state
    // treats those as zero (DAZ) or flushes them (FTZ).
    w.shortKeys = (_mm_getcsr() & 0x8040u) == 0;
    w.idBits = idBitsOf(N);
    for (std::size_t p = 0; p < P; ++p) {
        const auto x = static_cast<std::uint32_t>(c.order[p]);
        w.notId[p] = static_cast<std::uint32_t>(~x);
        w.shortId[p] = x ^ w.idBits;
        w.colAt[p] = x * static_cast<std::uint32_t>(kColRow);
    }
    for (int first = 0; first < in.tokens; first += kChunk)
        walkChunk(in, c, limits, first, std::min(kChunk, in.tokens - first), steps, N, w);
    if (packedLosses(c))
        foldLosses(c, steps, w);
    return true;
}
#else
bool sweep512Available()
{
    return false;
}

bool walkColumns(const SliceInput&, const Walk&, const int*, int)
{
    return false;
}
#endif

} // namespace deltascope::moe::detail
