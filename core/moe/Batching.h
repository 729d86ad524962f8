// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "moe/Trace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace deltascope::moe {

struct BatchingOptions {
    bool replay = false; ///< false: batches from the recorded step ids (when the trace has them)
    std::int64_t batchSize = 32; ///< B, for replay
    std::int64_t gamma = 0; ///< speculative length: each request adds 1 + gamma tokens per step
    std::vector<std::int32_t> requests; ///< replay only these requests (empty: all)
};

/// Token rows of each batch, in batch order.
struct Batches {
    std::string mode; ///< "recorded" or "replay"
    std::int64_t batchSize = 0;
    std::int64_t gamma = 0;
    std::vector<std::vector<std::int64_t>> tokens;
};

/// Recorded batches come from step_id (batches numbered by ascending step). Replay is continuous
/// batching: requests enter in ascending id; the first B are active at step 0; at every step each
/// active request, in slot order, adds its next 1 + gamma tokens (fewer at its end); a request that
/// runs out at step s is replaced in its slot at step s + 1 by the next request not yet started.
Result<Batches> makeBatches(const Trace& trace, const BatchingOptions& options);

} // namespace deltascope::moe
