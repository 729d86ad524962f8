// SPDX-License-Identifier: GPL-3.0-or-later
// Saved workspace files (.deltascope).
#include "FuzzSupport.h"
#include "common/Workspace.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto w = deltascope::workspace::parseWorkspace(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.deltascope");
    if (w.ok())
        (void)deltascope::workspace::toJson(*w.value);
    return 0;
}
