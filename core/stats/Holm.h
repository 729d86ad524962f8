#pragma once

#include <span>
#include <vector>

namespace deltascope::stats {

/// Holm step-down adjusted p-values, in the order given.
std::vector<double> holmAdjust(std::span<const double> p);

} // namespace deltascope::stats
