// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace deltascope {

/// A run of text that the two sides share or that only one side has.
struct DiffSpan {
    std::size_t begin = 0; ///< byte offset into its own text
    std::size_t length = 0;
    bool changed = false;
};

struct TextDiff {
    std::vector<DiffSpan> left;
    std::vector<DiffSpan> right;
};

/// Word-level difference of two texts (a longest common subsequence of their words and the
/// whitespace between them). Between two changes, a shared run without a real word (only spaces,
/// punctuation or one short word) counts as changed on both sides, so that different answers read
/// as changed blocks. Texts beyond `maxTokens` words each keep their common head and tail and mark
/// the middle as changed, so the cost stays bounded.
TextDiff diffWords(const std::string& left, const std::string& right, std::size_t maxTokens = 3000);

} // namespace deltascope
