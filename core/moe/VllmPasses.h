// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the vLLM route-log reader (moe/VllmRoutes.cpp): its route records, and the passes
// that route every token alike (vLLM's profiling and warm-up runs on dummy input).

#include "common/Diagnostic.h"

#include <cstdint>
#include <string>
#include <vector>

namespace deltascope::moe::vllm {

/// One route record: a token's top-k at one layer of one forward pass.
struct Route {
    std::int64_t pass = 0;
    std::int64_t token = 0;
    std::int64_t layer = 0;
    std::int64_t line = 0;
    std::int32_t request = 0;
};

/// The passes of more than one token whose tokens route alike (same ids, same weights) at every
/// layer, ascending, with their token counts; total counts the tokens of every pass.
struct UniformPasses {
    std::vector<std::int64_t> passes;
    std::vector<std::int64_t> tokens;
    std::int64_t total = 0;
};

/// Routes in file order (passes contiguous); ids and weights hold k per route.
UniformPasses findUniformPasses(
    const std::vector<Route>& routes, const std::vector<std::int32_t>& ids, const std::vector<float>& weights, int k);

/// Removes the routes (with their ids and weights) of the given passes, and numbers the requests
/// left from 0 in the order they first appear.
void dropPasses(std::vector<Route>& routes, std::vector<std::int32_t>& ids, std::vector<float>& weights, int k,
    const std::vector<std::int64_t>& passes);

/// The note on such passes: left out (dropped) or counted.
Diagnostic uniformPassesNote(const std::string& path, const UniformPasses& u, bool dropped);

} // namespace deltascope::moe::vllm
