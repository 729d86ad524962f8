// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "moe/XShareRun.h"
#include "stats/SignFlip.h"

#include <span>
#include <string>

namespace deltascope::backend {

/// Which kind of processor a computation ran on.
enum class Device { Cpu, Cuda };

/// Where a computation ran: said by the backend that ran it, so callers never parse names.
struct RanOn {
    Device device = Device::Cpu;
    std::string deviceName; ///< the GPU's name; empty on the CPU

    bool gpu() const { return device == Device::Cuda; }
    /// "CPU", or "GPU, <device name>".
    std::string label() const { return gpu() ? "GPU, " + deviceName : "CPU"; }
    bool operator==(const RanOn&) const = default;
};

/// A backend's answer: the value (or one error) with its warnings, and where it was computed.
template <typename T> struct Computed : Result<T> {
    RanOn ranOn;
};

/// Wraps a plain result with the place it ran on.
template <typename T> Computed<T> computedOn(Result<T> result, RanOn where)
{
    Computed<T> c;
    static_cast<Result<T>&>(c) = std::move(result);
    c.ranOn = std::move(where);
    return c;
}

/// Where heavy computations run. The CPU implementation is the reference; the CUDA one (in gpu/)
/// must return identical results for the same inputs and seed. Every method returns its outcome
/// as a value: a device error is an error result, never an exception.
class ComputeBackend {
public:
    virtual ~ComputeBackend() = default;

    /// "cpu", or "cuda (device name)": for messages and logs only.
    virtual std::string name() const = 0;

    /// Where this backend runs its work when nothing goes wrong.
    virtual RanOn ranOn() const = 0;

    /// The flipped sums of a run of sign-flip permutations (see stats::flippedSums): q the exact
    /// integer differences, offsets the tasks' ranges (tasks + 1 bounds from 0 to q.size()).
    virtual Computed<stats::FlippedSums> signFlipSums(std::span<const std::int64_t> q,
        std::span<const std::size_t> offsets, const stats::SignFlipBatch& batch) const = 0;

    /// The paired sign-flip permutation test of raw differences (see stats::signFlipTest), run
    /// on this backend's signFlipSums.
    Computed<stats::SignFlipResult> signFlip(std::span<const double> d, std::span<const std::size_t> taskOffsets,
        const stats::SignFlipOptions& options) const
    {
        if (!stats::offsetsTile(taskOffsets, d.size()))
            return computedOn(Result<stats::SignFlipResult>::failure(Diagnostic::error(
                                  {}, 0, "the task ranges of the differences do not cover them exactly")),
                ranOn());
        const auto offsets = stats::normalisedOffsets(taskOffsets, d.size());
        const auto q = stats::quantizeDifferences(d);
        stats::SignFlipBatch batch;
        batch.count = options.permutations;
        batch.seed = options.seed;
        batch.threads = options.threads;
        batch.progress = options.progress;
        auto sums = signFlipSums(q, offsets, batch);
        Computed<stats::SignFlipResult> out;
        out.ranOn = sums.ranOn;
        out.warnings = std::move(sums.warnings);
        if (!sums.ok())
            out.error = sums.error;
        else
            out.value = stats::signFlipFromSums(d, offsets, options, *sums.value);
        return out;
    }

    /// A policy over every slice of a trace (see moe::runXShare). One run at a time per backend
    /// object.
    virtual Computed<moe::XShareResult> xshare(
        const moe::Trace& trace, const moe::Batches& batches, const moe::XShareOptions& options) const = 0;
};

} // namespace deltascope::backend
