// SPDX-License-Identifier: GPL-3.0-or-later
// Plain CTest executable (no Qt): the slice code of the CUDA XShare kernels, run sequentially on
// the host (gpu::emulateXShare), must give the CPU backend's results on every parity case. This
// checks the kernels' logic on machines without a GPU; tst_gpu_xshare runs the same cases on the
// device. `--large` adds the big shapes.
#include "XShareParity.h"
#include "XSharePlan.h"

#include <cstring>

using namespace deltascope;

int main(int argc, char** argv)
{
    const bool large = argc > 1 && std::strcmp(argv[1], "--large") == 0;
    // 37 emulated threads: fewer than the tokens or experts of most slices, so every strided loop
    // wraps around.
    const auto whole
        = parity::runAll([](const auto& trace, const auto& batches,
                             const auto& options) { return gpu::emulateXShare(trace, batches, options, 37); },
            large);
    std::printf("resident: %d of %d cases agree with the CPU backend\n", whole.cases - whole.failures, whole.cases);
    // Rows gathered chunk by chunk, as the streamed GPU path reads them.
    const auto chunked
        = parity::runAll([](const auto& trace, const auto& batches,
                             const auto& options) { return gpu::emulateXShare(trace, batches, options, 128, 50); },
            false);
    std::printf(
        "chunked: %d of %d cases agree with the CPU backend\n", chunked.cases - chunked.failures, chunked.cases);
    int failures = whole.failures + chunked.failures;

    // A bad score is reported like the CPU reports it.
    failures += parity::badScoresReported([](const auto& trace, const auto& batches, const auto& options) {
        return gpu::emulateXShare(trace, batches, options);
    });
    return failures == 0 && whole.cases > 0 ? 0 : 1;
}
