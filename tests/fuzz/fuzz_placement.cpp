// SPDX-License-Identifier: GPL-3.0-or-later
// Placement files: JSON {"placement": [...]} (entries a device or a list of devices) or CSV
// expert_id,device (the first byte picks which, and the expert and device counts).
#include "FuzzSupport.h"
#include "moe/Placement.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const auto path
        = deltascope::fuzz::writeInput(data[0] % 2 ? "placement.json" : "placement.csv", data + 1, size - 1);
    (void)deltascope::moe::loadPlacement(path, 1 + data[0] % 64, 1 + (data[0] >> 4));
    return 0;
}
