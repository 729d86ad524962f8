// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <set>
#include <string>
#include <tuple>

namespace deltascope::eval {

/// The samples a shrunk evaluation keeps, by (task, filter, doc_id).
///
/// A keep-list is chosen on the baseline's reruns, so it cannot see a candidate that breaks answers
/// the baseline always gets right. Every sample it does not keep (including every sample of a task it
/// never mentions) is therefore an excluded sample, which a comparison tests on its own (an audit
/// row, DESIGN 3.5). `shrink --audit F` adds a random share of the excluded samples to the list,
/// marked as audit samples: they stay excluded samples, kept so that the candidate is run on them.
struct KeepList {
    using Key = std::tuple<std::string, std::string, std::string>; ///< task, filter, doc_id
    std::set<Key> samples; ///< kept for their signal (their baseline score varies between reruns)
    std::set<Key> audit; ///< a random share of the excluded samples, kept to be audited
    std::set<std::string> tasks; ///< tasks with at least one sample in either set

    bool covers(const std::string& task) const { return tasks.count(task) != 0; }
    /// Whether the sample is one of those kept for their signal (audit samples are not).
    bool keeps(const std::string& task, const std::string& filter, const std::string& docId) const
    {
        return samples.count({ task, filter, docId }) != 0;
    }
    bool audits(const std::string& task, const std::string& filter, const std::string& docId) const
    {
        return audit.count({ task, filter, docId }) != 0;
    }
    std::size_t size() const { return samples.size() + audit.size(); }
};

/// Reads a keep-list written by `deltascope-cli shrink`:
/// {"format": "deltascope-keep-list", "version": 1,
///  "samples": [{"task", "filter", "doc_id", "audit": true (optional)}, ...]}.
/// A list that keeps no sample is refused.
Result<KeepList> loadKeepList(const std::string& path);

} // namespace deltascope::eval
