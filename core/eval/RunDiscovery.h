// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <string>
#include <vector>

namespace deltascope::eval {

struct SamplesFileRef {
    std::string task;
    std::string path;
};

/// One lm-eval run found on disk: a results file and the samples files of the same timestamp.
struct RunCandidate {
    std::string dir;
    std::string timestamp; ///< empty for 0.4.0-0.4.2 runs, which have none
    std::string resultsFile; ///< empty when only samples files were found
    std::vector<SamplesFileRef> samples;
    std::string model;
    std::string lmEvalVersion;
    /// The tool that wrote the run and its version, for pickers ("lm-eval 0.4.9", "inspect_ai
    /// 0.3.128"); empty when the files do not say.
    std::string toolVersion;
    bool legacyArrays = false; ///< 0.4.0-0.4.2: samples are indented JSON arrays
    /// An Inspect log (.eval or .json): the whole run is this one file (samples names its task).
    std::string inspectLog;
    /// Empty for lm-eval; kHelmFormat for a HELM run folder (dir), kSimpleEvalsFormat for a
    /// simple-evals file (dir is then the file).
    std::string format;

    std::string label() const; ///< "model @ timestamp (dir)" for messages and pickers
    /// What names this run among others (LoadOptions::runTimestamp, --base-run): an lm-eval run's
    /// timestamp, an Inspect log's file name (logs of one eval set share their timestamp), the
    /// path of a HELM run folder or a simple-evals file.
    std::string key() const;
};

/// True for file names lm-eval writes: results_<ts>.json, samples_<task>_<ts>.jsonl, results.json.
bool isLmEvalFileName(const std::string& name);

/// Finds the runs under path (a folder searched recursively, or one results or samples file):
/// lm-eval runs, Inspect logs, HELM run folders and simple-evals *_allresults.json files. Runs
/// are sorted by model, then timestamp.
Result<std::vector<RunCandidate>> discoverRuns(const std::string& path);

} // namespace deltascope::eval
