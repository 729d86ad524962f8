// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <string>
#include <vector>

namespace deltascope::moe {

/// Where each expert lives: its placed device and the devices holding extra copies.
struct ExpertPlacement {
    std::vector<int> device; ///< [experts]
    std::vector<std::vector<int>> replicas; ///< [experts] extra copies; empty when nothing is replicated
    int copies() const; ///< total expert copies, placed and extra
};

/// Reads an expert placement: JSON {"placement": [...]} (or a bare array) whose entry e is the
/// device of expert e or a list of devices (the first is its placed device, the others hold
/// copies), or CSV `expert_id,device` where an expert named again gets a copy on that device.
/// Every expert 0..experts-1 must be placed on a device in [0, devices), each copy on a different
/// device.
Result<ExpertPlacement> loadPlacement(const std::string& path, int experts, int devices);

/// Balanced placement from expert loads. With `redundant` extra copies, each goes in turn to the
/// expert with the most load per copy (an expert has at most one copy per device). Then every copy,
/// carrying its share of the expert's load, heaviest first, goes to the least loaded device that
/// still has room (ceil(copies / G) each) and holds no copy of that expert.
ExpertPlacement balancedPlacement(const std::vector<double>& load, int devices, int redundant = 0);

} // namespace deltascope::moe
