// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/Payoff.h"

#include <string>

namespace deltascope::report {

/// Machine-readable estimate: input, model (every field), GPU, deployment, the baseline and one
/// row per budget (bytes, seconds, saving), balance, hotness, the verdict and its conclusion
/// (stable keys, full double precision).
std::string payoffJson(const moe::PayoffEstimate& estimate, const std::string& inputPath);

/// The same for the terminal: a header, the per-budget table (GB per step, ms), the balance and
/// hotness lines, and the conclusion.
std::string payoffText(const moe::PayoffEstimate& estimate, const std::string& inputPath);

/// The built-in models and GPUs, one line each (for --list-models and --list-gpus).
std::string modelPresetsText();
std::string gpuPresetsText();

} // namespace deltascope::report
