#include "CudaBackend.h"

#include "DeviceQuery.h"
#include "SignFlipKernel.h"

#include <stdexcept>

namespace deltascope::gpu {

namespace {

class CudaBackend final : public backend::ComputeBackend {
public:
    explicit CudaBackend(std::string device)
        : m_device(std::move(device))
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

private:
    std::string m_device;
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
