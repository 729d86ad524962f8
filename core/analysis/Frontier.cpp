// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/Frontier.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "eval/RunDiscovery.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

namespace deltascope::analysis {

namespace {

Progress share(const Progress& whole, double from, double span)
{
    Progress p;
    if (whole.callback)
        p.callback = [cb = whole.callback, from, span](
                         double f, std::string_view stage) { return cb(f < 0 ? -1.0 : from + span * f, stage); };
    return p;
}

// A budget written as a JSON number or a string of digits; nothing for anything else.
std::optional<int> budgetValue(const nlohmann::json& v)
{
    if (v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= (1 << 20))
        return static_cast<int>(v.get<long long>());
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d >= 1.0 && d <= (1 << 20) && d == std::floor(d))
            return static_cast<int>(d);
    }
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        const long m = std::strtol(s.c_str(), &end, 10);
        if (!s.empty() && end == s.c_str() + s.size() && m >= 1 && m <= (1 << 20))
            return static_cast<int>(m);
    }
    return std::nullopt;
}

// "pretrained=x,budget=16,dtype=auto" -> 16.
std::optional<int> budgetInArgString(const std::string& args)
{
    std::size_t start = 0;
    while (start <= args.size()) {
        const auto comma = std::min(args.find(',', start), args.size());
        const std::string item = args.substr(start, comma - start);
        if (const auto eq = item.find('='); eq != std::string::npos && item.substr(0, eq) == "budget")
            return budgetValue(nlohmann::json(item.substr(eq + 1)));
        start = comma + 1;
    }
    return std::nullopt;
}

std::string percent(double fraction)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * fraction);
    return buf;
}

std::string oneDecimal(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string answerFor(const FrontierResult& r, bool margin)
{
    const std::string what = margin ? "no worse than the margin" : "not shown to be degraded";
    if (!r.chosen) {
        if (r.points.empty())
            return "No budget was tested.";
        const auto& largest = *std::max_element(r.points.begin(), r.points.end(),
            [](const FrontierPoint& a, const FrontierPoint& b) { return a.budget < b.budget; });
        return "Not even the largest budget's run (" + std::to_string(largest.budget) + " experts per slice) is " + what
            + ", so no budget is claimed"
            + (margin ? ": more samples or a wider margin would be needed (comparing the baseline with that run "
                        "says how many samples each task needs)."
                      : ".");
    }
    const auto& p = r.points[*r.chosen];
    const auto slices = r.sharing.xshare ? r.sharing.xshare->sliceCount : 0;
    std::string s = "The smallest budget whose run is " + what + " is " + std::to_string(p.budget)
        + " experts per slice (" + p.name + "): it activates " + percent(p.sharing.reduction)
        + " fewer experts than the trace's top-k routing";
    if (slices > 0)
        s += " (" + oneDecimal(static_cast<double>(p.sharing.activated) / static_cast<double>(slices)) + " instead of "
            + oneDecimal(static_cast<double>(p.sharing.activatedBase) / static_cast<double>(slices)) + " per slice)";
    s += " and keeps " + percent(p.sharing.massRetained) + " of the gating mass.";
    if (!margin)
        s += " Without a margin this is no evidence of a loss, not evidence of no loss: give --margin to claim it.";
    if (!r.passingBelow.empty()) {
        std::string list;
        for (const int m : r.passingBelow)
            list += (list.empty() ? "" : ", ") + std::to_string(m);
        s += " Beware: the smaller budget" + std::string(r.passingBelow.size() > 1 ? "s " : " ") + list
            + (r.passingBelow.size() > 1 ? " pass" : " passes")
            + " its own test after a larger one failed; the walk from the largest budget stops at the first "
              "failure, so "
            + (r.passingBelow.size() > 1 ? "they are" : "it is") + " not claimed.";
    }
    return s;
}

} // namespace

bool frontierAcceptable(const std::string& verdict, bool hasMargin)
{
    return hasMargin ? verdict == "no_worse_than_margin" : verdict != "degraded";
}

std::optional<std::size_t> smallestAcceptable(std::vector<FrontierPoint>& points)
{
    // One step of the walk per budget: a budget passes when every run at it passes.
    std::map<int, bool, std::greater<>> budgetPasses;
    for (const auto& p : points) {
        auto [it, fresh] = budgetPasses.emplace(p.budget, p.passes);
        if (!fresh)
            it->second = it->second && p.passes;
    }
    std::optional<int> smallest;
    for (const auto& [budget, passes] : budgetPasses) { // largest first
        if (!passes)
            break;
        smallest = budget;
    }
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < points.size(); ++i) {
        auto& p = points[i];
        p.acceptable = smallest && p.budget >= *smallest;
        if (smallest && p.budget == *smallest && !best)
            best = i;
    }
    return best;
}

std::optional<int> budgetFromResults(const std::string& runPath, const std::string& runTimestamp)
{
    auto found = eval::discoverRuns(runPath);
    if (!found.ok())
        return std::nullopt;
    for (const auto& run : *found.value) {
        if (run.resultsFile.empty() || (!runTimestamp.empty() && run.key() != runTimestamp))
            continue;
        MappedFile file;
        std::string error;
        if (!file.open(run.resultsFile, error))
            return std::nullopt;
        auto json = parseJsonText(file.text(), run.resultsFile);
        if (!json.ok() || !json.value->is_object())
            return std::nullopt;
        const auto config = json.value->find("config");
        if (config == json.value->end() || !config->is_object())
            return std::nullopt;
        if (const auto b = config->find("budget"); b != config->end())
            return budgetValue(*b);
        const auto args = config->find("model_args");
        if (args == config->end())
            return std::nullopt;
        if (args->is_object()) {
            const auto b = args->find("budget");
            return b == args->end() ? std::nullopt : budgetValue(*b);
        }
        return args->is_string() ? budgetInArgString(args->get<std::string>()) : std::nullopt;
    }
    return std::nullopt;
}

