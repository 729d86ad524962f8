// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the Inspect loader and the sample view: reading Inspect's JSON documents (a log's
// header, one sample, a whole .json log) with simdjson.

#include "common/Diagnostic.h"
#include "eval/ClusterKey.h"
#include "eval/InspectLog.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deltascope::eval::inspect {

/// The scores of one sample in one epoch.
struct EpochScores {
    std::string id;
    std::int64_t epoch = 1;
    /// Metric name -> value; NaN when the value cannot be read as a number.
    std::vector<std::pair<std::string, double>> values;
    /// Metrics whose value was written as NaN ("nan", "NaN", a bare NaN token): a bad score, not a
    /// missing one.
    std::vector<std::string> nanValues;
    std::string error; ///< non-empty: the sample ended in this error
    /// With a cluster key (--cluster metadata.subject): the value at that path of the sample, and
    /// whether it was found (Missing for an absent field or null, NotScalar for an object or list).
    std::string cluster;
    detail::ClusterField clusterFound = detail::ClusterField::Missing;
    std::uint64_t where = 0; ///< zip entry index, or position in a .json log's samples
};

/// A score value as a number: "C" 1, "I" 0, "P" 0.5, "N" 0 (Inspect's correct, incorrect, partial,
/// no answer), "true"/"yes" 1, "false"/"no" 0, numbers and numeric strings as they are (Python's
/// spellings of NaN and the infinities included); NaN else.
double scoreFromText(std::string_view text);

/// Reads a header.json (or _journal/start.json); `where` names the entry in messages.
Result<InspectHeader> parseHeaderText(std::string_view text, const std::string& file, const std::string& where);

/// Reads one sample's id, epoch, error and scores (and the value at a dotted cluster key, when one
/// is given); returns what is wrong when it cannot.
std::optional<std::string> parseSampleText(std::string_view text, EpochScores& out, std::string_view clusterKey = {});

/// Receives each sample of a .json log (its position and scores); false stops.
using SampleSink = std::function<bool(std::size_t index, EpochScores& scores)>;

/// Reads a whole .json log: the header, and each sample given to `sink` (none when it is empty).
Result<InspectHeader> parseJsonLog(
    std::string_view text, const std::string& file, const SampleSink& sink, std::string_view clusterKey = {});

/// The JSON text of the sample at `index` of a .json log.
Result<std::string> jsonLogSample(std::string_view text, const std::string& file, std::size_t index);

} // namespace deltascope::eval::inspect
