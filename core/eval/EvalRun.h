// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace deltascope::eval {

/// SampleRecord::cluster of a record outside every named cluster.
inline constexpr std::uint32_t kNoCluster = std::numeric_limits<std::uint32_t>::max();

/// One scored sample. Only what the views and tests need is kept; prompts and responses stay in
/// the mapped file and are found again through (file, offset, length).
struct SampleRecord {
    std::string docId;
    double score = std::numeric_limits<double>::quiet_NaN(); ///< NaN: no usable score
    std::uint64_t docHash = 0; ///< fingerprint of doc_hash; 0 when absent
    std::uint64_t promptHash = 0; ///< fingerprint of prompt_hash; 0 when absent
    std::uint32_t file = 0; ///< index into EvalRun::files
    std::uint32_t length = 0; ///< bytes of the record
    std::uint64_t offset = 0; ///< byte offset of the record in its file
    std::int64_t line = 0; ///< 1-based line of the record
    /// Words or bytes of a corpus-metric item ([loglikelihood, weight], DESIGN 3.1); 0 otherwise.
    double weight = 0.0;
    /// Index into TaskSamples::clusterNames; kNoCluster when no cluster key was asked for or the
    /// record lacks the field (it is then a cluster of its own).
    std::uint32_t cluster = kNoCluster;
};

/// The samples of one (task, filter) of one run.
struct TaskSamples {
    std::string task;
    std::string filter = "none";
    std::string metric;
    bool higherIsBetter = true;
    bool logLikelihood = false; ///< per-sample values are log-likelihoods (perplexity-style metrics)
    /// Every run behind these scores scored each sample 0 or 1 (averaged reruns of an accuracy are
    /// still an accuracy: a margin on them is in points).
    bool rightOrWrong = false;
    bool taskFromFileName = false; ///< a score table without a task column: named after its file
    std::vector<SampleRecord> samples;
    /// With a cluster key (a table column or a field path such as doc.subject): the key, and the
    /// distinct values met, indexed by SampleRecord::cluster. Empty without a key.
    std::string clusterKey;
    std::vector<std::string> clusterNames;
    /// Samples on which the first two epochs of a run with several (Inspect's epochs are reruns
    /// inside one log) disagree: the noise floor. -1 when the run has one epoch.
    std::int64_t epochFlips = -1;
};

/// What is known about where a run came from.
struct RunInfo {
    std::string path; ///< what the user named
    std::string model;
    std::string lmEvalVersion;
    std::string timestamp;
    std::string resultsFile;
    std::string format; ///< e.g. "lm-eval 0.4.7+", "lm-eval 0.4.0-0.4.2", "table", "Inspect .eval", "HELM"
    /// Score tables: the columns (dotted keys in JSONL) holding the prompt, the model's response
    /// and the expected answer, as the user named them; empty: the usual names are tried.
    std::string promptColumn;
    std::string responseColumn;
    std::string targetColumn;
};

/// How SampleRecord::offset finds a record again in its file.
enum class RecordStore : std::uint8_t {
    FileBytes, ///< offset and length are a byte range (lm-eval lines, table rows)
    InspectZipEntry, ///< offset is the index of the sample's zip entry in an Inspect .eval log
    InspectJsonSample, ///< offset is the sample's position in the "samples" list of an Inspect .json log
};

struct EvalRun {
    RunInfo info;
    RecordStore records = RecordStore::FileBytes;
    std::vector<std::string> files; ///< files the samples came from
    std::vector<TaskSamples> tasks;

    std::size_t sampleCount() const;
};

/// The error when a run has none of the tasks asked for, naming them and what the run has:
/// "task hellaswagg is not in this run (it has: arc_easy, mmlu)". `in`: "this run", "this log"...
std::string noRequestedTask(const std::vector<std::string>& requested, const std::string& in, const std::string& has);

} // namespace deltascope::eval
