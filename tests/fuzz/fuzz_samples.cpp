// SPDX-License-Identifier: GPL-3.0-or-later
// lm-eval samples files: JSON lines (0.4.3 and later) and the indented JSON array of 0.4.0-0.4.2,
// strict and skipping bad lines.
#include "FuzzSupport.h"
#include "eval/SamplesParser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("samples_task_2026-01-01T00-00-00.000000.jsonl", data, size);
    for (const bool skip : { false, true }) {
        deltascope::eval::SamplesParseOptions o;
        o.task = "task";
        o.skipBadLines = skip;
        (void)deltascope::eval::parseSamplesFile(path, o);
    }
    return 0;
}
