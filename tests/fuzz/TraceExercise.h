// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// After a trace parser accepted an input, read every score and run a small XShare over it: a
// header that lies about shapes must fail in the parser, never here.

#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/XShareRun.h"

#include <vector>

namespace deltascope::fuzz {

inline void exerciseTrace(const moe::Trace& t)
{
    if (t.tokens <= 0 || t.layers <= 0 || t.experts <= 0 || t.tokens * t.layers * t.experts > 200000)
        return;
    std::vector<float> row(static_cast<std::size_t>(t.experts));
    for (std::int64_t i = 0; i < t.tokens; ++i)
        for (std::int64_t l = 0; l < t.layers; ++l)
            t.gatingRow(i, l, row.data());
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 3;
    const auto batches = moe::makeBatches(t, bo);
    if (!batches.ok() || t.topK < 1 || t.topK > t.experts)
        return;
    moe::XShareOptions o;
    o.threads = 1;
    o.budgets = { static_cast<int>(t.topK), static_cast<int>(t.experts) };
    o.perSlice = true;
    (void)moe::runXShare(t, *batches.value, o);
}

} // namespace deltascope::fuzz
