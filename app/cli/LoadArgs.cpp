// SPDX-License-Identifier: GPL-3.0-or-later
#include "LoadArgs.h"

#include <cstdio>
#include <unistd.h>

namespace deltascope::cli {

std::vector<std::string> splitList(const std::vector<std::string>& values)
{
    std::vector<std::string> out;
    for (const auto& v : values) {
        std::size_t pos = 0;
        while (pos <= v.size()) {
            const auto comma = v.find(',', pos);
            const auto item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (!item.empty())
                out.push_back(item);
            if (comma == std::string::npos)
                break;
            pos = comma + 1;
        }
    }
    return out;
}

namespace {

// Task names split at commas, except that a HELM run's arguments stay together:
// "bbq:subject=all,method=multiple_choice_joint" is one task (a piece "key=value" without ':'
// continues the previous one).
std::vector<std::string> splitTasks(const std::vector<std::string>& values)
{
    std::vector<std::string> out;
    for (const auto& v : values) {
        const auto pieces = splitList({ v });
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const auto& p = pieces[i];
            const bool continues = i > 0 && p.find('=') != std::string::npos && p.find(':') == std::string::npos
                && out.back().find(':') != std::string::npos;
            if (continues)
                out.back() += "," + p;
            else
                out.push_back(p);
        }
    }
    return out;
}

} // namespace

bool readLoadOptions(const Args& args, eval::LoadOptions& load, std::string& error)
{
    load.tasks = splitTasks(args.values("task"));
    load.filters = splitList(args.values("filter"));
    for (const auto& m : args.values("metric")) {
        // HELM task names hold '=' themselves (bbq:subject=all,...): the metric follows the last one.
        const auto eq = m.rfind('=');
        if (eq == 0 || m.empty() || (eq != std::string::npos && eq + 1 == m.size())) {
            error = "--metric expects METRIC or TASK=METRIC, got \"" + m + "\"";
            return false;
        }
        if (eq == std::string::npos)
            load.metrics["*"] = m;
        else
            load.metrics[m.substr(0, eq)] = m.substr(eq + 1);
    }
    load.skipBadLines = args.has("skip-bad-lines");
    load.columns.id = args.value("id-column").value_or("");
    load.columns.score = args.value("score-column").value_or("");
    load.columns.task = args.value("task-column").value_or("");
    load.columns.filter = args.value("filter-column").value_or("");
    load.columns.weight = args.value("weight-column").value_or("");
    load.columns.prompt = args.value("prompt-column").value_or("");
    load.columns.response = args.value("response-column").value_or("");
    load.columns.target = args.value("target-column").value_or("");
    load.clusterKey = args.value("cluster").value_or("");
    if (args.has("cluster")
        && (load.clusterKey.empty() || load.clusterKey.front() == '.' || load.clusterKey.back() == '.'
            || load.clusterKey.find("..") != std::string::npos)) {
        error = "--cluster expects a column name or a field path such as doc.subject, got \"" + load.clusterKey + "\"";
        return false;
    }
    const std::string inputFormat = args.value("input-format").value_or("auto");
    if (inputFormat == "lm-eval") {
        load.format = eval::LoadOptions::Format::LmEval;
    } else if (inputFormat == "table") {
        load.format = eval::LoadOptions::Format::Table;
    } else if (inputFormat == "inspect") {
        load.format = eval::LoadOptions::Format::Inspect;
    } else if (inputFormat == "helm") {
        load.format = eval::LoadOptions::Format::Helm;
    } else if (inputFormat == "simple-evals") {
        load.format = eval::LoadOptions::Format::SimpleEvals;
    } else if (inputFormat != "auto") {
        error = "--input-format must be auto, lm-eval, table, inspect, helm or simple-evals";
        return false;
    }
    return true;
}

std::string metricsOfBothSides(const std::string& base, const std::string& cand, const eval::LoadOptions& load)
{
    auto side = [&](const std::string& path, const char* who) {
        const auto m = eval::metricsOf(path, load);
        if (!m.ok() || m.value->empty())
            return std::string();
        std::string s = std::string(who) + " has:";
        for (const auto& [task, names] : *m.value) {
            s += "\n    " + (task == "*" ? std::string("every task") : task) + ":";
            std::string list;
            for (const auto& n : names)
                list += (list.empty() ? " " : ", ") + n;
            s += list.empty() ? std::string(" (none listed)") : list;
        }
        return s;
    };
    const std::string b = side(base, "the baseline");
    const std::string c = side(cand, "the candidate");
    if (b.empty() && c.empty())
        return {};
    return (b.empty() ? "" : "\n  " + b) + (c.empty() ? "" : "\n  " + c);
}

Progress stderrProgress(bool enabled, const char* what)
{
    Progress p;
    if (!enabled || !::isatty(STDERR_FILENO))
        return p;
    p.callback = [what](double f, std::string_view stage) {
        if (f >= 0)
            std::fprintf(stderr, "\r%s: %.*s %5.1f%%", what, static_cast<int>(stage.size()), stage.data(), 100.0 * f);
        return true;
    };
    return p;
}

void clearProgress(bool enabled)
{
    if (enabled && ::isatty(STDERR_FILENO))
        std::fprintf(stderr, "\r\033[K");
}

} // namespace deltascope::cli
