// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "report/ComparisonReport.h"

namespace deltascope::report {

/// The comparison's verdict (DESIGN 3.3, 3.6): degraded, or without a margin no evidence, or with
/// one no worse than the margin or inconclusive.
enum class Verdict { Degraded, NoWorseThanMargin, Inconclusive, NoEvidence };

/// The verdict of a finished comparison (degraded wins over whatever the margin tests said).
Verdict verdictOf(const ComparisonReport& r);

/// The stable machine word of JSON and CSV: "degraded", "no_worse_than_margin", "inconclusive",
/// "no_evidence".
const char* verdictKey(Verdict v);

/// The verdict as every front end shows it to a person: "degraded", "no worse than the margin",
/// "inconclusive", "no evidence of degradation".
const char* verdictWord(Verdict v);

/// The verdict's headline in the command line's and the reports' terms
/// ("DEGRADED: the candidate is worse than the baseline").
const char* verdictHeadline(Verdict v);

/// What the verdict means, in one sentence.
const char* verdictMeaning(Verdict v);

/// Where the next step is read: the command line and its text reports, the window, or data (JSON,
/// where nothing is "above").
enum class Wording { CommandLine, Window, Data };

/// What to do next after this comparison's verdict, in one sentence, in the terms of where it is
/// read (a flag to rerun with, or the control to use).
std::string verdictNextStep(const ComparisonReport& r, Wording wording = Wording::CommandLine);

/// The exit status of deltascope-cli compare and the window's headless modes: 0 no evidence or
/// no worse than the margin, 1 degraded, 3 inconclusive (2 is left to errors).
int verdictExitCode(Verdict v);

/// A task's flag as a person reads it: "worse", "suggestive", "not shown worse" (the "ok" of
/// flagWord), "no pairs".
const char* flagLabel(TaskFlag flag);

/// A task's verdict in a table row: its flag's label, except that with a margin a task not shown
/// worse is "within margin" or "not shown within margin", as its margin test decides. The words
/// of every output (the command line's tables, the reports, the window).
const char* taskVerdictLabel(const ComparisonReport& r, const TaskResult& t);

/// What a task's flag means, in one sentence.
const char* flagMeaning(TaskFlag flag);

} // namespace deltascope::report
