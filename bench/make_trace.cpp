// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a seeded synthetic dense fp32 trace of about SIZE_GB for the benchmarks, with no other
// dependency than the trace library (the GPU check machine has no deltascope-cli):
//   make_trace OUT.safetensors SIZE_GB [experts=128] [layers=16] [top_k=8]
#include "moe/Safetensors.h"
#include "moe/SynthTrace.h"

#include <cstdio>
#include <string>

using namespace deltascope;

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: make_trace OUT.safetensors SIZE_GB [experts] [layers] [top_k]\n");
        return 2;
    }
    const double gb = std::stod(argv[2]);
    moe::SynthOptions o;
    o.experts = argc > 3 ? std::stoll(argv[3]) : 128;
    o.layers = argc > 4 ? std::stoll(argv[4]) : 16;
    o.topK = argc > 5 ? std::stoll(argv[5]) : 8;
    o.tokensPerRequest = 256;
    const auto tokens = static_cast<std::int64_t>(gb * 1e9 / (4.0 * static_cast<double>(o.layers * o.experts)));
    o.requests = std::max<std::int64_t>(1, tokens / o.tokensPerRequest);
    o.popularity = &moe::builtinOlmoeCounts();
    const auto trace = moe::makeSyntheticTrace(o);
    const std::string why = moe::writeTraceFile(argv[1], trace);
    if (!why.empty()) {
        std::fprintf(stderr, "make_trace: %s\n", why.c_str());
        return 2;
    }
    std::printf("make_trace: %s, %lld tokens x %lld layers x %lld experts (%.3f GB)\n", argv[1],
        static_cast<long long>(trace.tokens), static_cast<long long>(trace.layers),
        static_cast<long long>(trace.experts), static_cast<double>(trace.scoreBytes()) / 1e9);
    return 0;
}
