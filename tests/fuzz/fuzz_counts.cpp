// SPDX-License-Identifier: GPL-3.0-or-later
// Expert load counts: SGLang CSV (layer_id,expert_id,count) and JSON logical_count (the first
// byte picks which); a balanced placement is made from what parses.
#include "FuzzSupport.h"
#include "moe/Placement.h"
#include "moe/TraceImport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace deltascope;
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto c = moe::parseExpertCounts(text, data[0] % 2 ? "counts.json" : "counts.csv");
    if (c.ok() && c.value->experts > 0 && c.value->experts <= 4096)
        (void)moe::balancedPlacement(c.value->perExpert(), 1 + data[0] % 7, data[0] % 3);
    return 0;
}
