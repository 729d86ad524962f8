// SPDX-License-Identifier: GPL-3.0-or-later
// Keep-lists written by `deltascope-cli shrink` (with and without audit samples), and the pairing
// that uses them: every sample of a small pair of runs lands in exactly one row.
#include "FuzzSupport.h"
#include "eval/KeepList.h"
#include "eval/Pairing.h"

#include <cstdlib>

namespace {

deltascope::eval::EvalRun smallRun(const char* task, int samples, int flipEvery)
{
    deltascope::eval::EvalRun run;
    run.info.path = task;
    deltascope::eval::TaskSamples t;
    t.task = "mmlu";
    t.metric = "acc";
    for (int i = 0; i < samples; ++i) {
        deltascope::eval::SampleRecord s;
        s.docId = std::to_string(i);
        s.line = i + 1;
        s.score = i % flipEvery == 0 ? 0.0 : 1.0;
        t.samples.push_back(s);
    }
    run.tasks.push_back(std::move(t));
    return run;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = deltascope::fuzz::writeInput("keep.json", data, size);
    const auto keep = deltascope::eval::loadKeepList(path);
    if (!keep.ok())
        return 0;
    if (keep.value->size() == 0)
        std::abort(); // a list that keeps nothing must be refused
    static const auto base = smallRun("base", 12, 5);
    static const auto cand = smallRun("cand", 10, 3);
    deltascope::eval::PairOptions options;
    options.keepList = &*keep.value;
    const auto paired = deltascope::eval::pairRuns(base, cand, options);
    std::size_t pairs = 0;
    for (const auto& t : paired.tasks)
        pairs += t.base.size();
    if (pairs != 10) // the ten ids both runs have, each in the kept row or the audit row
        std::abort();
    return 0;
}
