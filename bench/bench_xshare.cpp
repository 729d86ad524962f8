// SPDX-License-Identifier: GPL-3.0-or-later
// Times XShare over a whole trace on the CPU: one budget and the all-budgets sweep for the batch
// policy, and one budget for the expert-parallel and speculative policies; prints GB/s of trace.
#include "common/MemoryReuse.h"
#include "moe/Batching.h"
#include "moe/RowKernels.h"
#include "moe/Safetensors.h"
#include "moe/XShareRun.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <sys/resource.h>
#include <thread>

using namespace deltascope;
using Clock = std::chrono::steady_clock;

namespace {

// CPU seconds of every thread of the process so far.
double processCpuSeconds()
{
    timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

int main(int argc, char** argv)
{
    deltascope::keepLargeBlocksForReuse(); // before the first large allocation
    if (argc < 2) {
        std::fprintf(stderr,
            "usage: bench_xshare TRACE.safetensors [threads] [batch-size] [budget] [one,sweep,spec,ep,slider]\n");
        return 2;
    }
    const unsigned threads
        = argc > 2 ? static_cast<unsigned>(std::stoul(argv[2])) : std::thread::hardware_concurrency();
    const int batchSize = argc > 3 ? std::stoi(argv[3]) : 64;
    auto tr = moe::readTraceFile(argv[1]);
    if (!tr.ok()) {
        std::fprintf(stderr, "%s\n", tr.error->toString().c_str());
        return 2;
    }
    const auto& trace = *tr.value;
    const int budget = argc > 4 ? std::stoi(argv[4]) : static_cast<int>(2 * trace.topK);
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = batchSize;
    const auto batches = moe::makeBatches(trace, bo);
    // Two untimed passes over the scores first: on a virtual machine the first reads of a fresh
    // mapping run several times slower than later ones, which would fall on the first case only.
    std::uint64_t touched = 0;
    if (trace.scores != nullptr)
        for (int pass = 0; pass < 2; ++pass) {
            const auto* bytes = static_cast<const unsigned char*>(trace.scores);
            for (std::size_t i = 0, n = trace.scoreBytes(); i < n; i += 64)
                touched += bytes[i];
        }
    static volatile std::uint64_t warmSink;
    warmSink = touched;
    const double gb = static_cast<double>(trace.scoreBytes()) / 1e9;
    std::printf("trace %.3f GB: %lld tokens x %lld layers x %lld experts, top-%lld; batches of %d; %u thread(s); "
                "%s row kernels\n",
        gb, static_cast<long long>(trace.tokens), static_cast<long long>(trace.layers),
        static_cast<long long>(trace.experts), static_cast<long long>(trace.topK), batchSize, threads,
        moe::rows::vectorLevelName(moe::rows::vectorLevel()));

    std::map<std::string, double> cpu; // the least CPU time of each case's runs
    auto time = [&](const char* label, moe::Policy policy, std::vector<int> budgets, bool maps = false) {
        moe::XShareOptions o;
        o.maps = maps;
        o.policy.policy = policy;
        o.policy.devices = 8;
        o.budgets = std::move(budgets);
        o.threads = threads;
        double best = 1e30;
        double bestCpu = 1e30;
        for (int r = 0; r < 3; ++r) {
            const double c0 = processCpuSeconds();
            const auto t0 = Clock::now();
            const auto res = moe::runXShare(trace, *batches.value, o);
            const auto t1 = Clock::now();
            bestCpu = std::min(bestCpu, processCpuSeconds() - c0);
            if (!res.ok()) {
                std::fprintf(stderr, "%s\n", res.error->toString().c_str());
                std::exit(2);
            }
            best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
        }
        std::printf("%-36s %8.3f s  %6.3f GB/s  %6.3f GB/s per thread  (CPU time %.3f s)\n", label, best, gb / best,
            gb / best / threads, bestCpu);
        cpu[label] = bestCpu;
        return best;
    };
    std::vector<int> all;
    for (int m = static_cast<int>(trace.topK); m <= trace.experts; ++m)
        all.push_back(m);
    const std::string cases = argc > 5 ? argv[5] : "one,sweep,spec,ep,slider";
    auto wanted = [&](const char* name) {
        return ("," + cases + ",").find("," + std::string(name) + ",") != std::string::npos;
    };
    double one = 0;
    double sweep = 0;
    if (wanted("one"))
        one = time("batch greedy, one budget", moe::Policy::Batch, { budget });
    if (wanted("sweep"))
        sweep = time("batch greedy, all budgets (one pass)", moe::Policy::Batch, all);
    if (wanted("spec"))
        time("speculative, one budget", moe::Policy::Speculative, { budget });
    if (wanted("slider"))
        time("slider step (one budget + activation maps)", moe::Policy::Batch, { budget }, true);
    if (wanted("ep"))
        time("expert-parallel (8 devices), one budget", moe::Policy::ExpertParallel, { budget });
    rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    if (one > 0 && sweep > 0) {
        // On a busy machine the wall times take in others' work; the CPU times of one thread do
        // not (much), so the second ratio is the steadier one there.
        std::printf("all budgets / one budget: %.2fx\n", sweep / one);
        std::printf("all budgets / one budget, CPU time: %.2fx\n",
            cpu["batch greedy, all budgets (one pass)"] / cpu["batch greedy, one budget"]);
    }
    std::printf("peak RSS %.0f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    std::printf("RESULT seconds=%.6f gb=%.6f\n", one, gb);
    return 0;
}
