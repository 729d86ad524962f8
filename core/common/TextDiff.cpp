// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/TextDiff.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>

namespace deltascope {

namespace {

struct Token {
    std::size_t begin;
    std::size_t length;
};

// Words, runs of whitespace and single punctuation marks, so "18." and "18" differ in the dot only.
std::vector<Token> tokenize(const std::string& s)
{
    std::vector<Token> out;
    std::size_t i = 0;
    auto kind = [](unsigned char c) { return std::isspace(c) ? 0 : (std::isalnum(c) || c >= 0x80) ? 1 : 2; };
    while (i < s.size()) {
        const int k = kind(static_cast<unsigned char>(s[i]));
        std::size_t j = i + 1;
        if (k != 2)
            while (j < s.size() && kind(static_cast<unsigned char>(s[j])) == k)
                ++j;
        out.push_back({ i, j - i });
        i = j;
    }
    return out;
}

void push(std::vector<DiffSpan>& spans, const Token& t, bool changed)
{
    if (!spans.empty() && spans.back().changed == changed && spans.back().begin + spans.back().length == t.begin)
        spans.back().length += t.length;
    else
        spans.push_back({ t.begin, t.length, changed });
}

} // namespace

TextDiff diffWords(const std::string& left, const std::string& right, std::size_t maxTokens)
{
    const auto a = tokenize(left);
    const auto b = tokenize(right);
    auto same = [&](std::size_t i, std::size_t j) {
        return std::string_view(left).substr(a[i].begin, a[i].length)
            == std::string_view(right).substr(b[j].begin, b[j].length);
    };
    // Common head and tail first: they are most of the text when two answers differ a little.
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && same(head, head))
        ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && same(a.size() - 1 - tail, b.size() - 1 - tail))
        ++tail;
    const std::size_t n = a.size() - head - tail;
    const std::size_t m = b.size() - head - tail;

    TextDiff out;
    for (std::size_t i = 0; i < head; ++i) {
        push(out.left, a[i], false);
        push(out.right, b[i], false);
    }
    if (n > maxTokens || m > maxTokens) {
        for (std::size_t i = head; i < head + n; ++i)
            push(out.left, a[i], true);
        for (std::size_t j = head; j < head + m; ++j)
            push(out.right, b[j], true);
    } else {
        // lcs[i][j]: common length of the middles from i and j on.
        std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
        auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
        for (std::size_t i = n; i-- > 0;)
            for (std::size_t j = m; j-- > 0;)
                at(i, j) = same(head + i, head + j) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
        std::size_t i = 0;
        std::size_t j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && same(head + i, head + j)) {
                push(out.left, a[head + i++], false);
                push(out.right, b[head + j++], false);
            } else if (j < m && (i == n || at(i, j + 1) >= at(i + 1, j))) {
                push(out.right, b[head + j++], true);
            } else {
                push(out.left, a[head + i++], true);
            }
        }
    }
    for (std::size_t k = 0; k < tail; ++k) {
        push(out.left, a[a.size() - tail + k], false);
        push(out.right, b[b.size() - tail + k], false);
    }
    return out;
}

} // namespace deltascope
