// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"
#include "backend/CpuBackend.h"

#include <memory>

namespace deltascope::backends {

/// A device backend with the CPU behind it: the one place where work the device could not do
/// moves to the CPU. The result then says it ran on the CPU and carries a note with the reason.
class FallbackBackend final : public backend::ComputeBackend {
public:
    explicit FallbackBackend(std::unique_ptr<backend::ComputeBackend> device);

    std::string name() const override { return m_device->name(); }
    backend::RanOn ranOn() const override { return m_device->ranOn(); }
    backend::Computed<stats::FlippedSums> signFlipSums(std::span<const std::int64_t> q,
        std::span<const std::size_t> offsets, const stats::SignFlipBatch& batch) const override;
    backend::Computed<moe::XShareResult> xshare(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const override;

private:
    std::unique_ptr<backend::ComputeBackend> m_device;
    backend::CpuBackend m_cpu;
};

} // namespace deltascope::backends
