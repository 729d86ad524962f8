// Plain CTest executable (no Qt): the CUDA sign-flip test must return exactly the CPU backend's
// p-values for the same inputs and seed. Exit 77 (skipped) without a CUDA device.
#include "CudaBackend.h"
#include "backend/CpuBackend.h"

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
    std::printf("%s on %s\n", failures ? "FAILED" : "all identical", cuda->name().c_str());
    return failures ? 1 : 0;
}
