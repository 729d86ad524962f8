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
        // The alignment as steps: both sides' token (equal), the left's only, the right's only.
        enum Step : std::uint8_t { Equal, LeftOnly, RightOnly };
        std::vector<Step> steps;
        std::size_t i = 0;
        std::size_t j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && same(head + i, head + j)) {
                steps.push_back(Equal);
                ++i;
                ++j;
            } else if (j < m && (i == n || at(i, j + 1) >= at(i + 1, j))) {
                steps.push_back(RightOnly);
                ++j;
            } else {
                steps.push_back(LeftOnly);
                ++i;
            }
        }
        // Between two changes, a shared run with no real word in it (spaces, punctuation, one short
        // word such as "a" or "the") is marked changed on both sides: two different answers then
        // read as changed blocks, not as changed words speckled with the spaces they share.
        std::vector<bool> absorbed(steps.size(), false);
        std::size_t li = 0; // the left token at step s0
        for (std::size_t s0 = 0; s0 < steps.size();) {
            if (steps[s0] != Equal) {
                li += steps[s0] == LeftOnly ? 1 : 0;
                ++s0;
                continue;
            }
            std::size_t s1 = s0;
            int words = 0;
            bool longWord = false;
            for (; s1 < steps.size() && steps[s1] == Equal; ++s1, ++li) {
                const Token& t = a[head + li];
                const auto c = static_cast<unsigned char>(left[t.begin]);
                if (std::isalnum(c) || c >= 0x80) {
                    ++words;
                    longWord = longWord || t.length >= 4;
                }
            }
            if (s0 > 0 && s1 < steps.size() && words <= 1 && !longWord)
                std::fill(absorbed.begin() + static_cast<std::ptrdiff_t>(s0),
                    absorbed.begin() + static_cast<std::ptrdiff_t>(s1), true);
            s0 = s1;
        }
        i = 0;
        j = 0;
        for (std::size_t q = 0; q < steps.size(); ++q) {
            if (steps[q] != RightOnly)
                push(out.left, a[head + i++], steps[q] == LeftOnly || absorbed[q]);
            if (steps[q] != LeftOnly)
                push(out.right, b[head + j++], steps[q] == RightOnly || absorbed[q]);
        }
    }
    for (std::size_t k = 0; k < tail; ++k) {
        push(out.left, a[a.size() - tail + k], false);
        push(out.right, b[b.size() - tail + k], false);
    }
    return out;
}

} // namespace deltascope
