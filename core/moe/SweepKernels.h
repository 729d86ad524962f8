// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The walks of the one-pass sweep (sweepSlice): the portable one, token by token, and, where the
// CPU has AVX-512, the column walk, eight tokens at once in vector lanes. Internal to the moe
// library; exposed so that tests can run both walks on the same slice.

#include "moe/XShare.h"

namespace deltascope::moe::detail {

enum class SweepWalk {
    Best, ///< the column walk where the machine and the slice allow it, else the portable one
    Portable, ///< the plain loop over positions
};

// Whether this machine runs the column walk (slices of at most 256 experts and k <= 8).
bool sweepVectorWalk();

// sweepSlice with the walk chosen: both walks give bit-identical results.
bool sweepSliceWith(const SliceInput& in, const PolicyConfig& config, int maxBudget, SliceSweep& out,
    SliceScratch& scratch, SweepWalk walk);

} // namespace deltascope::moe::detail
