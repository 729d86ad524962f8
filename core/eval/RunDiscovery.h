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
    bool legacyArrays = false; ///< 0.4.0-0.4.2: samples are indented JSON arrays
    /// An Inspect log (.eval or .json): the whole run is this one file (samples names its task).
    std::string inspectLog;

    std::string label() const; ///< "model @ timestamp (dir)" for messages and pickers
    /// What names this run among others (LoadOptions::runTimestamp, --base-run): its timestamp, or
    /// for an Inspect log its file name (logs of one eval set share their timestamp).
    std::string key() const;
};

/// True for file names lm-eval writes: results_<ts>.json, samples_<task>_<ts>.jsonl, results.json.
bool isLmEvalFileName(const std::string& name);

/// Finds the lm-eval runs and Inspect logs under path (a folder searched recursively, or one results or samples
/// file). Runs are sorted by model, then timestamp.
Result<std::vector<RunCandidate>> discoverRuns(const std::string& path);

} // namespace deltascope::eval
