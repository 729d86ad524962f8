#include "CudaBackend.h"

#include "CudaXShare.h"
#include "DeviceQuery.h"
#include "SignFlipKernel.h"

#include <mutex>
#include <stdexcept>

namespace deltascope::gpu {

namespace {

class CudaBackend final : public backend::ComputeBackend {
public:
    explicit CudaBackend(std::string device)
        : m_device(std::move(device))
        , m_xshare(std::make_unique<CudaXShare>())
    { }

    std::string name() const override { return "cuda (" + m_device + ")"; }

    stats::SignFlipResult signFlip(std::span<const double> d, std::span<const std::size_t> taskOffsets,
        const stats::SignFlipOptions& options) const override
    {
        const auto offsets = stats::normalisedOffsets(taskOffsets, d.size());
        const auto q = stats::quantizeDifferences(d);
        const std::size_t tasks = offsets.size() - 1;
        stats::SignFlipCounts counts;
        counts.upper.assign(tasks + 1, 0);
        counts.lower.assign(tasks + 1, 0);
        const auto error = signFlipCounts(q.data(), q.size(), offsets.data(), tasks, options.permutations, options.seed,
            counts.upper.data(), counts.lower.data());
        if (!error.empty())
            throw std::runtime_error(error);
        return stats::finishSignFlip(d, offsets, options, counts);
    }

    Result<moe::XShareResult> xshare(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const override
    {
        if (const auto why = gpuUnsupported(trace, options); !why.empty()) {
            auto r = moe::runXShare(trace, batches, options);
            r.warnings.push_back(
                Diagnostic::note({}, 0, "ran on the CPU: the GPU kernels cannot run this (" + why + ")"));
            return r;
        }
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_xshare->run(trace, batches, options);
    }

    /// The XShare runner, for benchmarks that want its timings.
    CudaXShare& runner() const { return *m_xshare; }

private:
    std::string m_device;
    // Device buffers kept between runs (the resident trace of a budget slider).
    mutable std::mutex m_mutex;
    std::unique_ptr<CudaXShare> m_xshare;
};

} // namespace

std::unique_ptr<backend::ComputeBackend> makeCudaBackend(std::string& why)
{
    const auto devices = listDevices(&why);
    if (devices.empty())
        return nullptr;
    return std::make_unique<CudaBackend>(devices.front().name);
}

} // namespace deltascope::gpu
