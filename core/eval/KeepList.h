#pragma once

#include "common/Diagnostic.h"

#include <set>
#include <string>
#include <tuple>

namespace deltascope::eval {

/// The samples a shrunk evaluation keeps, by (task, filter, doc_id). Tasks the list does not
/// mention are kept whole.
struct KeepList {
    std::set<std::tuple<std::string, std::string, std::string>> samples;
    std::set<std::string> tasks;

    bool covers(const std::string& task) const { return tasks.count(task) != 0; }
    bool keeps(const std::string& task, const std::string& filter, const std::string& docId) const
    {
        return samples.count({ task, filter, docId }) != 0;
    }
};

/// Reads a keep-list written by `deltascope-cli shrink`:
/// {"format": "deltascope-keep-list", "version": 1, "samples": [{"task", "filter", "doc_id"}, ...]}.
Result<KeepList> loadKeepList(const std::string& path);

} // namespace deltascope::eval
