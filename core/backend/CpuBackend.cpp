#include "backend/CpuBackend.h"

namespace deltascope::backend {

stats::SignFlipResult CpuBackend::signFlip(
    std::span<const double> d, std::span<const std::size_t> taskOffsets, const stats::SignFlipOptions& options) const
{
    return stats::signFlipTest(d, taskOffsets, options);
}

Result<moe::XShareResult> CpuBackend::xshare(
    const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const
{
    return moe::runXShare(trace, batches, options);
}

} // namespace deltascope::backend
