// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/ResultsFile.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace deltascope::eval {

using Json = nlohmann::ordered_json;

std::vector<std::string> expandGroups(const ResultsFile& results, const std::vector<std::string>& names)
{
    std::vector<std::string> out;
    std::vector<std::string> seen; // groups already opened: a cycle in a broken file ends
    const auto add = [&](const auto& self, const std::string& name) -> void {
        const auto g = results.groups.find(name);
        if (g == results.groups.end()) {
            if (std::find(out.begin(), out.end(), name) == out.end())
                out.push_back(name);
            return;
        }
        if (std::find(seen.begin(), seen.end(), name) != seen.end())
            return;
        seen.push_back(name);
        for (const auto& member : g->second)
            self(self, member);
    };
    for (const auto& name : names)
        add(add, name);
    return out;
}

std::string modelFromArgs(const std::string& modelArgs)
{
    for (const char* key : { "pretrained=", "model=", "path=", "engine=", "model_name=" }) {
        const auto pos = modelArgs.find(key);
        if (pos != std::string::npos && (pos == 0 || modelArgs[pos - 1] == ',')) {
            const auto start = pos + std::string_view(key).size();
            const auto end = modelArgs.find(',', start);
            return modelArgs.substr(start, end == std::string::npos ? std::string::npos : end - start);
        }
    }
    return modelArgs;
}

namespace {

std::string stringOr(const Json& j, const char* key)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string modelOf(const Json& root)
{
    if (auto name = stringOr(root, "model_name"); !name.empty())
        return name;
    const auto cfg = root.find("config");
    if (cfg == root.end() || !cfg->is_object())
        return {};
    const auto args = cfg->find("model_args");
    if (args != cfg->end()) {
        if (args->is_string() && !args->get<std::string>().empty())
            return modelFromArgs(args->get<std::string>());
        if (args->is_object()) {
            for (const char* key : { "pretrained", "model", "path", "engine", "model_name" })
                if (auto v = stringOr(*args, key); !v.empty())
                    return v;
        }
    }
    return stringOr(*cfg, "model");
}

} // namespace

bool isResultsDocument(const std::string& path)
{
    MappedFile file;
    std::string why;
    if (!file.open(path, why) || file.text().size() > (std::size_t { 64 } << 20))
        return false;
    const std::string_view head = file.text().substr(0, 1 << 16);
    const auto first = head.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || head[first] != '{' || head.find("\"results\"") == std::string_view::npos)
        return false;
    // A first line that is a whole record of its own: a JSONL table, not one document.
    const std::string_view all = file.text();
    if (const auto nl = all.find('\n');
        nl != std::string_view::npos && nl + 1 < all.size() && Json::accept(std::string(all.substr(0, nl))))
        return false;
    std::string text(all);
    replaceNonFiniteTokens(text);
    if (jsonTooDeepAt(text) != std::string::npos)
        return false;
    const Json root = Json::parse(text, nullptr, false);
    if (!root.is_object())
        return false;
    const auto results = root.find("results");
    return results != root.end() && results->is_object()
        && (root.contains("versions") || root.contains("configs") || root.contains("config"));
}

Diagnostic resultsWithoutSamples(const std::string& path)
{
    return Diagnostic::error(path, 0,
        "an lm-eval results file: aggregate scores only, no per-sample records; lm-eval 0.4 and later write those "
        "with --log_samples, as samples_<task>_<timestamp>.jsonl beside results_<timestamp>.json");
}

