// SPDX-License-Identifier: GPL-3.0-or-later
#include "backend/CpuBackend.h"

#include <exception>

namespace deltascope::backend {

Computed<stats::FlippedSums> CpuBackend::signFlipSums(
    std::span<const std::int64_t> q, std::span<const std::size_t> offsets, const stats::SignFlipBatch& batch) const
{
    Result<stats::FlippedSums> r;
    if (offsets.size() < 2 || !stats::offsetsTile(offsets, q.size()))
        return computedOn(Result<stats::FlippedSums>::failure(
                              Diagnostic::error({}, 0, "the task ranges of the differences do not cover them exactly")),
            ranOn());
    try {
        r.value = stats::flippedSums(q, offsets, batch);
    } catch (const std::exception& e) {
        // Out of memory for the sums: an error value.
        r = Result<stats::FlippedSums>::failure(Diagnostic::error({}, 0, e.what()));
    }
    return computedOn(std::move(r), ranOn());
}

Computed<moe::XShareResult> CpuBackend::xshare(
    const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const
{
    return computedOn(moe::runXShare(trace, batches, options), ranOn());
}

} // namespace deltascope::backend
