// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/SimpleEvalsRun.h"

#include "common/TextUtil.h"
#include "eval/HelmJson.h"
#include "eval/ScoreValue.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>
#include <unordered_map>
#include <vector>

namespace fs = std::filesystem;

namespace deltascope::eval {

namespace {

using namespace helmjson;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kSuffix = "_allresults.json";

// The evals simple-evals names its files after, longest first so that healthbench_hard wins.
constexpr const char* kEvals[] = { "healthbench_consensus", "healthbench_hard", "healthbench_meta", "healthbench",
    "browsecomp", "humaneval", "simpleqa", "mmlu_pro", "gpqa", "mgsm", "math", "mmlu", "drop" };

bool allDigits(std::string_view s)
{
    return !s.empty()
        && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

const std::vector<std::string> kEntryKeys { "metadata", "example_level_metadata" };

std::string textOf(element v)
{
    std::string_view s;
    if (!v.get_string().get(s))
        return std::string(s);
    if (v.is_null())
        return {};
    return simdjson::to_string(v);
}

// Messages [{role, content}, ...] as "role: content" blocks.
std::string messagesText(element v)
{
    simdjson::dom::array list;
    if (v.get_array().get(list))
        return textOf(v);
    std::string out;
    for (auto m : list) {
        object o;
        if (m.get_object().get(o)) {
            out += (out.empty() ? "" : "\n\n") + textOf(m);
            continue;
        }
        element role;
        element content;
        std::string who = o.at_key("role").get(role) ? std::string() : textOf(role);
        std::string what = o.at_key("content").get(content) ? std::string() : textOf(content);
        out += (out.empty() ? "" : "\n\n") + (who.empty() ? what : who + ": " + what);
    }
    return out;
}

std::string idOf(object o, bool& ok)
{
    element v;
    if (o.at_key("prompt_id").get(v)) {
        ok = false;
        return {};
    }
    return scalarText(v, ok);
}

std::vector<std::string> numericKeys(const std::vector<Element>& entries)
{
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto& el : entries) {
        object o;
        if (el.value.get_object().get(o))
            continue;
        for (auto [key, value] : o) {
            bool bad = false;
            (void)numberOf(value, bad);
            if (!bad && !value.is_null() && value.type() != simdjson::dom::element_type::STRING
                && seen.insert(std::string(key)).second)
                names.emplace_back(key);
        }
    }
    return names;
}

std::string listing(const std::vector<std::string>& names)
{
    std::string s;
    for (const auto& n : names)
        s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? std::string("none") : s;
}

Result<std::vector<Element>> entriesOf(const Document& doc)
{
    auto r = doc.arrayAt(kEntryKeys);
    if (!r.ok() && r.error->message.starts_with("no "))
        r.error->message = "no metadata.example_level_metadata: the file keeps no per-example scores (expected "
                           "simple-evals *_allresults.json output)";
    return r;
}

} // namespace

bool isSimpleEvalsFileName(const std::string& name)
{
    return name.size() > kSuffix.size() && name.ends_with(kSuffix);
}

SimpleEvalsName parseSimpleEvalsName(const std::string& path)
{
    SimpleEvalsName out;
    std::string stem = fs::path(path).filename().string();
    if (stem.ends_with(kSuffix))
        stem.resize(stem.size() - kSuffix.size());
    else if (stem.ends_with(".json"))
        stem.resize(stem.size() - 5);
    std::string rest = stem;
    out.task = "simple-evals";
    for (const char* e : kEvals) {
        const std::string prefix = std::string(e) + "_";
        if (stem.starts_with(prefix)) {
            out.task = e;
            rest = stem.substr(prefix.size());
            break;
        }
    }
    // A _YYYYMMDD_HHMMSS anywhere in the rest is the timestamp.
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= rest.size()) {
        const auto us = rest.find('_', pos);
        parts.push_back(rest.substr(pos, us == std::string::npos ? std::string::npos : us - pos));
        if (us == std::string::npos)
            break;
        pos = us + 1;
    }
    std::string model;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (out.timestamp.empty() && i + 1 < parts.size() && parts[i].size() == 8 && parts[i + 1].size() == 6
            && allDigits(parts[i]) && allDigits(parts[i + 1])) {
            out.timestamp = parts[i] + "_" + parts[i + 1];
            ++i;
            continue;
        }
        model += (model.empty() ? "" : "_") + parts[i];
    }
    out.model = model.empty() ? stem : model;
    return out;
}

Result<std::vector<std::string>> simpleEvalsMetrics(const std::string& path)
{
    using R = Result<std::vector<std::string>>;
    auto doc = Document::open(path, "simple-evals *_allresults.json output");
    if (!doc.ok())
        return R::failure(*doc.error);
    auto entries = entriesOf(**doc.value);
    if (!entries.ok())
        return R::failure(*entries.error);
    return R { numericKeys(*entries.value), {}, std::nullopt };
}

