// SPDX-License-Identifier: GPL-3.0-or-later
// Per-token-layer JSONL router records, key names detected.
#include "FuzzSupport.h"
#include "TraceExercise.h"
#include "moe/TraceImport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("routing.jsonl", data, size);
    for (const bool skip : { false, true }) {
        deltascope::moe::TraceImportOptions o;
        o.skipBadLines = skip;
        const auto t = deltascope::moe::importJsonlTrace(path, o);
        if (t.ok())
            deltascope::fuzz::exerciseTrace(*t.value);
    }
    return 0;
}
