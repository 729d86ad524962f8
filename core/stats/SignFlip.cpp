// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/SignFlip.h"

#include "stats/Philox.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

namespace deltascope::stats {

std::vector<std::int64_t> quantizeDifferences(std::span<const double> d)
{
    double total = 0.0;
    for (const double v : d)
        total += std::fabs(v);
    std::vector<std::int64_t> q(d.size(), 0);
    if (!(total > 0.0) || !std::isfinite(total))
        return q;
    int exponent = 0;
    std::frexp(total, &exponent); // total < 2^exponent
    // Leave one bit of head room for the rounding of each term.
    const int scale = 61 - exponent;
    for (std::size_t i = 0; i < d.size(); ++i)
        q[i] = std::llround(std::ldexp(d[i], scale));
    return q;
}

namespace {

constexpr std::size_t kBlock = 128;

// Sum of q over the samples of one whole 32-bit word of sign bits: written so that the compiler
// vectorises it (the AVX2 clone shifts each lane by its own count).
__attribute__((target_clones("avx2", "default"))) std::int64_t wordSum(const std::int64_t* q, std::uint32_t word)
{
    std::int64_t s = 0;
    for (unsigned j = 0; j < 32; ++j)
        s += q[j] & -static_cast<std::int64_t>((word >> j) & 1u);
    return s;
}

// Sum of q over the samples of [begin, end) whose sign bit is set.
std::int64_t flippedSum(const std::int64_t* q, const std::uint32_t* bits, std::size_t begin, std::size_t end)
{
    std::int64_t s = 0;
    std::size_t i = begin;
    for (; i < end && (i & 31) != 0; ++i)
        s += q[i] & -static_cast<std::int64_t>((bits[i >> 5] >> (i & 31)) & 1u);
    for (; i + 32 <= end; i += 32)
        s += wordSum(q + i, bits[i >> 5]);
    for (; i < end; ++i)
        s += q[i] & -static_cast<std::int64_t>((bits[i >> 5] >> (i & 31)) & 1u);
    return s;
}

} // namespace

bool offsetsTile(std::span<const std::size_t> offsets, std::size_t n)
{
    if (offsets.size() < 2)
        return offsets.empty();
    if (offsets.front() != 0 || offsets.back() != n)
        return false;
    for (std::size_t i = 1; i < offsets.size(); ++i)
        if (offsets[i] < offsets[i - 1])
            return false;
    return true;
}

std::vector<std::size_t> normalisedOffsets(std::span<const std::size_t> taskOffsets, std::size_t n)
{
    std::vector<std::size_t> offsets(taskOffsets.begin(), taskOffsets.end());
    if (offsets.size() < 2)
        offsets = { 0, n };
    return offsets;
}

FlippedSums flippedSums(
    std::span<const std::int64_t> q, std::span<const std::size_t> taskOffsets, const SignFlipBatch& batch)
{
    const auto offsets = normalisedOffsets(taskOffsets, q.size());
    const std::size_t tasks = offsets.size() - 1;
    const std::size_t blocks = (q.size() + kBlock - 1) / kBlock;
    const std::uint64_t count = batch.count;
    FlippedSums out;
    out.sums.assign(count * tasks, 0);

    unsigned threads = batch.threads ? batch.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(1, count)));
    std::atomic<std::uint64_t> done { 0 };
    std::atomic<bool> cancel { false };

    auto worker = [&](unsigned w) {
        std::vector<std::uint32_t> bits(blocks * 4 + 1, 0);
        for (std::uint64_t k = w; k < count; k += threads) {
            if (cancel.load(std::memory_order_relaxed))
                return;
            const std::uint64_t p = batch.first + k;
            for (std::size_t b = 0; b < blocks; ++b) {
                const auto words
                    = Philox4x32::signBlock(batch.seed, static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(b));
                std::copy(words.begin(), words.end(), bits.begin() + static_cast<std::ptrdiff_t>(4 * b));
            }
            std::int64_t* row = out.sums.data() + k * tasks;
            for (std::size_t t = 0; t < tasks; ++t)
                row[t] = flippedSum(q.data(), bits.data(), offsets[t], offsets[t + 1]);
            done.fetch_add(1, std::memory_order_relaxed);
        }
    };

    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned w = 0; w < threads; ++w)
        pool.emplace_back(worker, w);
    if (batch.progress.callback) {
        while (done.load() < count && !cancel.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            const double frac = count ? static_cast<double>(done.load()) / static_cast<double>(count) : 1.0;
            if (!batch.progress.report(frac, "permutation test"))
                cancel = true;
        }
    }
    for (auto& t : pool)
        t.join();
    out.cancelled = cancel.load();
    return out;
}

SignFlipResult signFlipFromSums(std::span<const double> d, std::span<const std::size_t> taskOffsets,
    const SignFlipOptions& options, const FlippedSums& flipped)
{
    SignFlipResult result;
    result.permutations = options.permutations;
    result.seed = options.seed;
    result.cancelled = flipped.cancelled;
    const auto offsets = normalisedOffsets(taskOffsets, d.size());
    const std::size_t tasks = offsets.size() - 1;
    // T* = T - 2 F, F the flipped sum, so T* >= T exactly when F <= 0 (per task and for the pool).
    std::vector<std::uint64_t> upper(tasks + 1, 0);
    std::vector<std::uint64_t> lower(tasks + 1, 0);
    const std::size_t rows = tasks ? flipped.sums.size() / tasks : 0;
    for (std::size_t k = 0; k < rows; ++k) {
        std::int64_t total = 0;
        for (std::size_t t = 0; t < tasks; ++t) {
            const std::int64_t f = flipped.sums[k * tasks + t];
            total += f;
            upper[t] += f <= 0 ? 1u : 0u;
            lower[t] += f >= 0 ? 1u : 0u;
        }
        upper[tasks] += total <= 0 ? 1u : 0u;
        lower[tasks] += total >= 0 ? 1u : 0u;
    }
    for (const double v : d)
        result.statistic += v;
    result.taskStatistic.assign(tasks, 0.0);
    for (std::size_t t = 0; t < tasks; ++t)
        for (std::size_t i = offsets[t]; i < offsets[t + 1]; ++i)
            result.taskStatistic[t] += d[i];
    const double denom = 1.0 + static_cast<double>(options.permutations);
    result.taskPValue.resize(tasks);
    result.taskPValueLower.resize(tasks);
    for (std::size_t t = 0; t < tasks; ++t) {
        result.taskPValue[t] = (1.0 + static_cast<double>(upper[t])) / denom;
        result.taskPValueLower[t] = (1.0 + static_cast<double>(lower[t])) / denom;
    }
    result.pValue = (1.0 + static_cast<double>(upper[tasks])) / denom;
    result.pValueLower = (1.0 + static_cast<double>(lower[tasks])) / denom;
    return result;
}

SignFlipResult signFlipTest(
    std::span<const double> d, std::span<const std::size_t> taskOffsets, const SignFlipOptions& options)
{
    const auto offsets = normalisedOffsets(taskOffsets, d.size());
    const std::vector<std::int64_t> q = quantizeDifferences(d);
    SignFlipBatch batch;
    batch.count = options.permutations;
    batch.seed = options.seed;
    batch.threads = options.threads;
    batch.progress = options.progress;
    return signFlipFromSums(d, offsets, options, flippedSums(q, offsets, batch));
}

} // namespace deltascope::stats