namespace {

// simple-evals runs each prompt n_repeats times and averages: the examples of one prompt_id become
// one sample scored with the mean of its repeats (NaN ones left out), its text the first repeat's.
// The first two repeats' disagreements are the run's noise floor, as an Inspect log's epochs are.
void averageRepeats(TaskSamples& task, const std::string& path, std::vector<Diagnostic>& warnings)
{
    std::unordered_map<std::string, std::size_t> first;
    std::vector<SampleRecord> merged;
    std::vector<double> sum;
    std::vector<int> count;
    std::vector<int> seen;
    std::vector<double> firstTwo[2];
    bool repeated = false;
    for (auto& s : task.samples) {
        const auto [it, fresh] = first.emplace(s.docId, merged.size());
        const std::size_t k = it->second;
        if (fresh) {
            merged.push_back(s);
            sum.push_back(0.0);
            count.push_back(0);
            seen.push_back(0);
            firstTwo[0].push_back(std::nan(""));
            firstTwo[1].push_back(std::nan(""));
        } else {
            repeated = true;
        }
        if (seen[k] < 2)
            firstTwo[seen[k]][k] = s.score;
        ++seen[k];
        if (!std::isnan(s.score)) {
            sum[k] += s.score;
            ++count[k];
        }
    }
    if (!repeated)
        return;
    std::int64_t flips = 0;
    int most = 0;
    for (std::size_t k = 0; k < merged.size(); ++k) {
        merged[k].score = count[k] > 0 ? sum[k] / count[k] : std::nan("");
        most = std::max(most, seen[k]);
        if (!std::isnan(firstTwo[0][k]) && !std::isnan(firstTwo[1][k]) && firstTwo[0][k] != firstTwo[1][k])
            ++flips;
    }
    warnings.push_back(Diagnostic::note(path, 0,
        std::to_string(task.samples.size()) + " examples of " + std::to_string(merged.size()) + " prompts (up to "
            + std::to_string(most)
            + " repeats of a prompt_id, as n_repeats writes them): each prompt is scored with the mean of its "
              "repeats"));
    task.samples = std::move(merged);
    task.epochFlips = flips;
}

} // namespace

Result<EvalRun> loadSimpleEvals(const std::string& path, const SimpleEvalsLoadOptions& options)
{
    using R = Result<EvalRun>;
    auto opened = Document::open(path, "simple-evals *_allresults.json output");
    if (!opened.ok())
        return R::failure(*opened.error);
    const Document& doc = **opened.value;
    object root;
    if (doc.root().get_object().get(root))
        return R::failure(Diagnostic::error(path, 1, "expected a JSON object (simple-evals *_allresults.json output)"));
    auto listed = entriesOf(doc);
    if (!listed.ok())
        return R::failure(*listed.error);
    const auto& entries = *listed.value;
    if (entries.empty())
        return R::failure(Diagnostic::error(path, 0, "metadata.example_level_metadata is empty"));
    const auto name = parseSimpleEvalsName(path);

    std::string metric = "score";
    if (auto m = options.metrics.find(name.task); m != options.metrics.end())
        metric = m->second;
    else if (auto all = options.metrics.find("*"); all != options.metrics.end())
        metric = all->second;
    const auto names = numericKeys(entries);
    if (std::find(names.begin(), names.end(), metric) == names.end()) {
        // A score written as text in every example: say where, and what was expected.
        for (std::size_t i = 0; i < entries.size(); ++i) {
            object o;
            element v;
            if (entries[i].value.get_object().get(o) || o.at_key(metric).get(v)
                || v.type() != simdjson::dom::element_type::STRING)
                continue;
            return R::failure(Diagnostic::error(path, entries[i].line,
                "example " + std::to_string(i + 1) + ": the \"" + metric + "\" field holds the string \""
                    + std::string(std::string_view(v)).substr(0, 40)
                    + "\", but a number was expected (a per-example score such as 1, 0 or 0.75)"));
        }
        return R::failure(Diagnostic::error(
            path, 0, "task " + name.task + " has no metric \"" + metric + "\" (this run has: " + listing(names) + ")"));
    }

    R out;
    EvalRun run;
    run.info.path = path;
    run.info.model = name.model;
    run.info.timestamp = name.timestamp;
    run.info.format = kSimpleEvalsFormat;
    run.files.push_back(path);
    TaskSamples task;
    task.task = name.task;
    task.metric = metric;
    std::int64_t missing = 0;
    std::int64_t firstMissing = 0;
    std::int64_t skipped = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& el = entries[i];
        const std::string which = "example " + std::to_string(i + 1);
        std::string problem;
        object o;
        std::string id;
        std::optional<double> score;
        if (el.value.get_object().get(o)) {
            problem = which + " is " + typeName(el.value) + ", not an object";
        } else {
            bool ok = false;
            id = idOf(o, ok);
            element v;
            if (!ok && o.at_key("prompt_id").get(v))
                problem = which + " has no \"prompt_id\"";
            else if (!ok || id.empty())
                problem = which + ": \"prompt_id\" is " + typeName(v) + ", not a string";
            else if (!o.at_key(metric).get(v)) {
                bool bad = false;
                score = numberOf(v, bad);
                if (bad)
                    problem = which + " (" + id + "): the \"" + metric + "\" field holds " + typeName(v)
                        + ", but a number was expected";
                else if (score && std::isnan(*score))
                    problem = nanScoreMessage(metric);
            }
        }
        if (!problem.empty()) {
            if (!options.skipBadLines)
                return R::failure(Diagnostic::badRecord(path, el.line, problem));
            if (++skipped <= 5)
                out.warnings.push_back(Diagnostic::warning(path, el.line, problem + "; skipped"));
            continue;
        }
        if (!score && missing++ == 0)
            firstMissing = el.line;
        SampleRecord s;
        s.docId = id;
        if (score)
            s.score = *score;
        s.offset = el.offset;
        s.length = el.length;
        s.line = el.line;
        task.samples.push_back(std::move(s));
    }
    if (skipped > 5)
        out.warnings.push_back(
            Diagnostic::warning(path, 0, std::to_string(skipped) + " malformed examples skipped in all"));
    if (missing > 0)
        out.warnings.push_back(Diagnostic::warning(path, firstMissing,
            std::to_string(missing) + " example(s) have no \"" + metric
                + "\" value (the first is on this line); they are left out of the comparison"));
    if (task.samples.empty())
        return R::failure(Diagnostic::error(path, 0, "no usable example"));
    // Every repeat scored 0 or 1: the means of repeats are still an accuracy (a margin in points).
    task.rightOrWrong = std::all_of(task.samples.begin(), task.samples.end(),
        [](const SampleRecord& s) { return std::isnan(s.score) || s.score == 0.0 || s.score == 1.0; });
    averageRepeats(task, path, out.warnings);
    run.tasks.push_back(std::move(task));
    out.value = std::move(run);
    return out;
}

