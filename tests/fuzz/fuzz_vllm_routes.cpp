// SPDX-License-Identifier: GPL-3.0-or-later
// vLLM route logs (a meta record, then route records per forward pass), with and without skipping
// bad lines and splitting appended logs into runs; an accepted trace is replayed and its recorded
// passes are run as batches.
#include "FuzzSupport.h"
#include "TraceExercise.h"
#include "moe/VllmRoutes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("moe_routes.jsonl", data, size);
    for (const bool skip : { false, true })
        for (const bool split : { false, true }) {
            deltascope::moe::TraceImportOptions o;
            o.skipBadLines = skip;
            o.splitRuns = split;
            const auto t = deltascope::moe::importVllmRoutes(path, o);
            if (!t.ok())
                continue;
            deltascope::fuzz::exerciseTrace(*t.value);
            const auto& tr = *t.value;
            if (tr.tokens * tr.layers * tr.experts > 200000 || tr.topK < 1 || tr.topK > tr.experts)
                continue;
            // The passes as recorded batches, as xshare --batching recorded forms them.
            const auto batches = deltascope::moe::makeBatches(tr, {});
            if (!batches.ok())
                std::abort(); // a route log always records its passes
            deltascope::moe::XShareOptions xo;
            xo.threads = 1;
            xo.budgets = { static_cast<int>(tr.topK) };
            (void)deltascope::moe::runXShare(tr, *batches.value, xo);
        }
    return 0;
}
