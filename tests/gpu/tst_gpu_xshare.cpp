// Plain CTest executable (no Qt): XShare on the CUDA device must equal the CPU backend on every
// parity case (counts and selected sets exactly, sums to 1e-6 relative), resident and streamed in
// small chunks, and report bad scores like the CPU. Exit 77 (skipped) without a CUDA device.
#include "CudaXShare.h"
#include "DeviceQuery.h"
#include "XShareParity.h"

#include <chrono>
#include <limits>

using namespace deltascope;

int main()
{
    std::string why;
    const auto devices = gpu::listDevices(&why);
    if (devices.empty()) {
        std::printf("SKIP: no CUDA device (%s)\n", why.c_str());
        return 77;
    }
    std::printf("device: %s\n", devices.front().name.c_str());
    int failures = 0;
    int cases = 0;

    gpu::CudaXShare resident;
    const auto t0 = std::chrono::steady_clock::now();
    auto a = parity::runAll([&](const auto& t, const auto& b, const auto& o) { return resident.run(t, b, o); }, true);
    std::printf("resident: %d of %d cases agree (%.1f s)\n", a.cases - a.failures, a.cases,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    failures += a.failures;
    cases += a.cases;

    // Streamed: chunks of a few batches, so copies and kernels alternate between the two streams.
    gpu::CudaXShare streamed;
    streamed.setChunkBytes(64 * 1024);
    auto s = parity::runAll(
        [&](const auto& t, const auto& b, const auto& o) {
            auto r = streamed.run(t, b, o);
            if (r.ok() && !streamed.lastRun().streamed && t.scoreBytes() > 64 * 1024) {
                std::printf("FAIL: a trace of %zu bytes was not streamed\n", t.scoreBytes());
                r = decltype(r)::failure(Diagnostic::error({}, 0, "not streamed"));
            }
            return r;
        },
        false);
    std::printf("streamed: %d of %d cases agree\n", s.cases - s.failures, s.cases);
    failures += s.failures;
    cases += s.cases;

    // A NaN is reported with its token, layer and expert, as on the CPU.
    {
        std::mt19937_64 rng(9);
        auto trace = parity::makeTrace({ 40, 2, 32, 4, 8 }, rng);
        auto* scores = static_cast<float*>(const_cast<void*>(trace.scores));
        scores[(17 * 2 + 1) * 32 + 9] = std::numeric_limits<float>::quiet_NaN();
        moe::BatchingOptions bo;
        bo.replay = true;
        bo.batchSize = 3;
        const auto batches = moe::makeBatches(trace, bo);
        moe::XShareOptions o;
        o.budgets = { 6 };
        gpu::CudaXShare fresh;
        const auto r = fresh.run(trace, *batches.value, o);
        const auto c = moe::runXShare(trace, *batches.value, o);
        ++cases;
        if (r.ok() || c.ok() || r.error->message != c.error->message) {
            std::printf("FAIL: NaN report: gpu '%s', cpu '%s'\n", r.ok() ? "ok" : r.error->message.c_str(),
                c.ok() ? "ok" : c.error->message.c_str());
            ++failures;
        }
    }
    std::printf("%d of %d cases agree with the CPU backend\n", cases - failures, cases);
    return failures == 0 ? 0 : 1;
}
