// SPDX-License-Identifier: GPL-3.0-or-later
// Times XShare on the CUDA device over a whole trace: one budget of each policy (effective GB/s of
// trace), the all-budgets sweep relative to one budget, the trace streamed in chunks, the latency
// of one slice of 64 tokens x 128 experts, and the sign-flip test of 25,000 samples x 10,000
// permutations; checks every result against the CPU backend on the same file.
//   bench_xshare_gpu TRACE.safetensors [batch-size] [budget]
#include "CudaBackend.h"
#include "CudaXShare.h"
#include "DeviceQuery.h"
#include "XShareKernels.h"
#include "backend/CpuBackend.h"
#include "moe/Batching.h"
#include "moe/Safetensors.h"
#include "moe/XShareRun.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

using namespace deltascope;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

moe::XShareResult must(Result<moe::XShareResult> r)
{
    if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.error->toString().c_str());
        std::exit(2);
    }
    return std::move(*r.value);
}

bool agree(const moe::XShareResult& a, const moe::XShareResult& b)
{
    if (a.results.size() != b.results.size())
        return false;
    for (std::size_t i = 0; i < a.results.size(); ++i) {
        const auto& x = a.results[i];
        const auto& y = b.results[i];
        if (x.activated != y.activated || x.activatedBase != y.activatedBase || x.peakDeviceLoad != y.peakDeviceLoad
            || std::abs(x.massRetained - y.massRetained) > 1e-6 * std::max(1.0, x.massRetained))
            return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_xshare_gpu TRACE.safetensors [batch-size] [budget]\n");
        return 2;
    }
    std::string why;
    const auto devices = gpu::listDevices(&why);
    if (devices.empty()) {
        std::printf("SKIP: no CUDA device (%s)\n", why.c_str());
        return 77;
    }
    const int batchSize = argc > 2 ? std::stoi(argv[2]) : 64;
    auto tr = moe::readTraceFile(argv[1]);
    if (!tr.ok()) {
        std::fprintf(stderr, "%s\n", tr.error->toString().c_str());
        return 2;
    }
    const auto& trace = *tr.value;
    const int budget = argc > 3 ? std::stoi(argv[3]) : static_cast<int>(2 * trace.topK);
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = batchSize;
    const auto batches = moe::makeBatches(trace, bo);
    const double gb = static_cast<double>(trace.scoreBytes()) / 1e9;
    std::printf("device %s; trace %.3f GB: %lld tokens x %lld layers x %lld experts, top-%lld; batches of %d, "
                "budget %d\n",
        devices.front().name.c_str(), gb, static_cast<long long>(trace.tokens), static_cast<long long>(trace.layers),
        static_cast<long long>(trace.experts), static_cast<long long>(trace.topK), batchSize, budget);

    gpu::CudaXShare gpu;
    int mismatches = 0;
    auto options = [&](moe::Policy p, std::vector<int> budgets) {
        moe::XShareOptions o;
        o.policy.policy = p;
        o.policy.devices = 8;
        o.budgets = std::move(budgets);
        return o;
    };
    std::vector<int> all;
    for (int m = static_cast<int>(trace.topK); m <= trace.experts; ++m)
        all.push_back(m);

    // The first run uploads the trace; later runs find it resident.
    const auto u0 = Clock::now();
    must(gpu.run(trace, *batches.value, options(moe::Policy::Batch, { budget })));
    std::printf("%-34s %8.1f ms (upload %.1f ms)\n", "first run (upload + one budget)", 1e3 * seconds(u0, Clock::now()),
        gpu.lastRun().uploadMs);

    double oneBudget = 0;
    auto time = [&](const char* label, const moe::XShareOptions& o, bool check) {
        double best = 1e30;
        double bestKernel = 1e30;
        moe::XShareResult res;
        for (int r = 0; r < 5; ++r) {
            const auto t0 = Clock::now();
            res = must(gpu.run(trace, *batches.value, o));
            best = std::min(best, seconds(t0, Clock::now()));
            bestKernel = std::min(bestKernel, gpu.lastRun().kernelMs / 1e3);
        }
        std::printf("%-34s %8.2f ms run, %8.2f ms kernels  %8.1f GB/s effective (kernels)", label, 1e3 * best,
            1e3 * bestKernel, gb / bestKernel);
        if (check) {
            const auto t0 = Clock::now();
            const auto cpu = must(moe::runXShare(trace, *batches.value, o));
            const double cpuS = seconds(t0, Clock::now());
            const bool ok = agree(cpu, res);
            mismatches += ok ? 0 : 1;
            std::printf("  | CPU %7.3f s (%.1fx)  %s", cpuS, cpuS / best, ok ? "same results" : "DIFFERENT RESULTS");
        }
        std::printf("\n");
        return bestKernel;
    };
    oneBudget = time("batch greedy, one budget", options(moe::Policy::Batch, { budget }), true);
    const double sweep = time("batch greedy, all budgets", options(moe::Policy::Batch, all), true);
    std::printf("%-34s %8.2fx one budget\n", "sweep / one budget", sweep / oneBudget);
    time("top-k baseline", options(moe::Policy::TopK, { budget }), false);
    time("expert-parallel (8 devices)", options(moe::Policy::ExpertParallel, { budget }), true);
    time("speculative, one budget", options(moe::Policy::Speculative, { budget }), true);
    {
        auto o = options(moe::Policy::Batch, { budget });
        o.maps = true;
        o.perSlice = true;
        time("slider step (one budget + maps)", o, false);
    }

    // Streamed in chunks of 256 MB, as a trace larger than the device would be.
    {
        gpu::CudaXShare streamed;
        streamed.setChunkBytes(512u << 20);
        const auto o = options(moe::Policy::Batch, { budget });
        double best = 1e30;
        moe::XShareResult res;
        for (int r = 0; r < 3; ++r) {
            const auto t0 = Clock::now();
            res = must(streamed.run(trace, *batches.value, o));
            best = std::min(best, seconds(t0, Clock::now()));
        }
        const bool ok = agree(must(gpu.run(trace, *batches.value, o)), res);
        mismatches += ok ? 0 : 1;
        std::printf("%-34s %8.2f ms  %8.1f GB/s (%d chunks, host gather + copy included)  %s\n", "streamed, one budget",
            1e3 * best, gb / best, streamed.lastRun().chunks, ok ? "same results" : "DIFFERENT");
    }

    // One slice of 64 tokens x 128 experts: the whole run() (plan, launch, copy back), best of 200.
    {
        const int T = 64;
        const int N = 128;
        std::mt19937_64 rng(3);
        std::exponential_distribution<float> ex(1.0f);
        std::vector<float> g(static_cast<std::size_t>(T * N));
        for (auto& v : g)
            v = ex(rng);
        std::vector<std::int32_t> req(T);
        for (int t = 0; t < T; ++t)
            req[static_cast<std::size_t>(t)] = t;
        const auto one = moe::makeOwnedTrace(T, 1, N, 8, false, g, {}, req);
        moe::BatchingOptions b1;
        b1.replay = true;
        b1.batchSize = T;
        const auto ob = moe::makeBatches(one, b1);
        gpu::CudaXShare small;
        const auto o = options(moe::Policy::Batch, { 16 });
        must(small.run(one, *ob.value, o));
        double best = 1e30;
        double bestKernel = 1e30;
        for (int r = 0; r < 200; ++r) {
            const auto t0 = Clock::now();
            must(small.run(one, *ob.value, o));
            best = std::min(best, seconds(t0, Clock::now()));
            bestKernel = std::min(bestKernel, small.lastRun().kernelMs / 1e3);
        }
        std::printf("%-34s %8.1f us run(), %8.1f us launch to result\n", "one slice, 64 tokens x 128 experts",
            1e6 * best, 1e6 * bestKernel);
    }

    // Sign-flip test, 25,000 samples x 10,000 permutations.
    {
        std::string w;
        const auto cuda = gpu::makeCudaBackend(w);
        const backend::CpuBackend cpu;
        std::vector<double> d(25000);
        std::mt19937_64 rng(11);
        std::normal_distribution<double> nd(0.01, 1.0);
        for (auto& x : d)
            x = nd(rng);
        stats::SignFlipOptions so;
        so.permutations = 10000;
        so.seed = 42;
        cuda->signFlip(d, {}, so);
        double best = 1e30;
        stats::SignFlipResult rg;
        for (int r = 0; r < 20; ++r) {
            const auto t0 = Clock::now();
            rg = *cuda->signFlip(d, {}, so).value;
            best = std::min(best, seconds(t0, Clock::now()));
        }
        const auto t0 = Clock::now();
        const auto rc = *cpu.signFlip(d, {}, so).value;
        const double cpuS = seconds(t0, Clock::now());
        const bool same = rc.pValue == rg.pValue && rc.pValueLower == rg.pValueLower;
        mismatches += same ? 0 : 1;
        std::printf("%-34s %8.3f ms (with copies) | CPU %.1f ms  p %.6g  %s\n", "sign-flip 25,000 x 10,000", 1e3 * best,
            1e3 * cpuS, rg.pValue, same ? "identical p-values" : "DIFFERENT p-values");
    }
    std::printf("%s\n", mismatches == 0 ? "all GPU results equal the CPU backend's" : "SOME GPU RESULTS DIFFER");
    return mismatches == 0 ? 0 : 1;
}
