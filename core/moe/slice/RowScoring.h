// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Recorded router outputs to gating scores, once for the host (Trace::gatingRow) and the CUDA
// kernels: half and bfloat16 conversion, and the model's scoring (softmax of logits over the known
// experts, sigmoid, or probabilities as recorded). C++17; nvcc compiles this file.

#include "moe/slice/HostDevice.h"

#include <math.h>

namespace deltascope::moe::slice {

enum RowKind : int { kProbs = 0, kLogits = 1, kSigmoid = 2 };

/// IEEE half to float, exactly (subnormals included).
DELTASCOPE_HD inline float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
    const std::uint32_t exp = (h >> 10) & 0x1fu;
    const std::uint32_t mant = h & 0x3ffu;
    float f;
    if (exp == 0)
        f = static_cast<float>(mant) * 5.9604644775390625e-8f; // mant * 2^-24, exact
    else if (exp == 31)
        f = floatOfBits(mant ? 0x7fc00000u : 0x7f800000u);
    else
        f = floatOfBits(((exp + 112u) << 23) | (mant << 13));
    return sign ? -f : f;
}

DELTASCOPE_HD inline float bfloat16ToFloat(std::uint16_t v)
{
    return floatOfBits(static_cast<std::uint32_t>(v) << 16);
}

/// Applies the model's scoring to a row of n recorded outputs in place; -infinity marks an expert
/// without a score and stays so. Softmax and sigmoid are computed in double.
DELTASCOPE_HD inline void scoreRow(float* row, int n, int kind)
{
    const float unknown = unknownScore();
    if (kind == kLogits) {
        float mx = unknown;
        for (int e = 0; e < n; ++e)
            mx = mx < row[e] ? row[e] : mx;
        if (mx == unknown)
            return;
        double sum = 0;
        for (int e = 0; e < n; ++e)
            if (row[e] != unknown)
                sum += ::exp(static_cast<double>(row[e] - mx));
        for (int e = 0; e < n; ++e)
            if (row[e] != unknown)
                row[e] = static_cast<float>(::exp(static_cast<double>(row[e] - mx)) / sum);
    } else if (kind == kSigmoid) {
        for (int e = 0; e < n; ++e)
            if (row[e] != unknown)
                row[e] = static_cast<float>(1.0 / (1.0 + ::exp(-static_cast<double>(row[e]))));
    }
}

} // namespace deltascope::moe::slice
