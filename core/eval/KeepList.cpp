// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/KeepList.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"

#include <nlohmann/json.hpp>

namespace deltascope::eval {

Result<KeepList> loadKeepList(const std::string& path)
{
    using R = Result<KeepList>;
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return R::failure(Diagnostic::error(path, 0, why));
    auto parsed = parseJsonText(file.text(), path);
    if (!parsed.ok())
        return R::failure(*parsed.error);
    const nlohmann::json& root = *parsed.value;
    // Types are checked before any value is read (nlohmann's typed reads throw on a mismatch).
    const auto format = root.is_object() ? root.find("format") : root.end();
    if (format == root.end() || !format->is_string() || format->get<std::string>() != "deltascope-keep-list")
        return R::failure(
            Diagnostic::error(path, 1, "not a keep-list (expected \"format\": \"deltascope-keep-list\")"));
    // Version 1 is the only one written so far; a later one may mean something this build cannot read.
    const auto version = root.find("version");
    if (version != root.end() && !(version->is_number_integer() && version->get<std::int64_t>() == 1))
        return R::failure(Diagnostic::error(path, 1,
            "keep-list version " + jsonText(*version)
                + " is not one this build reads (it reads version 1): it was written by a newer Deltascope"));
    const auto samples = root.find("samples");
    if (samples == root.end() || !samples->is_array())
        return R::failure(Diagnostic::error(path, 1, "keep-list has no \"samples\" array"));
    KeepList list;
    std::size_t i = 0;
    for (const auto& s : *samples) {
        ++i;
        if (!s.is_object() || !s.contains("task") || !s.contains("doc_id") || !s["task"].is_string())
            return R::failure(
                Diagnostic::error(path, 0, "keep-list entry " + std::to_string(i) + " needs \"task\" and \"doc_id\""));
        const auto& id = s["doc_id"];
        std::string docId = id.is_string() ? id.get<std::string>() : jsonText(id);
        const std::string task = s["task"].get<std::string>();
        const std::string filter
            = s.contains("filter") && s["filter"].is_string() ? s["filter"].get<std::string>() : "none";
        const auto audit = s.find("audit");
        if (audit != s.end() && !audit->is_boolean())
            return R::failure(Diagnostic::error(
                path, 0, "keep-list entry " + std::to_string(i) + ": \"audit\" must be true or false"));
        list.tasks.insert(task);
        if (audit != s.end() && audit->get<bool>())
            list.audit.emplace(task, filter, std::move(docId));
        else
            list.samples.emplace(task, filter, std::move(docId));
    }
    if (list.size() == 0)
        return R::failure(Diagnostic::error(path, 1,
            "keep-list keeps no sample: a keep-list that keeps nothing cannot shrink an evaluation (shrink refuses "
            "to write one; run it again with more reruns)"));
    R out;
    out.value = std::move(list);
    return out;
}

} // namespace deltascope::eval
