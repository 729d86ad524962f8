// SPDX-License-Identifier: GPL-3.0-or-later
// Inspect logs: the zip reader (stored, deflate and zstd entries, through libarchive) and the
// reading of headers and samples, from memory and from a file, with the sample view of what loaded.
#include "FuzzSupport.h"
#include "eval/InspectLog.h"
#include "eval/SampleDetail.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    deltascope::eval::LoadOptions options;
    // A zip under the name Inspect gives it, a JSON log under its own (a .eval must be a zip).
    const bool zip = bytes.starts_with("PK");
    (void)deltascope::eval::loadInspectBytes(bytes, zip ? "fuzz.eval" : "fuzz.json", options);
    (void)deltascope::eval::loadInspectBytes(bytes, "other.eval", options);
    const auto path = deltascope::fuzz::writeInput(zip ? "log.eval" : "log.json", data, size);
    (void)deltascope::eval::readInspectHeader(path);
    const auto run = deltascope::eval::loadInspectLog(path, options);
    if (run.ok())
        for (const auto& task : run.value->tasks)
            for (std::size_t i = 0; i < task.samples.size() && i < 4; ++i)
                (void)deltascope::eval::readSampleDetail(*run.value, task.samples[i]);
    return 0;
}
