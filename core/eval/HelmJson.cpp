// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/HelmJson.h"

#include "common/JsonText.h"
#include "common/MappedFile.h"
#include "common/TextUtil.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace deltascope::eval::helmjson {

namespace {

namespace od = simdjson::ondemand;

std::string keyPath(const std::vector<std::string>& keys)
{
    std::string s;
    for (const auto& k : keys)
        s += (s.empty() ? "" : ".") + k;
    return s;
}

} // namespace

Result<std::shared_ptr<Document>> Document::open(const std::string& path, const std::string& what)
{
    using R = Result<std::shared_ptr<Document>>;
    MappedFile file;
    if (auto problem = file.openInput(path, ("the file is empty; expected " + what).c_str()))
        return R::failure(*problem);
    auto doc = std::make_shared<Document>();
    doc->m_path = path;
    std::string_view text = file.text();
    std::string repaired;
    if (!isValidUtf8(text)) {
        repaired = replaceInvalidUtf8(text, "?"); // one byte for one: offsets stay those of the file
        text = repaired;
    }
    doc->m_text = quoteNonFiniteTokens(text);
    doc->m_size = doc->m_text.size();
    doc->m_shifted = doc->m_size != file.size();
    doc->m_text.resize(doc->m_size + simdjson::SIMDJSON_PADDING, ' ');
    const auto e = doc->m_parser.parse(doc->m_text.data(), doc->m_size, false).get(doc->m_root);
    if (e) {
        if (auto where = locateJsonError(std::string_view(doc->m_text.data(), doc->m_size), path, what))
            return R::failure(*where);
        return R::failure(Diagnostic::error(
            path, 0, std::string("unreadable JSON (") + simdjson::error_message(e) + "); expected " + what));
    }
    return R { std::move(doc), {}, std::nullopt };
}

std::int64_t Document::lineOf(std::uint64_t offset) const
{
    return lineOfOffset(std::string_view(m_text.data(), m_size), static_cast<std::size_t>(offset));
}

Result<std::vector<Element>> Document::arrayAt(const std::vector<std::string>& keys) const
{
    using R = Result<std::vector<Element>>;
    simdjson::dom::element at = m_root;
    for (const auto& k : keys) {
        simdjson::dom::object o;
        if (at.get_object().get(o) || o.at_key(k).get(at))
            return R::failure(Diagnostic::error(m_path, 0, "no \"" + keyPath(keys) + "\" in the file"));
    }
    simdjson::dom::array arr;
    if (at.get_array().get(arr))
        return R::failure(Diagnostic::error(m_path, keys.empty() ? 1 : 0,
            (keys.empty() ? std::string("the file") : "\"" + keyPath(keys) + "\"") + " is " + typeName(at)
                + ", not a list"));
    R out;
    out.value.emplace();
    auto& elements = *out.value;
    elements.reserve(arr.size());
    for (auto v : arr)
        elements.push_back(Element { v, 0, 0, 0 });

    // Where each element starts: an on-demand pass over the same bytes (already known valid).
    od::parser parser;
    od::document doc;
    const char* base = m_text.data();
    auto located = [&]() -> bool {
        if (parser.iterate(base, m_size, m_text.size()).get(doc))
            return false;
        od::value cur;
        od::array list;
        if (keys.empty()) {
            if (doc.get_array().get(list))
                return false;
        } else {
            od::object obj;
            if (doc.get_object().get(obj) || obj.find_field_unordered(keys[0]).get(cur))
                return false;
            for (std::size_t i = 1; i < keys.size(); ++i)
                if (cur.get_object().get(obj) || obj.find_field_unordered(keys[i]).get(cur))
                    return false;
            if (cur.get_array().get(list))
                return false;
        }
        std::size_t i = 0;
        std::size_t last = 0;
        std::int64_t line = 1;
        for (auto item : list) {
            od::value v;
            if (item.get(v) || i >= elements.size())
                return false;
            const std::string_view token = v.raw_json_token();
            const auto offset = static_cast<std::size_t>(token.data() - base);
            line += std::count(base + last, base + offset, '\n');
            last = offset;
            elements[i].offset = offset;
            elements[i].line = line;
            od::object o;
            std::string_view raw;
            if (!m_shifted && !v.get_object().get(o) && !o.raw_json().get(raw))
                elements[i].length = static_cast<std::uint32_t>(std::min<std::size_t>(raw.size(), UINT32_MAX));
            ++i;
        }
        return i == elements.size();
    };
    if (!located())
        for (auto& el : elements)
            el.offset = 0, el.length = 0, el.line = 0;
    if (m_shifted)
        for (auto& el : elements)
            el.offset = 0; // quoting moved the bytes: offsets would not be those of the file
    return out;
}

std::string scalarText(simdjson::dom::element v, bool& ok)
{
    ok = true;
    std::string_view s;
    if (!v.get_string().get(s))
        return std::string(s);
    std::int64_t i = 0;
    if (!v.get_int64().get(i))
        return std::to_string(i);
    std::uint64_t u = 0;
    if (!v.get_uint64().get(u))
        return std::to_string(u);
    ok = false;
    return {};
}

std::optional<double> numberOf(simdjson::dom::element v, bool& bad)
{
    bad = false;
    double d = 0;
    if (!v.get_double().get(d))
        return d;
    std::int64_t i = 0;
    if (!v.get_int64().get(i))
        return static_cast<double>(i);
    std::uint64_t u = 0;
    if (!v.get_uint64().get(u))
        return static_cast<double>(u);
    bool b = false;
    if (!v.get_bool().get(b))
        return b ? 1.0 : 0.0;
    if (v.is_null())
        return std::nullopt;
    std::string_view s;
    if (!v.get_string().get(s)) {
        if (s == "NaN")
            return std::nan("");
        if (s == "Infinity")
            return HUGE_VAL;
        if (s == "-Infinity")
            return -HUGE_VAL;
    }
    bad = true;
    return std::nullopt;
}

std::string typeName(simdjson::dom::element v)
{
    switch (v.type()) {
    case simdjson::dom::element_type::ARRAY:
        return "a list";
    case simdjson::dom::element_type::OBJECT:
        return "an object";
    case simdjson::dom::element_type::STRING:
        return "a string";
    case simdjson::dom::element_type::BOOL:
        return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
        return "null";
    default:
        return "a number";
    }
}

} // namespace deltascope::eval::helmjson
