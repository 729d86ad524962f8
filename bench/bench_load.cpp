// SPDX-License-Identifier: GPL-3.0-or-later
// Times what `deltascope-cli compare` does on two lm-eval runs: load (parse + discover), pair,
// and the exact tests, and prints throughput and peak resident memory.
#include "common/MemoryReuse.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"
#include "eval/SamplesParser.h"
#include "report/ComparisonReport.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <thread>

using namespace deltascope;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

std::uintmax_t bytesUnder(const std::string& path)
{
    std::uintmax_t total = 0;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec))
        return std::filesystem::file_size(path, ec);
    for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec))
        if (e.is_regular_file() && e.path().extension() == ".jsonl")
            total += e.file_size();
    return total;
}

} // namespace

int main(int argc, char** argv)
{
    deltascope::keepLargeBlocksForReuse(); // before the first large allocation
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_load BASE CAND [threads] [repeats]\n");
        return 2;
    }
    const std::string base = argv[1];
    const std::string cand = argv[2];
    const unsigned threads
        = argc > 3 ? static_cast<unsigned>(std::stoul(argv[3])) : std::thread::hardware_concurrency();
    const int repeats = argc > 4 ? std::stoi(argv[4]) : 3;
    const double gb = static_cast<double>(bytesUnder(base) + bytesUnder(cand)) / 1e9;

    double bestLoad = 1e30;
    double bestCpu = 1e30; // processor time of one repeat, all threads: what a quiet machine would take
    auto cpuSeconds = [] {
        rusage u {};
        getrusage(RUSAGE_SELF, &u);
        return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
            + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    };
    double bestPair = 1e30;
    double bestTest = 1e30;
    std::size_t samples = 0;
    bool degraded = false;
    for (int r = 0; r < repeats; ++r) {
        eval::LoadOptions lo;
        lo.threads = threads;
        const double c0 = cpuSeconds();
        const auto t0 = Clock::now();
        auto b = eval::loadRun(base, lo);
        auto c = eval::loadRun(cand, lo);
        const auto t1 = Clock::now();
        if (!b.ok() || !c.ok()) {
            std::fprintf(stderr, "%s\n", (b.ok() ? c : b).error->toString().c_str());
            return 2;
        }
        const auto paired = eval::pairRuns(*b.value, *c.value);
        const auto t2 = Clock::now();
        report::CompareSettings s;
        s.threads = threads;
        const auto rep = report::buildReport(*b.value, *c.value, paired, s);
        const auto t3 = Clock::now();
        bestCpu = std::min(bestCpu, cpuSeconds() - c0);
        bestLoad = std::min(bestLoad, seconds(t0, t1));
        bestPair = std::min(bestPair, seconds(t1, t2));
        bestTest = std::min(bestTest, seconds(t2, t3));
        samples = b.value->sampleCount() + c.value->sampleCount();
        degraded = rep.degraded;
    }
    rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    const double total = bestLoad + bestPair + bestTest;
    std::printf("deltascope  input %.3f GB, %zu records, %u thread(s), best of %d, JSON kernel %s\n", gb, samples,
        threads, repeats, eval::jsonKernel().c_str());
    std::printf(
        "deltascope  load %.3f s  pair %.3f s  tests %.4f s  total %.3f s\n", bestLoad, bestPair, bestTest, total);
    std::printf("deltascope  throughput %.2f GB/s (%.2f GB/s per thread)  peak RSS %.0f MB  verdict %s\n", gb / total,
        gb / total / threads, static_cast<double>(ru.ru_maxrss) / 1024.0, degraded ? "degraded" : "ok");
    std::printf("deltascope  processor time %.3f s: %.2f GB per core-second\n", bestCpu, gb / bestCpu);
    std::printf("RESULT seconds=%.6f gb=%.6f threads=%u\n", total, gb, threads);
    return 0;
}
