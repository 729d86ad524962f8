// SPDX-License-Identifier: GPL-3.0-or-later
// lm-eval results files (results_*.json, results.json).
#include "FuzzSupport.h"
#include "eval/ResultsFile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("results_2026-01-01T00-00-00.000000.json", data, size);
    (void)deltascope::eval::parseResultsFile(path);
    return 0;
}
