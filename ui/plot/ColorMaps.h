// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <qcustomplot.h>

namespace deltascope::ui {

/// Perceptually uniform and readable with the common colour-vision deficiencies (viridis).
QCPColorGradient sequentialGradient();
/// For differences around zero: blue below, white at zero, orange above (colour-blind safe).
QCPColorGradient divergingGradient();

} // namespace deltascope::ui
