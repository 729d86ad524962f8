// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"

#include <memory>
#include <string>

namespace deltascope::gpu {

/// The CUDA backend on the first device, or null (with the reason) when no device answers.
std::unique_ptr<backend::ComputeBackend> makeCudaBackend(std::string& why);

} // namespace deltascope::gpu
