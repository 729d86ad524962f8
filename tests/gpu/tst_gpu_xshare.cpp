// SPDX-License-Identifier: GPL-3.0-or-later
// Plain CTest executable (no Qt): XShare on the CUDA device must equal the CPU backend on every
// parity case (counts and selected sets exactly, sums to 1e-6 relative), resident and streamed in
// small chunks, and report bad scores like the CPU. Exit 77 (skipped) without a CUDA device.
#include "CudaXShare.h"
#include "DeviceQuery.h"
#include "XShareParity.h"

#include <chrono>

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

    // Bad scores are reported with their token, layer and expert, as on the CPU.
    gpu::CudaXShare fresh;
    failures
        += parity::badScoresReported([&](const auto& t, const auto& b, const auto& o) { return fresh.run(t, b, o); });
    cases += 3;
    std::printf("%d of %d cases agree with the CPU backend\n", cases - failures, cases);
    return failures == 0 ? 0 : 1;
}
