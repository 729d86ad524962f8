// SPDX-License-Identifier: GPL-3.0-or-later
// Times the statistics alone: exact tests and aggregation for many tasks of many samples, and
// the sign-flip permutation test (DESIGN 6 targets: < 50 ms for 100 tasks x 1M samples after
// loading; < 0.5 s for 25,000 samples x 10,000 permutations on 2 cores).
#include "eval/Pairing.h"
#include "report/ComparisonReport.h"
#include "stats/SignFlip.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

using namespace deltascope;
using Clock = std::chrono::steady_clock;

int main()
{
    // 100 tasks x 1M paired binary samples (already loaded and paired).
    eval::PairedRuns paired;
    std::mt19937_64 g(1);
    std::bernoulli_distribution right(0.7);
    std::bernoulli_distribution flip(0.03);
    for (int t = 0; t < 100; ++t) {
        eval::PairedTask pt;
        pt.task = "task" + std::to_string(t);
        pt.base.resize(1'000'000);
        pt.cand.resize(1'000'000);
        for (std::size_t i = 0; i < pt.base.size(); ++i) {
            pt.base[i] = right(g) ? 1.0 : 0.0;
            pt.cand[i] = flip(g) ? 1.0 - pt.base[i] : pt.base[i];
        }
        paired.tasks.push_back(std::move(pt));
    }
    // Pairing summarises each task as it pairs (counts and sums); timed here on its own.
    const auto s0 = Clock::now();
    for (auto& pt : paired.tasks)
        pt.summarize();
    const auto s1 = Clock::now();
    std::printf("pair summaries (part of pairing), 100 tasks x 1M samples: %.1f ms\n",
        std::chrono::duration<double>(s1 - s0).count() * 1e3);
    const eval::EvalRun none;
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = Clock::now();
        const auto rep = report::buildReport(none, none, paired, {});
        const auto t1 = Clock::now();
        best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
        if (rep.tasks.size() != 100)
            return 1;
    }
    std::printf("exact tests + aggregation, 100 tasks x 1M samples: %.1f ms (target < 50 ms)\n", best * 1e3);

    std::vector<double> d(25'000);
    std::normal_distribution<double> nd(0.0, 1.0);
    for (auto& x : d)
        x = nd(g);
    for (const unsigned threads : { 1u, 2u, std::thread::hardware_concurrency() }) {
        stats::SignFlipOptions o;
        o.permutations = 10'000;
        o.threads = threads;
        double bestSf = 1e30;
        for (int r = 0; r < 3; ++r) {
            const auto t0 = Clock::now();
            const auto res = stats::signFlipTest(d, {}, o);
            const auto t1 = Clock::now();
            bestSf = std::min(bestSf, std::chrono::duration<double>(t1 - t0).count());
            if (!(res.pValue > 0))
                return 1;
        }
        std::printf(
            "sign-flip, 25,000 samples x 10,000 permutations, %u thread(s): %.3f s (target < 0.2 s on 2 cores)\n",
            threads, bestSf);
    }
    return 0;
}
