// SPDX-License-Identifier: GPL-3.0-or-later
// Which reader a path goes to: the format of a file or folder, told from its name and first bytes.
#include "common/MappedFile.h"
#include "eval/HelmRun.h"
#include "eval/InspectLog.h"
#include "eval/ResultsFile.h"
#include "eval/RunDiscovery.h"
#include "eval/RunLoader.h"
#include "eval/SimpleEvalsRun.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace deltascope::eval {

LoadOptions::Format detectFormat(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return isHelmRunFolder(path) ? LoadOptions::Format::Helm : LoadOptions::Format::LmEval;
    const std::string name = fs::path(path).filename().string();
    if (isLmEvalFileName(name))
        return LoadOptions::Format::LmEval;
    if (isInspectEvalName(name))
        return LoadOptions::Format::Inspect;
    if (isSimpleEvalsFileName(name))
        return LoadOptions::Format::SimpleEvals;
    if (isHelmFileName(name) && isHelmRunFolder(fs::path(path).parent_path().string()))
        return LoadOptions::Format::Helm;
    if (name.ends_with(".csv") || name.ends_with(".tsv"))
        return LoadOptions::Format::Table;
    // Sniff the first record: lm-eval samples carry doc_id with resps / filtered_resps.
    MappedFile file;
    std::string why;
    if (!file.open(path, why))
        return LoadOptions::Format::Table;
    const std::string_view head = file.text().substr(0, 1 << 16);
    // An Inspect JSON log is a .json file whose "eval" is an object; other files (a JSONL table
    // that happens to have an "eval" field) go to the table or lm-eval readers.
    if (head.starts_with("PK\x03\x04") || (name.ends_with(".json") && looksLikeInspectJson(head)))
        return LoadOptions::Format::Inspect;
    const auto first = head.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && head[first] == '[')
        return LoadOptions::Format::LmEval;
    if (head.find("\"doc_id\"") != std::string_view::npos
        && (head.find("\"filtered_resps\"") != std::string_view::npos
            || head.find("\"resps\"") != std::string_view::npos))
        return LoadOptions::Format::LmEval;
    return LoadOptions::Format::Table;
}

std::optional<Diagnostic> aggregateOnly(const std::string& path, LoadOptions::Format format)
{
    // An lm-eval results file under another name (0.3 named them after the model and task).
    std::error_code ec;
    if ((format == LoadOptions::Format::LmEval || format == LoadOptions::Format::Table) && !fs::is_directory(path, ec)
        && fs::path(path).extension() == ".json" && !isLmEvalFileName(fs::path(path).filename().string())
        && isResultsDocument(path))
        return resultsWithoutSamples(path);
    return std::nullopt;
}

} // namespace deltascope::eval
