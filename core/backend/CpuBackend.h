// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"

namespace deltascope::backend {

/// The reference backend: multi-threaded C++ on the host.
class CpuBackend final : public ComputeBackend {
public:
    std::string name() const override { return "cpu"; }
    RanOn ranOn() const override { return {}; }
    Computed<stats::FlippedSums> signFlipSums(std::span<const std::int64_t> q, std::span<const std::size_t> offsets,
        const stats::SignFlipBatch& batch) const override;
    Computed<moe::XShareResult> xshare(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const override;
};

} // namespace deltascope::backend
