// SPDX-License-Identifier: GPL-3.0-or-later
#include "CudaBackend.h"

#include "CudaXShare.h"
#include "DeviceQuery.h"
#include "SignFlipKernel.h"

#include <mutex>

namespace deltascope::gpu {

namespace {

class CudaBackend final : public backend::ComputeBackend {
public:
    explicit CudaBackend(std::string device)
        : m_device(std::move(device))
        , m_xshare(std::make_unique<CudaXShare>())
    { }

    std::string name() const override { return "cuda (" + m_device + ")"; }

    backend::RanOn ranOn() const override { return { backend::Device::Cuda, m_device }; }

    backend::Computed<stats::FlippedSums> signFlipSums(std::span<const std::int64_t> q,
        std::span<const std::size_t> offsets, const stats::SignFlipBatch& batch) const override
    {
        Result<stats::FlippedSums> r;
        if (offsets.size() < 2 || !stats::offsetsTile(offsets, q.size()))
            return backend::computedOn(Result<stats::FlippedSums>::failure(Diagnostic::error(
                                           {}, 0, "the task ranges of the differences do not cover them exactly")),
                ranOn());
        const std::size_t tasks = offsets.size() - 1;
        stats::FlippedSums out;
        out.sums.assign(batch.count * tasks, 0);
        const auto error = gpu::signFlipSums(
            q.data(), q.size(), offsets.data(), tasks, batch.first, batch.count, batch.seed, out.sums.data());
        if (!error.empty())
            r = Result<stats::FlippedSums>::failure(Diagnostic::error({}, 0, error));
        else
            r.value = std::move(out);
        batch.progress.report(1.0, "permutation test");
        return backend::computedOn(std::move(r), ranOn());
    }

    // A configuration the kernels cannot run is an error here; the caller's fallback runs it on
    // the CPU and says so.
    backend::Computed<moe::XShareResult> xshare(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const override
    {
        if (const auto why = gpuUnsupported(trace, options); !why.empty())
            return backend::computedOn(Result<moe::XShareResult>::failure(
                                           Diagnostic::error({}, 0, "the GPU kernels cannot run this (" + why + ")")),
                ranOn());
        const std::lock_guard<std::mutex> lock(m_mutex);
        return backend::computedOn(m_xshare->run(trace, batches, options), ranOn());
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
