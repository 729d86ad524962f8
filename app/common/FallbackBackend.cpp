// SPDX-License-Identifier: GPL-3.0-or-later
#include "FallbackBackend.h"

namespace deltascope::backends {

namespace {

// The CPU's answer, with a note saying why the device did not give it.
template <typename T>
backend::Computed<T> onCpu(backend::Computed<T> cpu, const backend::ComputeBackend& device, const Diagnostic& why)
{
    cpu.warnings.insert(cpu.warnings.begin(),
        Diagnostic::note({}, 0, "ran on the CPU: " + device.ranOn().label() + " failed (" + why.message + ")"));
    return cpu;
}

} // namespace

FallbackBackend::FallbackBackend(std::unique_ptr<backend::ComputeBackend> device)
    : m_device(std::move(device))
{ }

backend::Computed<stats::FlippedSums> FallbackBackend::signFlipSums(
    std::span<const std::int64_t> q, std::span<const std::size_t> offsets, const stats::SignFlipBatch& batch) const
{
    auto r = m_device->signFlipSums(q, offsets, batch);
    if (r.ok())
        return r;
    return onCpu(m_cpu.signFlipSums(q, offsets, batch), *m_device, *r.error);
}

backend::Computed<moe::XShareResult> FallbackBackend::xshare(
    const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const
{
    auto r = m_device->xshare(trace, batches, options);
    if (r.ok())
        return r;
    auto cpu = m_cpu.xshare(trace, batches, options);
    if (!cpu.ok())
        return cpu; // the input is at fault: the CPU's message says where
    return onCpu(std::move(cpu), *m_device, *r.error);
}

} // namespace deltascope::backends
