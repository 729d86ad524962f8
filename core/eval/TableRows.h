// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the CSV and JSONL table readers share (TableLoader.cpp, TableJsonl.cpp); not a public
// interface.
#include "common/Diagnostic.h"
#include "common/TextUtil.h"
#include "eval/EvalRun.h"
#include "eval/TableLoader.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <simdjson.h>
#include <string>
#include <string_view>
#include <unordered_map>

namespace deltascope::eval::table {

namespace od = simdjson::ondemand;

inline const char* const kIdDefaults[] = { "doc_id", "id", "example_id", "prompt_id", "sample_id", "question_id" };

inline std::string stemOf(const std::string& path)
{
    return std::filesystem::path(path).stem().string();
}

struct TaskGroups {
    std::vector<TaskSamples> tasks;
    std::unordered_map<std::string, std::size_t> index; ///< by task, a NUL, then filter
    std::string key; ///< the lookup key, reused from row to row
    std::string scoreName;

    std::string fileTask;
    bool logLikelihood = false; ///< a weight column: scores are corpus items' log-likelihoods

    std::size_t last = 0; ///< the group of the row before: rows of one task often come together

    TaskSamples& get(const std::string& task, const std::string& filter)
    {
        if (last < tasks.size() && tasks[last].task == task && tasks[last].filter == filter)
            return tasks[last];
        // A few groups (rows of several tasks taking turns) are compared in place.
        if (tasks.size() <= 16)
            for (std::size_t i = 0; i < tasks.size(); ++i)
                if (tasks[i].task == task && tasks[i].filter == filter) {
                    last = i;
                    return tasks[i];
                }
        key.assign(task);
        key.push_back('\0');
        key.append(filter);
        auto it = index.find(key);
        if (it != index.end()) {
            last = it->second;
            return tasks[it->second];
        }
        last = tasks.size();
        index.emplace(key, tasks.size());
        TaskSamples t;
        t.task = task;
        t.filter = filter;
        t.metric = scoreName;
        t.taskFromFileName = task == fileTask;
        t.logLikelihood = logLikelihood;
        t.clusterKey = clusterKey;
        tasks.push_back(std::move(t));
        clusterIndex.emplace_back();
        return tasks.back();
    }

    // With a cluster key: the per-task cluster indices and the count of rows without a cluster.
    std::string clusterKey;
    std::vector<detail::ClusterIndex> clusterIndex; // parallel to tasks
    std::map<std::string, detail::ClusterTally> clusterTally; // per task name

    /// Adds a row; `cluster` is its cluster value, null when it has none.
    void add(const std::string& task, const std::string& filter, SampleRecord s, const std::string* cluster)
    {
        TaskSamples& t = get(task, filter);
        if (!clusterKey.empty()) {
            auto& tally = clusterTally[task];
            tally.count(cluster != nullptr, s.line, s.offset, s.length);
            if (cluster)
                s.cluster = clusterIndex[static_cast<std::size_t>(&t - tasks.data())].intern(t, *cluster);
        }
        t.samples.push_back(std::move(s));
    }

    /// The error when a task has no row with a cluster, else the warnings for rows without one.
    bool checkClusters(const std::string& path, std::string_view text, Result<EvalRun>& out)
    {
        for (auto& [task, tally] : clusterTally) {
            tally.task = task;
            tally.file = path;
            auto problem = detail::clusterProblem(tally, clusterKey, text);
            if (problem && problem->severity == Diagnostic::Severity::Error) {
                out.error = std::move(*problem);
                return false;
            }
            if (problem)
                out.warnings.push_back(std::move(*problem));
        }
        return true;
    }

    /// The loaded tasks as the run of out, once every row is read; the cluster problems decide
    /// whether it is an error.
    Result<EvalRun> finish(const std::string& path, std::string_view text, Result<EvalRun>& out)
    {
        if (!checkClusters(path, text, out))
            return Result<EvalRun>::failure(*out.error);
        EvalRun run;
        run.tasks = std::move(tasks);
        out.value = std::move(run);
        return std::move(out);
    }
};

// A malformed row: fatal, or with skipping a warning. Returns false when loading must stop (the
// error is then in out.error).
inline bool reportBadRow(Diagnostic d, bool skip, Result<EvalRun>& out)
{
    if (!skip) {
        d.skippable = true;
        out.error = std::move(d);
        return false;
    }
    d.severity = Diagnostic::Severity::Warning;
    d.message += "; skipped";
    out.warnings.push_back(std::move(d));
    return true;
}

// Rows without a usable score: NaN (fatal, or left out with skipping) and missing (kept, NaN).
struct RowCounts {
    std::int64_t nan = 0;
    std::int64_t firstNan = 0;
    std::int64_t missing = 0;
    std::int64_t firstMissing = 0;

    // Counts a row; returns false when a NaN score must stop the load (the error is in out.error).
    bool keep(const std::string& path, std::int64_t line, const std::string& scoreName, bool isNan, bool noScore,
        bool skip, Result<EvalRun>& out)
    {
        if (isNan && !skip) {
            out.error = Diagnostic::badRecord(path, line, nanScoreMessage(scoreName));
            return false;
        }
        if (isNan) {
            if (nan++ == 0)
                firstNan = line;
        } else if (noScore && missing++ == 0) {
            firstMissing = line;
        }
        return true;
    }

    void warn(const std::string& path, const std::string& scoreName, const std::string& missingWhat,
        Result<EvalRun>& out) const
    {
        if (nan > 0)
            out.warnings.push_back(Diagnostic::warning(path, firstNan,
                std::to_string(nan) + " row(s) with a NaN "
                    + (scoreName == "score" ? std::string("score") : "\"" + scoreName + "\" score")
                    + " left out of the comparison (the first is on this line)"));
        if (missing > 0)
            out.warnings.push_back(Diagnostic::warning(path, firstMissing,
                std::to_string(missing) + " " + missingWhat + "; they are left out of the comparison"));
    }
};

// ---- CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) ----

inline std::string weightProblem(std::string_view text, const std::string& column)
{
    return "weight \"" + std::string(text) + "\" is not a finite number >= 0 (column \"" + column + "\")";
}

/// A JSONL table (one object per line) read with the columns given.
/// The rows of a JSONL table; text is the file's text, which starts at byte textStart of the file
/// (past a byte-order mark).
Result<EvalRun> loadJsonl(
    const std::string& path, std::string_view text, std::size_t textStart, const TableColumns& columns, bool skipBad);

} // namespace deltascope::eval::table
