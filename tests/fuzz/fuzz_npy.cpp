// SPDX-License-Identifier: GPL-3.0-or-later
// Dense NumPy arrays (.npy): header dictionary, dtype, shape against the file size.
#include "FuzzSupport.h"
#include "TraceExercise.h"
#include "moe/TraceImport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("scores.npy", data, size);
    deltascope::moe::TraceImportOptions o;
    o.tokensPerRequest = 4;
    const auto t = deltascope::moe::importNpyTrace(path, 2, o);
    if (t.ok())
        deltascope::fuzz::exerciseTrace(*t.value);
    return 0;
}
