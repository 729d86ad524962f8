// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/TextUtil.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace deltascope {

std::optional<double> parseDouble(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    if (text.empty())
        return std::nullopt;
    if (text == "NaN" || text == "nan")
        return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity" || text == "inf" || text == "+inf")
        return std::numeric_limits<double>::infinity();
    if (text == "-Infinity" || text == "-inf")
        return -std::numeric_limits<double>::infinity();
    if (text == "true" || text == "True")
        return 1.0;
    if (text == "false" || text == "False")
        return 0.0;
    if (text.front() == '+')
        text.remove_prefix(1);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size())
        return std::nullopt;
    return v;
}

namespace {

template <typename Emit> void scanNonFinite(std::string_view json, Emit&& emit)
{
    bool inString = false;
    std::size_t i = 0;
    while (i < json.size()) {
        const char ch = json[i];
        if (inString) {
            if (ch == '\\') {
                emit(json.substr(i, 2), std::string_view {});
                i += 2;
                continue;
            }
            if (ch == '"')
                inString = false;
            emit(json.substr(i, 1), std::string_view {});
            ++i;
            continue;
        }
        if (ch == '"') {
            inString = true;
            emit(json.substr(i, 1), std::string_view {});
            ++i;
            continue;
        }
        for (std::string_view tok :
            { std::string_view("-Infinity"), std::string_view("Infinity"), std::string_view("NaN") }) {
            if (json.substr(i, tok.size()) == tok) {
                emit(std::string_view {}, tok);
                i += tok.size();
                goto next;
            }
        }
        emit(json.substr(i, 1), std::string_view {});
        ++i;
    next:;
    }
}

} // namespace

bool replaceNonFiniteTokens(std::string& json)
{
    if (json.find("NaN") == std::string::npos && json.find("Infinity") == std::string::npos)
        return false;
    std::string out;
    out.reserve(json.size());
    bool replaced = false;
    scanNonFinite(json, [&](std::string_view plain, std::string_view token) {
        if (!token.empty()) {
            out += "null";
            replaced = true;
        } else {
            out += plain;
        }
    });
    json.swap(out);
    return replaced;
}

std::string quoteNonFiniteTokens(std::string_view json)
{
    std::string out;
    out.reserve(json.size() + 16);
    scanNonFinite(json, [&](std::string_view plain, std::string_view token) {
        if (!token.empty()) {
            out += '"';
            out += token;
            out += '"';
        } else {
            out += plain;
        }
    });
    return out;
}

std::string quoteLongIntegers(std::string_view json)
{
    std::string out;
    out.reserve(json.size() + 16);
    bool inString = false;
    std::size_t i = 0;
    const auto digit = [&](std::size_t k) { return k < json.size() && json[k] >= '0' && json[k] <= '9'; };
    // Whether the digits of an integer (no sign) exceed what a 64-bit integer of that sign holds.
    const auto tooLong = [](std::string_view digits, bool negative) {
        const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
        return digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit);
    };
    while (i < json.size()) {
        const char ch = json[i];
        if (inString) {
            const std::size_t n = ch == '\\' ? 2 : 1;
            out.append(json.substr(i, n));
            inString = ch != '"';
            i += n;
            continue;
        }
        if (ch == '"') {
            inString = true;
            out += ch;
            ++i;
            continue;
        }
        if ((ch == '-' && digit(i + 1)) || digit(i)) {
            // One whole number token: sign, integer part, fraction, exponent.
            const bool negative = ch == '-';
            std::size_t j = negative ? i + 1 : i;
            const std::size_t intStart = j;
            while (digit(j))
                ++j;
            const std::size_t intEnd = j;
            bool integer = true;
            if (j < json.size() && json[j] == '.') {
                integer = false;
                ++j;
                while (digit(j))
                    ++j;
            }
            if (j < json.size() && (json[j] == 'e' || json[j] == 'E')) {
                integer = false;
                ++j;
                if (j < json.size() && (json[j] == '+' || json[j] == '-'))
                    ++j;
                while (digit(j))
                    ++j;
            }
            const std::string_view token = json.substr(i, j - i);
            if (integer && tooLong(json.substr(intStart, intEnd - intStart), negative)) {
                out += '"';
                out.append(token);
                out += '"';
            } else {
                out.append(token);
            }
            i = j;
            continue;
        }
        out += ch;
        ++i;
    }
    return out;
}

std::uint64_t fingerprint64(std::string_view text)
{
    std::uint64_t h = 1469598103934665603ULL;
    for (const char ch : text) {
        h ^= static_cast<unsigned char>(ch);
        h *= 1099511628211ULL;
    }
    return h == 0 ? 1 : h; // 0 means "no hash"
}

std::string baseName(std::string_view path)
{
    const auto pos = path.find_last_of('/');
    return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

bool nextLine(std::string_view text, std::size_t& pos, std::string_view& line)
{
    if (pos >= text.size())
        return false;
    const auto nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    return true;
}

std::int64_t lineOfOffset(std::string_view text, std::size_t offset)
{
    offset = std::min(offset, text.size());
    return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
}

std::string formatDouble(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, ptr) : std::string("?");
}

std::size_t utf8SequenceAt(std::string_view text, std::size_t pos)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char c = byte(pos);
    if (c < 0x80)
        return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        hi = c == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (pos + n > text.size())
        return 0;
    if (byte(pos + 1) < lo || byte(pos + 1) > hi)
        return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(pos + k) < 0x80 || byte(pos + k) > 0xBF)
            return 0;
    return n;
}

bool isValidUtf8(std::string_view text)
{
    for (std::size_t pos = 0; pos < text.size();) {
        const auto n = utf8SequenceAt(text, pos);
        if (n == 0)
            return false;
        pos += n;
    }
    return true;
}

std::string replaceInvalidUtf8(std::string_view text, std::string_view replacement)
{
    std::string out;
    out.reserve(text.size() + 16);
    for (std::size_t pos = 0; pos < text.size();) {
        const auto n = utf8SequenceAt(text, pos);
        if (n == 0) {
            out += replacement;
            ++pos;
        } else {
            out.append(text.data() + pos, n);
            pos += n;
        }
    }
    return out;
}

} // namespace deltascope