Result<std::vector<int>> candidateBudgets(const FrontierRequest& request, const MatrixResult& matrix)
{
    using R = Result<std::vector<int>>;
    R r;
    r.value.emplace();
    std::vector<std::optional<int>> named(matrix.candidates.size());
    for (const auto& [name, m] : request.budgets) {
        const auto which = candidatesNamed(matrix.candidates, name);
        if (which.empty())
            return R::failure(Diagnostic::error({}, 0, "the budget of \"" + name + "\" names no candidate"));
        if (which.size() > 1) {
            std::string list;
            for (const auto i : which)
                list += (list.empty() ? "" : ", ") + matrix.candidates[i].name;
            return R::failure(Diagnostic::error(
                {}, 0, "the budget of \"" + name + "\" could name " + list + ": give the whole name"));
        }
        named[which.front()] = m;
    }
    for (std::size_t i = 0; i < matrix.candidates.size(); ++i) {
        const auto& c = matrix.candidates[i];
        const auto& side = c.comparison.request.cand;
        std::optional<int> budget = named[i];
        if (!budget)
            budget = budgetFromResults(side.path, side.load.runTimestamp);
        if (!budget)
            return R::failure(Diagnostic::error(side.path, 0,
                "the candidate \"" + c.name
                    + "\" has no budget: name it (budget NAME=M) or record a budget in its results' config"));
        r.value->push_back(*budget);
    }
    return r;
}

Result<FrontierResult> runFrontier(
    const FrontierRequest& request, const backend::ComputeBackend& compute, const Progress& progress)
{
    using R = Result<FrontierResult>;
    // The budgets are tested in a fixed sequence (see the header): each at the full alpha.
    MatrixRequest perCandidate = request.matrix;
    perCandidate.alphaPerCandidate = true;
    auto matrix = runMatrix(perCandidate, compute, share(progress, 0.0, 0.8));
    if (!matrix.ok())
        return R::failure(*matrix.error);
    FrontierResult out;
    out.matrix = std::move(*matrix.value);
    auto budgets = candidateBudgets(request, out.matrix);
    if (!budgets.ok())
        return R::failure(*budgets.error);

    ExpertScenario scenario = request.scenario;
    scenario.budgets = *budgets.value;
    std::sort(scenario.budgets.begin(), scenario.budgets.end());
    scenario.budgets.erase(std::unique(scenario.budgets.begin(), scenario.budgets.end()), scenario.budgets.end());
    scenario.perSlice = false;
    scenario.maps = false;
    auto sharing = runExpertSharing(scenario, compute, share(progress, 0.8, 0.2));
    if (!sharing.ok())
        return R::failure(*sharing.error);
    out.sharing = std::move(*sharing.value);

    const bool margin = !request.matrix.stats.margins.empty();
    out.criterion = margin ? "no_worse_than_margin" : "not degraded";
    for (std::size_t i = 0; i < out.matrix.candidates.size(); ++i) {
        FrontierPoint p;
        p.candidate = static_cast<int>(i);
        p.name = out.matrix.candidates[i].name;
        p.budget = (*budgets.value)[i];
        for (const auto& b : out.sharing.xshare->results)
            if (b.budget == p.budget)
                p.sharing = b;
        p.verdict = out.matrix.candidates[i].verdict;
        p.passes = frontierAcceptable(p.verdict, margin);
        out.points.push_back(std::move(p));
    }
    // The activated experts per slice become the matrix's cost, so its frontier plot is the budget plot.
    if (out.matrix.costColumns.end()
        == std::find_if(out.matrix.costColumns.begin(), out.matrix.costColumns.end(),
            [](const CostColumn& c) { return c.name == "activated_experts"; })) {
        out.matrix.costColumns.push_back(costColumn("activated_experts"));
        const auto slices = static_cast<double>(std::max<std::int64_t>(1, out.sharing.xshare->sliceCount));
        for (const auto& p : out.points)
            out.matrix.candidates[static_cast<std::size_t>(p.candidate)].costs.push_back(
                static_cast<double>(p.sharing.activated) / slices);
    }
    std::stable_sort(out.points.begin(), out.points.end(),
        [](const FrontierPoint& a, const FrontierPoint& b) { return a.budget < b.budget; });
    out.chosen = smallestAcceptable(out.points);
    // Budgets the walk did not reach whose every run passes on its own, largest first.
    for (auto it = out.points.rbegin(); it != out.points.rend(); ++it) {
        const int m = it->budget;
        const bool allPass = std::all_of(
            out.points.begin(), out.points.end(), [m](const FrontierPoint& q) { return q.budget != m || q.passes; });
        if (allPass && !it->acceptable
            && std::find(out.passingBelow.begin(), out.passingBelow.end(), m) == out.passingBelow.end())
            out.passingBelow.push_back(m);
    }
    out.answer = answerFor(out, margin);
    progress.report(1.0, "done");
    R r;
    r.value = std::move(out);
    return r;
}

} // namespace deltascope::analysis
