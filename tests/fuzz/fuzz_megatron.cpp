// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-Core router_trace_rank*.jsonl, with its bf16 logits sidecar when the input holds a
// second part (after a "--8<--" line).
#include "FuzzSupport.h"
#include "TraceExercise.h"
#include "moe/MegatronImport.h"

#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace deltascope;
    const auto [records, sidecar] = fuzz::splitAt(data, size);
    const auto dir = fuzz::scratchDir();
    const std::string side = dir + "/logits_rank0.bin";
    std::remove(side.c_str());
    if (!sidecar.empty())
        fuzz::writeInput("logits_rank0.bin", reinterpret_cast<const std::uint8_t*>(sidecar.data()), sidecar.size());
    const auto path = fuzz::writeInput(
        "router_trace_rank0.jsonl", reinterpret_cast<const std::uint8_t*>(records.data()), records.size());
    const auto t = moe::importMegatronTrace(path, {});
    if (t.ok())
        fuzz::exerciseTrace(*t.value);
    return 0;
}