Result<ResultsFile> parseResultsFile(const std::string& path)
{
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return Result<ResultsFile>::failure(Diagnostic::error(path, 0, why));
    std::string text(file.text());
    replaceNonFiniteTokens(text);
    if (const auto deep = jsonTooDeepAt(text); deep != std::string::npos)
        return Result<ResultsFile>::failure(Diagnostic::error(path, lineOfOffset(text, deep),
            "results file nested more than " + std::to_string(kMaxJsonDepth) + " levels deep"));
    Json root;
    try {
        root = Json::parse(text);
    } catch (const Json::parse_error& e) {
        // nlohmann reports a byte offset; turn it into a line.
        const auto line = lineOfOffset(text, e.byte > 0 ? e.byte - 1 : 0);
        return Result<ResultsFile>::failure(
            Diagnostic::error(path, line, std::string("malformed JSON in results file: ") + e.what()));
    } catch (const Json::exception& e) {
        return Result<ResultsFile>::failure(
            Diagnostic::error(path, 0, std::string("unreadable results file: ") + e.what()));
    }
    if (!root.is_object())
        return Result<ResultsFile>::failure(Diagnostic::error(path, 1, "a results file must hold a JSON object"));

    Result<ResultsFile> out;
    ResultsFile rf;
    rf.path = path;
    rf.model = modelOf(root);
    rf.lmEvalVersion = stringOr(root, "lm_eval_version");

    const auto results = root.find("results");
    const auto configs = root.find("configs");
    const auto hib = root.find("higher_is_better");
    // The filters the results name ("exact_match,strict-match"), in the order written: the
    // order the task's filters ran in, should its config hold no filter_list.
    std::map<std::string, std::vector<std::string>> resultFilters;
    if (results != root.end() && results->is_object()) {
        for (const auto& [task, entry] : results->items()) {
            TaskConfig tc;
            if (entry.is_object()) {
                for (const auto& [key, value] : entry.items()) {
                    const auto comma = key.find(',');
                    if (comma == std::string::npos)
                        continue;
                    const std::string metric = key.substr(0, comma);
                    if (metric.ends_with("_stderr"))
                        continue;
                    if (std::find(tc.metrics.begin(), tc.metrics.end(), metric) == tc.metrics.end())
                        tc.metrics.push_back(metric);
                    auto& filters = resultFilters[task];
                    const std::string filter = key.substr(comma + 1);
                    if (!filter.empty() && std::find(filters.begin(), filters.end(), filter) == filters.end())
                        filters.push_back(filter);
                }
            }
            rf.tasks.emplace(task, std::move(tc));
        }
    }
    if (configs != root.end() && configs->is_object()) {
        for (const auto& [task, cfg] : configs->items()) {
            auto& tc = rf.tasks[task];
            const auto fl = cfg.find("filter_list");
            if (fl != cfg.end() && fl->is_array()) {
                for (const auto& f : *fl)
                    if (f.is_object())
                        if (auto name = stringOr(f, "name"); !name.empty())
                            tc.filters.push_back(name);
            }
            const auto ml = cfg.find("metric_list");
            if (tc.metrics.empty() && ml != cfg.end() && ml->is_array()) {
                for (const auto& m : *ml)
                    if (m.is_object())
                        if (auto name = stringOr(m, "metric"); !name.empty())
                            tc.metrics.push_back(name);
            }
        }
    }
    if (hib != root.end() && hib->is_object()) {
        for (const auto& [task, metrics] : hib->items()) {
            if (!metrics.is_object())
                continue;
            auto& tc = rf.tasks[task];
            for (const auto& [metric, flag] : metrics.items())
                if (flag.is_boolean())
                    tc.higherIsBetter[metric] = flag.get<bool>();
        }
    }
    if (const auto gs = root.find("group_subtasks"); gs != root.end() && gs->is_object())
        for (const auto& [group, members] : gs->items())
            if (members.is_array() && !members.empty())
                for (const auto& m : members)
                    if (m.is_string())
                        rf.groups[group].push_back(m.get<std::string>());
    for (auto& [task, tc] : rf.tasks) {
        if (tc.filters.empty())
            if (const auto it = resultFilters.find(task); it != resultFilters.end())
                tc.filters = it->second;
        if (tc.filters.empty())
            tc.filters.push_back("none");
    }
    out.value = std::move(rf);
    return out;
}

} // namespace deltascope::eval
