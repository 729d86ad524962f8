// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <span>
#include <vector>

namespace deltascope::stats {

/// Holm step-down adjusted p-values, in the order given.
std::vector<double> holmAdjust(std::span<const double> p);

/// The same on logarithms: ln of the Holm-adjusted p-values from ln p, ordered and scaled in
/// logarithms so that p-values below the smallest double keep their order.
std::vector<double> holmAdjustLog(std::span<const double> lnP);

} // namespace deltascope::stats
