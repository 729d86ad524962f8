#include "backend/CpuBackend.h"

#include <exception>

namespace deltascope::backend {

namespace {

// Task ranges must tile the differences: 0 = o_0 <= o_1 <= ... <= o_T = n.
bool offsetsTile(std::span<const std::size_t> offsets, std::size_t n)
{
    if (offsets.size() < 2)
        return true; // one task
    if (offsets.front() != 0 || offsets.back() != n)
        return false;
    for (std::size_t i = 1; i < offsets.size(); ++i)
        if (offsets[i] < offsets[i - 1])
            return false;
    return true;
}

} // namespace

Computed<stats::SignFlipResult> CpuBackend::signFlip(
    std::span<const double> d, std::span<const std::size_t> taskOffsets, const stats::SignFlipOptions& options) const
{
    Result<stats::SignFlipResult> r;
    if (!offsetsTile(taskOffsets, d.size()))
        return computedOn(Result<stats::SignFlipResult>::failure(
                              Diagnostic::error({}, 0, "the task ranges of the differences do not cover them exactly")),
            ranOn());
    try {
        r.value = stats::signFlipTest(d, taskOffsets, options);
    } catch (const std::exception& e) {
        // Out of memory for the per-thread counts, or a bad offset list: an error value.
        r = Result<stats::SignFlipResult>::failure(Diagnostic::error({}, 0, e.what()));
    }
    return computedOn(std::move(r), ranOn());
}

Computed<moe::XShareResult> CpuBackend::xshare(
    const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const
{
    return computedOn(moe::runXShare(trace, batches, options), ranOn());
}

} // namespace deltascope::backend
