// SPDX-License-Identifier: GPL-3.0-or-later
#include "moe/Batching.h"

#include <algorithm>
#include <map>

namespace deltascope::moe {

Result<Batches> makeBatches(const Trace& trace, const BatchingOptions& options)
{
    using R = Result<Batches>;
    Batches b;
    if (!options.replay) {
        if (!trace.hasSteps())
            return R::failure(
                Diagnostic::error({}, 0, "the trace has no recorded step ids; replay it with a batch size"));
        std::map<std::int32_t, std::vector<std::int64_t>> bySteps;
        for (std::int64_t t = 0; t < trace.tokens; ++t)
            bySteps[trace.stepId[static_cast<std::size_t>(t)]].push_back(t);
        b.mode = "recorded";
        for (auto& [step, rows] : bySteps)
            b.tokens.push_back(std::move(rows));
        std::size_t largest = 0;
        for (const auto& rows : b.tokens)
            largest = std::max(largest, rows.size());
        b.batchSize = static_cast<std::int64_t>(largest);
        Result<Batches> out;
        out.value = std::move(b);
        return out;
    }
    if (options.batchSize < 1)
        return R::failure(Diagnostic::error({}, 0, "batch size must be at least 1"));
    if (options.gamma < 0)
        return R::failure(Diagnostic::error({}, 0, "speculative length (gamma) must be at least 0"));
    std::map<std::int32_t, std::vector<std::int64_t>> byRequest;
    for (std::int64_t t = 0; t < trace.tokens; ++t)
        byRequest[trace.requestId[static_cast<std::size_t>(t)]].push_back(t);
    std::vector<const std::vector<std::int64_t>*> queue;
    if (options.requests.empty()) {
        for (const auto& [id, rows] : byRequest)
            queue.push_back(&rows);
    } else {
        std::vector<std::int32_t> wanted = options.requests;
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        for (const auto id : wanted) {
            const auto it = byRequest.find(id);
            if (it == byRequest.end())
                return R::failure(Diagnostic::error({}, 0, "request " + std::to_string(id) + " is not in the trace"));
            queue.push_back(&it->second);
        }
    }
    struct Slot {
        const std::vector<std::int64_t>* rows = nullptr;
        std::size_t next = 0;
    };
    std::vector<Slot> slots(static_cast<std::size_t>(options.batchSize));
    std::size_t nextRequest = 0;
    for (auto& s : slots)
        if (nextRequest < queue.size())
            s.rows = queue[nextRequest++];
    const auto perStep = static_cast<std::size_t>(1 + options.gamma);
    while (true) {
        std::vector<std::int64_t> batch;
        std::vector<Slot*> finished;
        for (auto& s : slots) {
            if (!s.rows)
                continue;
            const std::size_t take = std::min(perStep, s.rows->size() - s.next);
            batch.insert(batch.end(), s.rows->begin() + static_cast<std::ptrdiff_t>(s.next),
                s.rows->begin() + static_cast<std::ptrdiff_t>(s.next + take));
            s.next += take;
            if (s.next >= s.rows->size())
                finished.push_back(&s);
        }
        if (batch.empty())
            break;
        b.tokens.push_back(std::move(batch));
        // Freed slots take the next requests at the following step.
        for (Slot* s : finished) {
            s->rows = nextRequest < queue.size() ? queue[nextRequest++] : nullptr;
            s->next = 0;
        }
    }
    b.mode = "replay";
    b.batchSize = options.batchSize;
    b.gamma = options.gamma;
    Result<Batches> out;
    out.value = std::move(b);
    return out;
}

} // namespace deltascope::moe
