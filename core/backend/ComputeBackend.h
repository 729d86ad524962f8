#pragma once

#include "moe/XShareRun.h"
#include "stats/SignFlip.h"

#include <memory>
#include <span>
#include <string>

namespace deltascope::backend {

/// Where heavy computations run. The CPU implementation is the reference; the CUDA one (in gpu/)
/// must return identical results for the same inputs and seed.
class ComputeBackend {
public:
    virtual ~ComputeBackend() = default;

    /// "cpu", or "cuda (device name)".
    virtual std::string name() const = 0;

    /// The paired sign-flip permutation test (see stats::signFlipTest).
    virtual stats::SignFlipResult signFlip(std::span<const double> d, std::span<const std::size_t> taskOffsets,
        const stats::SignFlipOptions& options) const = 0;

    /// A policy over every slice of a trace (see moe::runXShare). A backend that cannot run a
    /// configuration runs it on the CPU and says so in the result's warnings. One run at a time
    /// per backend object.
    virtual Result<moe::XShareResult> xshare(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const = 0;
};

enum class BackendKind { Auto, Cpu, Cuda };

bool parseBackendKind(const std::string& text, BackendKind& out);

/// Creates the backend asked for. Auto and Cuda give the CUDA backend when this build has CUDA and
/// a device answers; otherwise the CPU backend, with `note` saying why (no device, no driver, or a
/// build without CUDA). `note` stays empty when the request was met as asked.
std::unique_ptr<ComputeBackend> makeBackend(BackendKind kind, std::string& note);

} // namespace deltascope::backend
