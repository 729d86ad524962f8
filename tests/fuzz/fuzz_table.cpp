// SPDX-License-Identifier: GPL-3.0-or-later
// Generic score tables: CSV, TSV and JSONL (the first byte picks which), default columns.
#include "FuzzSupport.h"
#include "eval/TableLoader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    static const char* names[] = { "scores.csv", "scores.tsv", "scores.jsonl" };
    const auto path = deltascope::fuzz::writeInput(names[data[0] % 3], data + 1, size - 1);
    for (const bool skip : { false, true })
        (void)deltascope::eval::loadScoreTable(path, {}, skip);
    return 0;
}
