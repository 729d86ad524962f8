// SPDX-License-Identifier: GPL-3.0-or-later
// Runs one expert-sharing configuration on a trace and prints the whole result as JSON, for the
// independent numpy oracle (xshare_oracle.py). It links only the trace library and the host half of
// the GPU path, so the oracle checks the CPU backend and the device slice code (emulated) without
// the command line in between.
//   xshare_dump TRACE --policy topk|batch|ep|spec --budgets 4,5,6 [--batch-size B] [--gamma G]
//       [--recorded] [--warmup W] [--devices G] [--placement FILE] [--request-experts m] [--maps]
//       [--engine cpu|emulated] [--threads n]
#include "XSharePlan.h"
#include "moe/Batching.h"
#include "moe/Placement.h"
#include "moe/Safetensors.h"
#include "moe/XShareRun.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

using namespace deltascope;

namespace {

std::vector<int> intList(const std::string& text)
{
    std::vector<int> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        out.push_back(std::stoi(item));
    return out;
}

nlohmann::json toJson(const moe::XShareResult& r)
{
    nlohmann::json j;
    j["sliceCount"] = r.sliceCount;
    for (const auto& b : r.results) {
        nlohmann::json x { { "budget", b.budget }, { "activatedBase", b.activatedBase }, { "activated", b.activated },
            { "massRetained", b.massRetained }, { "topkOverlap", b.topkOverlap },
            { "unchangedTokens", b.unchangedTokens }, { "peakDeviceLoadBase", b.peakDeviceLoadBase },
            { "peakDeviceLoad", b.peakDeviceLoad }, { "peakDeviceTokensBase", b.peakDeviceTokensBase },
            { "peakDeviceTokens", b.peakDeviceTokens } };
        for (const auto& l : b.perLayer)
            x["perLayer"].push_back({ { "layer", l.layer }, { "activatedBaseMean", l.activatedBaseMean },
                { "activatedMean", l.activatedMean }, { "massRetained", l.massRetained } });
        j["results"].push_back(x);
    }
    if (!r.maps.base.empty())
        j["maps"] = { { "base", r.maps.base }, { "policy", r.maps.policy }, { "deviceBase", r.maps.deviceBase },
            { "device", r.maps.device }, { "deviceTokensBase", r.maps.deviceTokensBase },
            { "deviceTokens", r.maps.deviceTokens } };
    j["slices"] = nlohmann::json::array();
    for (const auto& s : r.slices)
        j["slices"].push_back(
            { { "layer", s.layer }, { "batch", s.batch }, { "tokens", s.tokens }, { "activatedBase", s.activatedBase },
                { "activated", s.activated }, { "massRetained", s.massRetained }, { "selected", s.selected } });
    return j;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: xshare_dump TRACE --policy P --budgets M1,M2 [options]\n");
        return 2;
    }
    moe::XShareOptions o;
    o.perSlice = true;
    o.threads = 2;
    moe::BatchingOptions bo;
    bo.replay = true;
    std::string placement;
    std::string engine = "cpu";
    for (int i = 2; i < argc;) {
        const std::string flag = argv[i];
        if (flag == "--maps" || flag == "--recorded") {
            if (flag == "--maps")
                o.maps = true;
            else
                bo.replay = false;
            ++i;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "%s needs a value\n", flag.c_str());
            return 2;
        }
        const std::string value = argv[i + 1];
        i += 2;
        if (flag == "--policy") {
            if (!moe::parsePolicy(value, o.policy.policy)) {
                std::fprintf(stderr, "unknown policy %s\n", value.c_str());
                return 2;
            }
        } else if (flag == "--budgets") {
            o.budgets = intList(value);
        } else if (flag == "--batch-size") {
            bo.batchSize = std::stoll(value);
        } else if (flag == "--gamma") {
            bo.gamma = std::stoll(value);
        } else if (flag == "--warmup") {
            o.policy.warmup = std::stoi(value);
        } else if (flag == "--devices") {
            o.policy.devices = std::stoi(value);
        } else if (flag == "--placement") {
            placement = value;
        } else if (flag == "--request-experts") {
            o.policy.requestExperts = std::stoi(value);
        } else if (flag == "--engine") {
            engine = value;
        } else if (flag == "--threads") {
            o.threads = static_cast<unsigned>(std::stoul(value));
        } else {
            std::fprintf(stderr, "unknown option %s\n", flag.c_str());
            return 2;
        }
    }
    auto trace = moe::readTraceFile(argv[1]);
    if (!trace.ok()) {
        std::fprintf(stderr, "%s\n", trace.error->toString().c_str());
        return 2;
    }
    if (!placement.empty()) {
        auto p = moe::loadPlacement(placement, static_cast<int>(trace.value->experts), o.policy.devices);
        if (!p.ok()) {
            std::fprintf(stderr, "%s\n", p.error->toString().c_str());
            return 2;
        }
        o.policy.placement = p.value->device;
        o.policy.replicas = p.value->replicas;
    }
    const auto batches = moe::makeBatches(*trace.value, bo);
    if (!batches.ok()) {
        std::fprintf(stderr, "%s\n", batches.error->toString().c_str());
        return 2;
    }
    const auto r = engine == "emulated" ? gpu::emulateXShare(*trace.value, *batches.value, o, 37)
                                        : moe::runXShare(*trace.value, *batches.value, o);
    if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.error->toString().c_str());
        return 2;
    }
    std::cout << toJson(*r.value).dump() << "\n";
    return 0;
}
