// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The all-budgets sweep's AVX-512 kernels (XShareSweep512.cpp): the column walk, eight tokens at
// once in vector lanes, and the per-device running counts and peaks. Each returns false, doing
// nothing, where the processor or the shape does not allow it; the portable code of
// XShareSweep.cpp then runs, with bit-identical results. Internal to the moe library.

#include "moe/XShare.h"

#include <cstddef>

namespace deltascope::moe::detail {

// What a token's walk adds to, as differences per budget. A walk keeps the token's k best experts
// of the prefix as keys sorted best first (higher score, then lower id, through the score's bits,
// never negative here, above the inverted id), so the worst is the last entry.
struct Walk {
    const int* order;
    const int* deviceAt; ///< [position] the device of the expert there
    const int* deviceOf; ///< [expert] its device
    double* diffMass;
    int* devTokenDiff; ///< [budget][device]
    int* maxEnd;
    int* expertDiff; ///< [expert][budget], with replicated experts only
    int* joined; ///< [budget] tokens the column walk adds at the budget's new position (device by position)
    std::size_t stride;
    std::size_t devices;
    bool replicated;
    int k;
};

// Whether this processor runs the kernels below (AVX-512 present, and not turned off with
// DELTASCOPE_CPU_KERNELS).
bool sweep512Available();

// Walks every token of the slice over the first `steps` positions of c.order (token t up to
// limits[t]) and adds what it does to c's differences, as walkPortable does token by token,
// except the experts still held after the last position: with steps < experts those are marked
// here, otherwise the caller marks each token's own top k. Slices of at most 256 experts, k <= 8.
bool walkColumns(const SliceInput& in, const Walk& c, const int* limits, int steps);

// The running counts of two [budget][device] difference arrays, the active experts' and the
// tokens' (written to the runs when those are given, both or neither), and each budget's largest,
// at least 0, for up to 16 devices.
bool runningPeaks(const int* active, const int* tokens, std::size_t budgets, std::size_t G, int* runActive,
    int* runTokens, int* peakActive, int* peakTokens);

} // namespace deltascope::moe::detail
