// SPDX-License-Identifier: GPL-3.0-or-later
// Native traces (safetensors): headers, shapes, dtypes, metadata; then every score is read.
#include "FuzzSupport.h"
#include "TraceExercise.h"
#include "moe/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("trace.safetensors", data, size);
    const auto t = deltascope::moe::readTraceFile(path);
    if (t.ok())
        deltascope::fuzz::exerciseTrace(*t.value);
    return 0;
}
