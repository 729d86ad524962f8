// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the HELM and simple-evals readers: a whole JSON document read once, its values
// through simdjson's DOM, and where each element of one of its arrays starts in the file (for
// lines in messages and for reading a sample's texts back).

#include "common/Diagnostic.h"

#include <cstdint>
#include <memory>
#include <simdjson.h>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope::eval::helmjson {

/// One element of an array: its value, where it starts and its 1-based line.
struct Element {
    simdjson::dom::element value;
    std::uint64_t offset = 0; ///< byte offset of the element in the file (0 when unknown)
    std::uint32_t length = 0; ///< bytes of the element in the file (0 when unknown)
    std::int64_t line = 0;
};

/// A parsed JSON file. Python's bare NaN / Infinity are read as the strings "NaN", "Infinity".
class Document {
public:
    /// Reads and checks the whole file; a syntax error names the line of the offending byte.
    /// `what` says what the file should be ("a HELM per_instance_stats.json").
    static Result<std::shared_ptr<Document>> open(const std::string& path, const std::string& what);

    const std::string& path() const { return m_path; }
    simdjson::dom::element root() const { return m_root; }

    /// The elements of the array at keys (nested object keys from the root; none: the root
    /// itself), in order, with their offsets and lines. An error when there is no such array.
    Result<std::vector<Element>> arrayAt(const std::vector<std::string>& keys) const;

    /// 1-based line of a byte offset of the file.
    std::int64_t lineOf(std::uint64_t offset) const;

private:
    std::string m_path;
    std::string m_text; ///< the file, non-finite tokens quoted, padded for simdjson
    std::size_t m_size = 0; ///< bytes of m_text before the padding
    bool m_shifted = false; ///< quoting moved bytes: offsets are not those of the file
    simdjson::dom::parser m_parser;
    simdjson::dom::element m_root;
};

/// The text of a string, or a number written as text ("17"); empty with ok = false otherwise.
std::string scalarText(simdjson::dom::element v, bool& ok);

/// A number (integers, doubles, "NaN"/"Infinity" strings written by Python, true/false as 1/0);
/// nullopt for null; sets bad for any other value.
std::optional<double> numberOf(simdjson::dom::element v, bool& bad);

/// The JSON type of a value in words, for messages ("a string", "a list").
std::string typeName(simdjson::dom::element v);

} // namespace deltascope::eval::helmjson
