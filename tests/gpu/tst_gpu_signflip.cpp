// SPDX-License-Identifier: GPL-3.0-or-later
// Plain CTest executable (no Qt): the CUDA sign-flip test must return exactly the CPU backend's
// p-values for the same inputs and seed. Exit 77 (skipped) without a CUDA device.
#include "CudaBackend.h"
#include "backend/CpuBackend.h"
#include "stats/Combination.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

using namespace deltascope;

int main()
{
    std::string why;
    const auto cuda = gpu::makeCudaBackend(why);
    if (!cuda) {
        std::printf("SKIP: no CUDA device (%s)\n", why.c_str());
        return 77;
    }
    const backend::CpuBackend cpu;
    std::mt19937_64 rng(5);
    int failures = 0;
    struct Case {
        std::size_t n;
        std::uint64_t perms;
        std::vector<std::size_t> offsets;
        bool binary;
    };
    const std::vector<Case> cases { { 1, 100, {}, true }, { 127, 1000, {}, false }, { 128, 777, {}, true },
        { 1000, 5000, { 0, 10, 10, 600, 1000 }, true }, { 25000, 10000, { 0, 5000, 25000 }, false },
        { 4099, 3001, { 0, 1, 4099 }, false } };
    for (const auto& c : cases) {
        std::vector<double> d(c.n);
        std::normal_distribution<double> nd(0.01, 1.0);
        std::uniform_int_distribution<int> flip(-1, 1);
        for (auto& x : d)
            x = c.binary ? flip(rng) : nd(rng);
        stats::SignFlipOptions o;
        o.permutations = c.perms;
        o.seed = rng();
        const auto a = *cpu.signFlip(d, c.offsets, o).value;
        const auto t0 = std::chrono::steady_clock::now();
        const auto run = cuda->signFlip(d, c.offsets, o);
        if (!run.ok()) {
            std::printf("FAIL n=%zu: %s\n", c.n, run.error->message.c_str());
            ++failures;
            continue;
        }
        const auto& b = *run.value;
        const auto t1 = std::chrono::steady_clock::now();
        const bool same = a.pValue == b.pValue && a.pValueLower == b.pValueLower && a.taskPValue == b.taskPValue
            && a.taskPValueLower == b.taskPValueLower && a.statistic == b.statistic;
        std::printf("%s n=%zu P=%llu tasks=%zu: cpu p=%.17g cuda p=%.17g (%.3f ms on the device, with copies)\n",
            same ? "ok  " : "FAIL", c.n, static_cast<unsigned long long>(c.perms), a.taskPValue.size(), a.pValue,
            b.pValue, std::chrono::duration<double>(t1 - t0).count() * 1e3);
        failures += same ? 0 : 1;
    }
    // The studentized combination runs its permutations in batches that continue the stream (and
    // double while a p-value's Monte Carlo interval holds the level): the device's flipped sums of a
    // continued batch must equal the CPU's, and the whole combination must come out the same.
    {
        std::vector<std::int64_t> q(6000);
        std::uniform_int_distribution<int> val(-5000, 5000);
        for (std::size_t i = 0; i < q.size(); ++i)
            q[i] = i < 2000 ? (val(rng) % 2) : val(rng);
        const std::vector<std::size_t> offsets { 0, 2000, 2001, 6000 };
        stats::SignFlipBatch batch;
        batch.first = 4093;
        batch.count = 2500;
        batch.seed = 99;
        const auto a = cpu.signFlipSums(q, offsets, batch);
        const auto b = cuda->signFlipSums(q, offsets, batch);
        const bool same = a.ok() && b.ok() && a.value->sums == b.value->sums;
        std::printf("%s continued batch (first %llu, %llu permutations, 3 tasks): flipped sums %s\n",
            same ? "ok  " : "FAIL", static_cast<unsigned long long>(batch.first),
            static_cast<unsigned long long>(batch.count), same ? "identical" : "differ");
        failures += same ? 0 : 1;

        stats::CombinationOptions co;
        co.permutations = 1000;
        co.maxPermutations = 64000;
        co.level = 0.05 / 3;
        co.exhaustiveLimit = 0;
        auto sourceOf = [&](const backend::ComputeBackend& be) {
            return stats::SumsSource([&be, &q, &offsets](const stats::SignFlipBatch& bt) {
                return static_cast<Result<stats::FlippedSums>>(be.signFlipSums(q, offsets, bt));
            });
        };
        const auto rc = stats::combineTasks(q, offsets, co, sourceOf(cpu));
        const auto rg = stats::combineTasks(q, offsets, co, sourceOf(*cuda));
        const bool sameComb = rc.ok() && rg.ok() && rc.value->permutations == rg.value->permutations
            && rc.value->pooled.hits == rg.value->pooled.hits && rc.value->fisher.hits == rg.value->fisher.hits
            && rc.value->maxZ.hits == rg.value->maxZ.hits;
        std::printf("%s studentized combination: %llu permutations, pooled p = %.6g, Fisher p = %.6g, max p = %.6g\n",
            sameComb ? "ok  " : "FAIL", rc.ok() ? static_cast<unsigned long long>(rc.value->permutations) : 0ULL,
            rc.ok() ? rc.value->pooled.pValue : -1.0, rc.ok() ? rc.value->fisher.pValue : -1.0,
            rc.ok() ? rc.value->maxZ.pValue : -1.0);
        failures += sameComb ? 0 : 1;
    }
    std::printf("%s on %s\n", failures ? "FAILED" : "all identical", cuda->name().c_str());
    return failures ? 1 : 0;
}
