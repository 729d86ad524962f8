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

// Sum of q over the samples of [begin, end) whose sign bit is set.
std::int64_t flippedSum(const std::int64_t* q, const std::uint32_t* bits, std::size_t begin, std::size_t end)
{
    std::int64_t s = 0;
    for (std::size_t i = begin; i < end; ++i) {
        const auto bit = static_cast<std::int64_t>((bits[i >> 5] >> (i & 31)) & 1u);
        s += q[i] & -bit;
    }
    return s;
}

} // namespace

std::vector<std::size_t> normalisedOffsets(std::span<const std::size_t> taskOffsets, std::size_t n)
{
    std::vector<std::size_t> offsets(taskOffsets.begin(), taskOffsets.end());
    if (offsets.size() < 2)
        offsets = { 0, n };
    return offsets;
}

SignFlipResult finishSignFlip(std::span<const double> d, std::span<const std::size_t> taskOffsets,
    const SignFlipOptions& options, const SignFlipCounts& counts)
{
    SignFlipResult result;
    result.permutations = options.permutations;
    result.seed = options.seed;
    const auto offsets = normalisedOffsets(taskOffsets, d.size());
    const std::size_t tasks = offsets.size() - 1;
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
        result.taskPValue[t] = (1.0 + static_cast<double>(counts.upper[t])) / denom;
        result.taskPValueLower[t] = (1.0 + static_cast<double>(counts.lower[t])) / denom;
    }
    result.pValue = (1.0 + static_cast<double>(counts.upper[tasks])) / denom;
    result.pValueLower = (1.0 + static_cast<double>(counts.lower[tasks])) / denom;
    return result;
}

SignFlipResult signFlipTest(
    std::span<const double> d, std::span<const std::size_t> taskOffsets, const SignFlipOptions& options)
{
    const auto offsets = normalisedOffsets(taskOffsets, d.size());
    const std::size_t tasks = offsets.size() - 1;
    const std::vector<std::int64_t> q = quantizeDifferences(d);
    const std::size_t n = q.size();
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    const std::uint64_t perms = options.permutations;

    unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(1, perms)));

    // T* = T - 2 S where S is the sum over flipped samples, so T* >= T exactly when S <= 0.
    // Per thread: hits per task, then the pool at index `tasks`.
    std::vector<std::vector<std::uint64_t>> upper(threads, std::vector<std::uint64_t>(tasks + 1, 0));
    std::vector<std::vector<std::uint64_t>> lower(threads, std::vector<std::uint64_t>(tasks + 1, 0));
    std::atomic<std::uint64_t> done { 0 };
    std::atomic<bool> cancel { false };

    auto worker = [&](unsigned w) {
        std::vector<std::uint32_t> bits(blocks * 4 + 1, 0);
        for (std::uint64_t p = w; p < perms; p += threads) {
            if (cancel.load(std::memory_order_relaxed))
                return;
            for (std::size_t b = 0; b < blocks; ++b) {
                const auto words
                    = Philox4x32::signBlock(options.seed, static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(b));
                std::copy(words.begin(), words.end(), bits.begin() + static_cast<std::ptrdiff_t>(4 * b));
            }
            std::int64_t total = 0;
            for (std::size_t t = 0; t < tasks; ++t) {
                const std::int64_t s = flippedSum(q.data(), bits.data(), offsets[t], offsets[t + 1]);
                total += s;
                upper[w][t] += s <= 0 ? 1u : 0u;
                lower[w][t] += s >= 0 ? 1u : 0u;
            }
            upper[w][tasks] += total <= 0 ? 1u : 0u;
            lower[w][tasks] += total >= 0 ? 1u : 0u;
            done.fetch_add(1, std::memory_order_relaxed);
        }
    };

    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned w = 0; w < threads; ++w)
        pool.emplace_back(worker, w);
    if (options.progress.callback) {
        while (done.load() < perms && !cancel.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            const double frac = perms ? static_cast<double>(done.load()) / static_cast<double>(perms) : 1.0;
            if (!options.progress.report(frac, "permutation test"))
                cancel = true;
        }
    }
    for (auto& t : pool)
        t.join();

    SignFlipCounts counts;
    counts.upper.assign(tasks + 1, 0);
    counts.lower.assign(tasks + 1, 0);
    for (unsigned w = 0; w < threads; ++w)
        for (std::size_t t = 0; t <= tasks; ++t) {
            counts.upper[t] += upper[w][t];
            counts.lower[t] += lower[w][t];
        }
    auto result = finishSignFlip(d, offsets, options, counts);
    result.cancelled = cancel.load();
    return result;
}

} // namespace deltascope::stats
