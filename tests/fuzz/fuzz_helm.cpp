// SPDX-License-Identifier: GPL-3.0-or-later
// HELM run folders (per_instance_stats.json, run_spec.json, scenario_state.json) and simple-evals
// *_allresults.json, strict and skipping bad entries, then the sample view's texts of a few samples.
// The first byte picks the file: 0 per_instance_stats.json (then, after a "--8<--" line, the
// scenario_state.json), 1 run_spec.json, 2 a simple-evals file.
#include "FuzzSupport.h"
#include "eval/RunLoader.h"
#include "eval/SampleDetail.h"

#include <string>
#include <sys/stat.h>

namespace {

const char* const kSpec = R"({"name": "t:x=1,model=m", "adapter_spec": {"model": "m"}})";
const char* const kStats = R"([{"instance_id": "a", "stats": [{"name": {"name": "exact_match"}, "mean": 1}]}])";

void exercise(const std::string& path)
{
    for (const bool skip : { false, true }) {
        deltascope::eval::LoadOptions o;
        o.skipBadLines = skip;
        o.threads = 1;
        const auto r = deltascope::eval::loadRun(path, o);
        if (!r.ok())
            continue;
        std::size_t shown = 0;
        for (const auto& t : r.value->tasks)
            for (const auto& s : t.samples)
                if (shown++ < 3)
                    (void)deltascope::eval::readSampleDetail(*r.value, s);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace deltascope::fuzz;
    if (size == 0)
        return 0;
    const int mode = data[0] % 3;
    ++data;
    --size;
    if (mode == 2) {
        exercise(writeInput("healthbench_m_allresults.json", data, size));
        return 0;
    }
    const std::string dir = scratchDir() + "/run";
    mkdir(dir.c_str(), 0700);
    const auto [first, second] = splitAt(data, size);
    auto put = [](const char* name, std::string_view text) {
        return writeInput(std::string("run/") + name, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    };
    if (mode == 0) {
        put("run_spec.json", kSpec);
        put("per_instance_stats.json", first);
        put("scenario_state.json", second.empty() ? std::string_view("{\"request_states\": []}") : second);
    } else {
        put("run_spec.json", first);
        put("per_instance_stats.json", kStats);
        put("scenario_state.json", "{\"request_states\": []}");
    }
    exercise(dir);
    return 0;
}
