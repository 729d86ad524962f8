#pragma once

#include "common/Diagnostic.h"

#include <string>
#include <vector>

namespace deltascope::moe {

/// Reads an expert placement: JSON {"placement": [device of expert 0, ...]} (or a bare array), or
/// CSV `expert_id,device`. Every expert 0..experts-1 must be placed on a device in [0, devices).
Result<std::vector<int>> loadPlacement(const std::string& path, int experts, int devices);

/// Balanced placement from expert loads: the heaviest expert goes to the least loaded device that
/// still has room (each device holds ceil(N / G) experts at most).
std::vector<int> balancedPlacement(const std::vector<double>& load, int devices);

} // namespace deltascope::moe