Result<SampleDetail> readSimpleEvalsSampleDetail(const EvalRun& run, const SampleRecord& record)
{
    using R = Result<SampleDetail>;
    if (record.file >= run.files.size())
        return R::failure(Diagnostic::error({}, 0, "the sample names no file of its run"));
    const std::string& path = run.files[record.file];
    auto opened = Document::open(path, "simple-evals *_allresults.json output");
    if (!opened.ok())
        return R::failure(*opened.error);
    auto entries = entriesOf(**opened.value);
    if (!entries.ok())
        return R::failure(*entries.error);
    SampleDetail d;
    d.docId = record.docId;
    d.file = path;
    d.line = record.line;
    for (const auto& el : *entries.value) {
        object o;
        bool ok = false;
        if (el.value.get_object().get(o) || idOf(o, ok) != record.docId || !ok)
            continue;
        d.line = el.line;
        element v;
        if (!o.at_key("prompt").get(v))
            d.prompt = messagesText(v);
        if (!o.at_key("completion").get(v)) {
            simdjson::dom::array list;
            if (!v.get_array().get(list)) {
                for (auto m : list) {
                    element content;
                    const std::string text = m.at_key("content").get(content) ? textOf(m) : textOf(content);
                    d.response += (d.response.empty() ? "" : "\n\n") + text;
                }
            } else {
                d.response = textOf(v);
            }
        }
        std::int64_t met = 0;
        std::int64_t total = 0;
        simdjson::dom::array rubric;
        if (!o.at_key("rubric_items").get(v) && !v.get_array().get(rubric)) {
            for (auto item : rubric) {
                element c;
                element p;
                element m;
                bool isMet = false;
                const bool known = !item.at_key("criteria_met").get(m) && !m.get_bool().get(isMet);
                std::string line = "[" + (item.at_key("points").get(p) ? std::string("?") : textOf(p)) + "] ";
                line += known ? (isMet ? "met: " : "not met: ") : "";
                line += item.at_key("criterion").get(c) ? std::string() : textOf(c);
                d.target += (d.target.empty() ? "" : "\n") + line;
                total += 1;
                met += isMet ? 1 : 0;
            }
        }
        for (auto [key, value] : o) {
            bool bad = false;
            const auto x = numberOf(value, bad);
            if (!bad && x && value.type() != simdjson::dom::element_type::STRING)
                d.metrics.emplace_back(std::string(key), formatDouble(*x));
        }
        if (total > 0)
            d.metrics.emplace_back("rubric criteria met", std::to_string(met) + " of " + std::to_string(total));
        break;
    }
    return R { std::move(d), {}, std::nullopt };
}

} // namespace deltascope::eval
