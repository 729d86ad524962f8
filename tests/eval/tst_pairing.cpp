// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "eval/KeepList.h"
#include "eval/Pairing.h"
#include "eval/RunLoader.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <algorithm>

using namespace deltascope;

namespace {

eval::TaskSamples task(const std::string& name, const std::vector<std::pair<std::string, double>>& samples)
{
    eval::TaskSamples t;
    t.task = name;
    t.metric = "acc";
    std::int64_t line = 0;
    for (const auto& [id, score] : samples) {
        eval::SampleRecord s;
        s.docId = id;
        s.score = score;
        s.line = ++line;
        t.samples.push_back(s);
    }
    return t;
}

eval::EvalRun run(const char* path, std::vector<eval::TaskSamples> tasks)
{
    eval::EvalRun r;
    r.info.path = path;
    r.tasks = std::move(tasks);
    return r;
}

bool hasWarning(const std::vector<Diagnostic>& warnings, const std::string& text)
{
    return std::any_of(warnings.begin(), warnings.end(),
        [&](const Diagnostic& w) { return w.message.find(text) != std::string::npos; });
}

// Gives the samples of t the clusters named (empty: none), under key "subject".
eval::TaskSamples clustered(eval::TaskSamples t, const std::vector<std::string>& names)
{
    t.clusterKey = "subject";
    for (std::size_t i = 0; i < t.samples.size(); ++i) {
        if (names[i].empty())
            continue;
        const auto it = std::find(t.clusterNames.begin(), t.clusterNames.end(), names[i]);
        t.samples[i].cluster = static_cast<std::uint32_t>(it - t.clusterNames.begin());
        if (it == t.clusterNames.end())
            t.clusterNames.push_back(names[i]);
    }
    return t;
}

} // namespace

class TestPairing : public QObject {
    Q_OBJECT
private slots:
    void pairsOnIdNotOrder();
    void aRunAgainstItselfIsSaid();
    void unmatchedAndOneSidedTasks();
    void duplicatesKeepFirst();
    void hashMismatches();
    void lowerIsBetterFlipsTheSign();
    void nonBinaryScores();
    void strayScoreInARightOrWrongTask();
    void keepList();
    void keepListAuditRowSeesBrokenAnswers();
    void keepListTaskWithNoKeptSample();
    void keepListExcludedSamplesOnOneSide();
    void keepListCountsPerRow();
    void keepListFileWithAuditFlags();
    void keepListThatKeepsNothingIsRefused();
    void rerunsAreAveraged();
    void clustersAreDenseAndFollowTheBaseline();
    void candidateInAnotherClusterIsCounted();
    void noClusterKeyNoClusters();
    void rerunsKeepClusters();
    void keepListRowsHaveTheirOwnClusters();
};

void TestPairing::rerunsAreAveraged()
{
    std::vector<eval::EvalRun> runs;
    runs.push_back(run("r1", { task("t", { { "1", 1 }, { "2", 0 }, { "3", 1 } }) }));
    runs.push_back(run("r2", { task("t", { { "1", 0 }, { "2", 0 }, { "3", 1 } }) }));
    runs.push_back(run("r3", { task("t", { { "1", 1 }, { "3", 0 }, { "9", 1 } }) }));
    const auto merged = eval::averageReruns(runs);
    QVERIFY(merged.ok());
    const auto& s = merged.value->tasks[0].samples;
    QCOMPARE(s[0].score, 2.0 / 3.0);
    QCOMPARE(s[1].score, 0.0); // missing from r3: the mean of the two that have it
    QCOMPARE(s[2].score, 2.0 / 3.0);
    QCOMPARE(merged.warnings.size(), std::size_t(1));
    QVERIFY(merged.warnings[0].message.find("1 samples are missing") != std::string::npos);
    QVERIFY(merged.warnings[0].message.find("1 rerun samples are not in the first run") != std::string::npos);
}

void TestPairing::pairsOnIdNotOrder()
{
    const auto base = run("b", { task("t", { { "1", 1 }, { "2", 0 }, { "3", 1 } }) });
    const auto cand = run("c", { task("t", { { "3", 0 }, { "1", 1 }, { "2", 1 } }) });
    const auto p = eval::pairRuns(base, cand);
    QCOMPARE(p.tasks.size(), std::size_t(1));
    const auto& t = p.tasks[0];
    QCOMPARE(t.base, (std::vector<double> { 1, 0, 1 }));
    QCOMPARE(t.cand, (std::vector<double> { 1, 1, 0 }));
    QVERIFY(t.binary);
}

void TestPairing::aRunAgainstItselfIsSaid()
{
    // The same real run picked as both sides, once by its folder and once through a link: a
    // warning says that nothing can be learned. Two different runs say nothing of the kind.
    const std::string dir = test::sharedPath("lmeval_gsm8k_tiny");
    if (!QFileInfo::exists(QString::fromStdString(dir)))
        QSKIP("../shared/data/real is not present");
    QTemporaryDir tmp;
    const QString link = tmp.filePath(QStringLiteral("same"));
    QVERIFY(QFile::link(QString::fromStdString(dir), link));
    const auto a = eval::loadRun(dir, {});
    const auto b = eval::loadRun(link.toStdString(), {});
    QVERIFY(a.ok() && b.ok());
    const auto p = eval::pairRuns(*a.value, *b.value);
    const bool said = std::any_of(p.warnings.begin(), p.warnings.end(),
        [](const Diagnostic& d) { return d.message.find("the baseline's own files") != std::string::npos; });
    QVERIFY(said);
    const auto other = eval::loadRun(test::dataPath("eval/layout_current/candidate"), {});
    QVERIFY(other.ok());
    const auto q = eval::pairRuns(*a.value, *other.value);
    for (const auto& w : q.warnings)
        QVERIFY(w.message.find("own files") == std::string::npos);
}

void TestPairing::unmatchedAndOneSidedTasks()
{
    const auto base
        = run("b", { task("t", { { "1", 1 }, { "2", 0 }, { "9", 1 } }), task("only_base", { { "1", 1 } }) });
    const auto cand = run(
        "c", { task("t", { { "1", 1 }, { "2", 1 }, { "7", 1 }, { "8", 1 } }), task("only_cand", { { "1", 1 } }) });
    const auto p = eval::pairRuns(base, cand);
    QCOMPARE(p.tasks.size(), std::size_t(1));
    QCOMPARE(p.tasks[0].unmatchedBase, std::int64_t(1));
    QCOMPARE(p.tasks[0].unmatchedCand, std::int64_t(2));
    QCOMPARE(p.tasks[0].base.size(), std::size_t(2));
    QCOMPARE(p.warnings.size(), std::size_t(2));
    QVERIFY(p.warnings[0].message.find("only_base") != std::string::npos);
    QVERIFY(p.warnings[1].message.find("only_cand") != std::string::npos);
}

void TestPairing::duplicatesKeepFirst()
{
    const auto base = run("b", { task("t", { { "1", 1 }, { "1", 0 }, { "2", 1 } }) });
    const auto cand = run("c", { task("t", { { "1", 0 }, { "2", 1 } }) });
    const auto p = eval::pairRuns(base, cand);
    const auto& t = p.tasks[0];
    QCOMPARE(t.duplicatesBase, std::int64_t(1));
    QCOMPARE(t.base, (std::vector<double> { 1, 1 }));
    QVERIFY(!t.warnings.empty());
    QCOMPARE(t.warnings[0].line, std::int64_t(2));
    QVERIFY(t.warnings[0].message.find("first occurrence is kept") != std::string::npos);
    QVERIFY(t.warnings[0].message.find("the scores differ") != std::string::npos);
}

void TestPairing::hashMismatches()
{
    auto bt = task("t", { { "1", 1 }, { "2", 1 } });
    auto ct = task("t", { { "1", 1 }, { "2", 1 } });
    bt.samples[0].promptHash = 11;
    ct.samples[0].promptHash = 11;
    bt.samples[1].docHash = 5;
    ct.samples[1].docHash = 6;
    const auto p = eval::pairRuns(run("b", { bt }), run("c", { ct }));
    QCOMPARE(p.tasks[0].hashMismatches, std::int64_t(1));
    bool warned = false;
    for (const auto& w : p.tasks[0].warnings)
        warned = warned || w.message.find("different doc or prompt hashes") != std::string::npos;
    QVERIFY(warned);
}

void TestPairing::lowerIsBetterFlipsTheSign()
{
    auto bt = task("t", { { "1", 2.0 } });
    auto ct = task("t", { { "1", 3.0 } });
    bt.higherIsBetter = false;
    const auto p = eval::pairRuns(run("b", { bt }), run("c", { ct }));
    QCOMPARE(p.tasks[0].difference(0), 1.0); // the candidate's larger value is worse
    QVERIFY(!p.tasks[0].binary);
}

void TestPairing::nonBinaryScores()
{
    const auto p = eval::pairRuns(run("b", { task("t", { { "1", 0.5 }, { "2", 1 } }) }),
        run("c", { task("t", { { "1", 1 }, { "2", std::nan("") } }) }));
    QVERIFY(!p.tasks[0].binary);
    QCOMPARE(p.tasks[0].missingScores, std::int64_t(1));
    QCOMPARE(p.tasks[0].base.size(), std::size_t(1));
}

void TestPairing::strayScoreInARightOrWrongTask()
{
    // 200 right-or-wrong pairs but for one candidate score of 7: named with its line, since it makes
    // the task continuous.
    std::vector<std::pair<std::string, double>> b;
    std::vector<std::pair<std::string, double>> c;
    for (int i = 0; i < 200; ++i) {
        b.emplace_back(std::to_string(i), i % 3 == 0 ? 1.0 : 0.0);
        c.emplace_back(std::to_string(i), i % 4 == 0 ? 1.0 : 0.0);
    }
    c[20].second = 7.0;
    const auto p = eval::pairRuns(run("b", { task("t", b) }), run("c", { task("t", c) }));
    QVERIFY(!p.tasks[0].binary);
    const auto& w = p.tasks[0].warnings;
    const auto it = std::find_if(
        w.begin(), w.end(), [](const Diagnostic& d) { return d.message.find("not 0 or 1") != std::string::npos; });
    QVERIFY(it != w.end());
    QCOMPARE(it->line, std::int64_t { 21 });
    QVERIFY2(it->message.find("1 of the 400 paired scores is not 0 or 1 (the first, 7, is on this line)")
            != std::string::npos,
        it->message.c_str());
    // Scores that are continuous throughout are no mistake: nothing is said.
    for (int i = 0; i < 200; ++i)
        c[static_cast<std::size_t>(i)].second = 0.25 * (i % 5);
    const auto q = eval::pairRuns(run("b", { task("t", b) }), run("c", { task("t", c) }));
    QVERIFY(!hasWarning(q.tasks[0].warnings, "not 0 or 1"));
}

void TestPairing::keepList()
{
    eval::KeepList keep;
    keep.tasks = { "t" };
    keep.samples.emplace("t", "none", "2");
    keep.samples.emplace("t", "none", "3");
    const auto base = run("b", { task("t", { { "1", 1 }, { "2", 1 }, { "3", 0 } }), task("u", { { "1", 1 } }) });
    const auto cand = run("c", { task("t", { { "1", 0 }, { "2", 0 }, { "3", 0 } }), task("u", { { "1", 0 } }) });
    eval::PairOptions o;
    o.keepList = &keep;
    const auto p = eval::pairRuns(base, cand, o);
    QCOMPARE(p.tasks.size(), std::size_t(3));
    // t: the kept samples, then the one the keep-list excluded.
    QVERIFY(!p.tasks[0].audit);
    QCOMPARE(p.tasks[0].base, (std::vector<double> { 1, 0 }));
    QCOMPARE(p.tasks[0].unmatchedBase, std::int64_t(0)); // left out on purpose, not unmatched
    QVERIFY(p.tasks[1].audit);
    QCOMPARE(p.tasks[1].task, std::string("t"));
    QCOMPARE(p.tasks[1].base, (std::vector<double> { 1 }));
    QCOMPARE(p.tasks[1].cand, (std::vector<double> { 0 }));
    QCOMPARE(p.tasks[1].worse, std::int64_t(1));
    // u is not in the list: all its samples are excluded ones, tested in an audit row only.
    QVERIFY(p.tasks[2].audit);
    QCOMPARE(p.tasks[2].task, std::string("u"));
    QCOMPARE(p.tasks[2].base.size(), std::size_t(1));
    QVERIFY(hasWarning(
        p.warnings, "task u: the keep-list keeps none of its samples; only the samples it excluded are tested"));
    // Without a keep-list nothing is an audit row.
    for (const auto& t : eval::pairRuns(base, cand).tasks)
        QVERIFY(!t.audit);

    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("keep.json"),
        "{\"format\": \"deltascope-keep-list\", \"version\": 1, \"samples\": [{\"task\": \"t\", \"filter\": \"none\", "
        "\"doc_id\": \"2\"}, {\"task\": \"t\", \"doc_id\": 3}]}");
    const auto loaded = eval::loadKeepList(path);
    QVERIFY(loaded.ok());
    QVERIFY(loaded.value->keeps("t", "none", "2"));
    QVERIFY(loaded.value->keeps("t", "none", "3"));
    QVERIFY(!loaded.value->keeps("t", "none", "1"));
    const auto bad = eval::loadKeepList(test::writeFile(dir, QStringLiteral("bad.json"), "{\"samples\": [}"));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error->line, std::int64_t(1));
    // A format that is not a string (found by fuzzing: it used to abort) is a clear error.
    const auto number = eval::loadKeepList(test::writeFile(dir, QStringLiteral("n.json"), "{\"format\": 1}"));
    QVERIFY(!number.ok());
    QVERIFY(number.error->message.find("not a keep-list") != std::string::npos);
}

void TestPairing::keepListAuditRowSeesBrokenAnswers()
{
    // 1000 samples. The baseline's reruns disagree on the first 100, which the keep-list keeps; the
    // baseline gets the other 900 right every time. The candidate matches the baseline on the kept
    // samples and breaks 40 of the always-right answers: only the audit row can show it.
    eval::KeepList keep;
    eval::TaskSamples bt;
    eval::TaskSamples ct;
    bt.task = ct.task = "arc";
    bt.metric = ct.metric = "acc";
    for (int i = 0; i < 1000; ++i) {
        eval::SampleRecord s;
        s.docId = std::to_string(i);
        s.line = i + 1;
        s.score = i < 100 ? i % 2 : 1;
        bt.samples.push_back(s);
        s.score = i < 100 ? i % 2 : (i >= 500 && i < 540 ? 0 : 1);
        ct.samples.push_back(s);
        if (i < 100)
            keep.samples.emplace("arc", "none", s.docId);
    }
    keep.tasks = { "arc" };
    std::reverse(ct.samples.begin(), ct.samples.end()); // pairing is on ids, not order
    eval::PairOptions o;
    o.keepList = &keep;
    const auto p = eval::pairRuns(run("b", { bt }), run("c", { ct }), o);
    QCOMPARE(p.tasks.size(), std::size_t(2));
    const auto& kept = p.tasks[0];
    const auto& audit = p.tasks[1];
    QVERIFY(!kept.audit);
    QCOMPARE(kept.base.size(), std::size_t(100));
    QCOMPARE(kept.worse, std::int64_t(0));
    QCOMPARE(kept.better, std::int64_t(0));
    QVERIFY(audit.audit);
    QCOMPARE(audit.base.size(), std::size_t(900));
    QCOMPARE(audit.worse, std::int64_t(40));
    QCOMPARE(audit.better, std::int64_t(0));
    QVERIFY(audit.binary);
    QCOMPARE(audit.sumBase, 900.0);
    QCOMPARE(audit.sumCand, 860.0);
    QCOMPARE(audit.unmatchedBase + audit.unmatchedCand + audit.duplicates(), std::int64_t(0));
    QCOMPARE(audit.baseTask, kept.baseTask);
    QCOMPARE(audit.candTask, kept.candTask);
    for (std::size_t i = 0; i < audit.base.size(); ++i) {
        QCOMPARE(bt.samples[audit.baseIndex[i]].docId, ct.samples[audit.candIndex[i]].docId);
        QVERIFY(!keep.keeps("arc", "none", bt.samples[audit.baseIndex[i]].docId));
    }

    // Audit samples (shrink --audit) are excluded samples too: they join the audit row.
    keep.audit.emplace("arc", "none", "500");
    const auto again = eval::pairRuns(run("b", { bt }), run("c", { ct }), o);
    QCOMPARE(again.tasks[0].base.size(), std::size_t(100));
    QCOMPARE(again.tasks[1].worse, std::int64_t(40));
}

void TestPairing::keepListTaskWithNoKeptSample()
{
    eval::KeepList keep;
    keep.tasks = { "t", "u" };
    keep.samples.emplace("t", "none", "1");
    keep.audit.emplace("u", "none", "1"); // mentioned, but only as an audit sample
    keep.samples.emplace("u", "none", "99"); // in neither run
    const auto base = run("b",
        { task("t", { { "1", 1 } }), task("u", { { "1", 1 }, { "2", 1 } }), task("v", { { "1", 1 }, { "2", 0 } }) });
    const auto cand = run("c", { task("t", { { "1", 1 } }), task("u", { { "1", 0 }, { "2", 0 } }), task("v", {}) });
    eval::PairOptions o;
    o.keepList = &keep;
    const auto p = eval::pairRuns(base, cand, o);
    // t: kept row only (nothing excluded); u: an audit row only; v: nothing to compare.
    QCOMPARE(p.tasks.size(), std::size_t(2));
    QCOMPARE(p.tasks[0].task, std::string("t"));
    QVERIFY(!p.tasks[0].audit);
    QCOMPARE(p.tasks[1].task, std::string("u"));
    QVERIFY(p.tasks[1].audit);
    QCOMPARE(p.tasks[1].worse, std::int64_t(2));
    QVERIFY(hasWarning(p.warnings, "task u: the keep-list keeps none of its samples"));
    QVERIFY(hasWarning(p.warnings, "task v: the keep-list keeps none of its samples and the two runs share none"));
    QVERIFY(!hasWarning(p.warnings, "task t:"));
}

void TestPairing::keepListExcludedSamplesOnOneSide()
{
    // The usual shrunk run: the candidate was run on the kept samples only.
    eval::KeepList keep;
    keep.tasks = { "t" };
    keep.samples.emplace("t", "none", "1");
    keep.samples.emplace("t", "none", "2");
    const auto base = run("b", { task("t", { { "1", 1 }, { "2", 0 }, { "3", 1 }, { "4", 1 } }) });
    const auto cand = run("c", { task("t", { { "2", 1 }, { "1", 1 }, { "5", 0 } }) });
    eval::PairOptions o;
    o.keepList = &keep;
    const auto p = eval::pairRuns(base, cand, o);
    QCOMPARE(p.tasks.size(), std::size_t(1)); // no excluded sample in both runs: no audit row
    const auto& t = p.tasks[0];
    QCOMPARE(t.base.size(), std::size_t(2));
    QCOMPARE(t.unmatchedBase, std::int64_t(0)); // 3 and 4 were excluded, not lost
    QCOMPARE(t.unmatchedCand, std::int64_t(0)); // so was 5
    QVERIFY(!hasWarning(t.warnings, "cover different documents"));
    QVERIFY(hasWarning(t.warnings, "the candidate has no result for the samples the keep-list excluded"));
    // A kept sample missing from the candidate is unmatched, as before.
    const auto fewer = eval::pairRuns(base, run("c", { task("t", { { "1", 1 } }) }), o);
    QCOMPARE(fewer.tasks[0].unmatchedBase, std::int64_t(1));
}

void TestPairing::keepListCountsPerRow()
{
    eval::KeepList keep;
    keep.tasks = { "t" };
    keep.samples.emplace("t", "none", "1");
    // Base: kept id 1 twice; excluded id 2 three times. Candidate: excluded id 3 twice, 2 once.
    const auto base = run("b", { task("t", { { "1", 1 }, { "1", 1 }, { "2", 1 }, { "2", 0 }, { "2", 1 } }) });
    const auto cand = run("c", { task("t", { { "1", 0 }, { "2", 0 }, { "3", 1 }, { "3", 1 } }) });
    eval::PairOptions o;
    o.keepList = &keep;
    const auto p = eval::pairRuns(base, cand, o);
    QCOMPARE(p.tasks.size(), std::size_t(2));
    QCOMPARE(p.tasks[0].duplicatesBase, std::int64_t(1));
    QCOMPARE(p.tasks[0].duplicatesCand, std::int64_t(0));
    QCOMPARE(p.tasks[1].duplicatesBase, std::int64_t(2));
    QCOMPARE(p.tasks[1].duplicatesCand, std::int64_t(1));
    QCOMPARE(p.tasks[1].base, (std::vector<double> { 1 })); // the first occurrence of id 2
    QCOMPARE(p.tasks[1].unmatchedCand, std::int64_t(0));
    QVERIFY(hasWarning(p.tasks[1].warnings, "(samples the keep-list excluded): id \"2\" appears again"));
}

void TestPairing::keepListFileWithAuditFlags()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("keep.json"),
        "{\"format\": \"deltascope-keep-list\", \"version\": 1, \"samples\": ["
        "{\"task\": \"t\", \"filter\": \"none\", \"doc_id\": \"2\"},"
        "{\"task\": \"t\", \"filter\": \"none\", \"doc_id\": \"7\", \"audit\": true},"
        "{\"task\": \"t\", \"filter\": \"strict\", \"doc_id\": 8, \"audit\": false}]}");
    const auto loaded = eval::loadKeepList(path);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error->toString().c_str());
    QVERIFY(loaded.value->keeps("t", "none", "2"));
    QVERIFY(!loaded.value->keeps("t", "none", "7"));
    QVERIFY(loaded.value->audits("t", "none", "7"));
    QVERIFY(loaded.value->keeps("t", "strict", "8"));
    QCOMPARE(loaded.value->size(), std::size_t(3));
    const auto bad = eval::loadKeepList(test::writeFile(dir, QStringLiteral("bad.json"),
        "{\"format\": \"deltascope-keep-list\", \"samples\": [{\"task\": \"t\", \"doc_id\": 1, \"audit\": \"yes\"}]}"));
    QVERIFY(!bad.ok());
    QVERIFY(bad.error->message.find("entry 1: \"audit\" must be true or false") != std::string::npos);
    // A version this build does not know is refused, not read as version 1.
    for (const char* version : { "99", "\"1\"", "1.5" }) {
        const auto later = eval::loadKeepList(test::writeFile(dir, QStringLiteral("later.json"),
            QByteArray("{\"format\": \"deltascope-keep-list\", \"version\": ") + version
                + ", \"samples\": [{\"task\": \"t\", \"doc_id\": 1}]}"));
        QVERIFY2(!later.ok(), version);
        QVERIFY(later.error->message.find("keep-list version " + std::string(version)) != std::string::npos);
    }
    // An id nested 100,000 lists deep (printing it would run the stack out): refused by name.
    const auto deep = eval::loadKeepList(test::writeFile(dir, QStringLiteral("deep.json"),
        "{\"format\": \"deltascope-keep-list\", \"samples\": [{\"task\": \"t\", \"doc_id\": " + QByteArray(100000, '[')
            + QByteArray(100000, ']') + "}]}"));
    QVERIFY(!deep.ok());
    QCOMPARE(deep.error->line, std::int64_t(1));
    QVERIFY2(
        deep.error->message.find("nested more than 512 levels deep") != std::string::npos, deep.error->message.c_str());
}

void TestPairing::keepListThatKeepsNothingIsRefused()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(
        dir, QStringLiteral("empty.json"), "{\"format\": \"deltascope-keep-list\", \"version\": 1, \"samples\": []}");
    const auto loaded = eval::loadKeepList(path);
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.error->file, path);
    QVERIFY(loaded.error->message.find("keeps no sample") != std::string::npos);
    QVERIFY(loaded.error->toString().find(path) != std::string::npos);
}

void TestPairing::clustersAreDenseAndFollowTheBaseline()
{
    // The baseline's cluster "gone" has no pair; sample 5 has no cluster (a cluster of its own).
    const auto base = run("b",
        { clustered(task("t", { { "1", 1 }, { "2", 1 }, { "3", 0 }, { "4", 1 }, { "5", 1 }, { "6", 0 } }),
            { "gone", "x", "y", "x", "", "y" }) });
    const auto cand = run("c",
        { clustered(
            task("t", { { "6", 0 }, { "5", 0 }, { "4", 1 }, { "3", 0 }, { "2", 0 } }), { "y", "", "x", "y", "x" }) });
    const auto paired = eval::pairRuns(base, cand);
    QCOMPARE(paired.tasks.size(), std::size_t(1));
    const auto& t = paired.tasks[0];
    QCOMPARE(t.clusterKey, std::string("subject"));
    // Pairs in baseline order: ids 2 (x), 3 (y), 4 (x), 5 (none), 6 (y).
    QCOMPARE(t.base.size(), std::size_t(5));
    QCOMPARE(t.cluster, (std::vector<std::uint32_t> { 0, 1, 0, 2, 1 }));
    QCOMPARE(t.clusterNames.size(), std::size_t(3));
    QCOMPARE(t.clusterNames[0], std::string("x"));
    QCOMPARE(t.clusterNames[1], std::string("y"));
    QVERIFY(t.clusterNames[2].find("5") != std::string::npos); // the singleton is named after its id
    QVERIFY(!hasWarning(t.warnings, "another cluster"));
}

void TestPairing::candidateInAnotherClusterIsCounted()
{
    const auto base
        = run("b", { clustered(task("t", { { "1", 1 }, { "2", 1 }, { "3", 0 }, { "4", 1 } }), { "x", "x", "y", "" }) });
    auto candTask = clustered(task("t", { { "1", 1 }, { "2", 0 }, { "3", 0 }, { "4", 1 } }), { "x", "y", "z", "w" });
    const auto cand = run("c", { candTask });
    const auto paired = eval::pairRuns(base, cand);
    const auto& t = paired.tasks[0];
    QCOMPARE(t.cluster, (std::vector<std::uint32_t> { 0, 0, 1, 2 })); // the baseline's clusters
    QVERIFY(hasWarning(t.warnings, "t: 3 pairs have another cluster (subject) in the candidate"));
    bool atLine = false;
    for (const auto& w : t.warnings)
        atLine = atLine || (w.message.find("another cluster") != std::string::npos && w.line == 2);
    QVERIFY(atLine); // the candidate's line of the first one
}

void TestPairing::noClusterKeyNoClusters()
{
    const auto base = run("b", { task("t", { { "1", 1 }, { "2", 0 } }) });
    const auto paired = eval::pairRuns(base, base);
    QVERIFY(paired.tasks[0].cluster.empty());
    QVERIFY(paired.tasks[0].clusterNames.empty());
    QVERIFY(paired.tasks[0].clusterKey.empty());
}

void TestPairing::rerunsKeepClusters()
{
    std::vector<eval::EvalRun> runs;
    runs.push_back(run("r1", { clustered(task("t", { { "1", 1 }, { "2", 0 }, { "3", 1 } }), { "a", "b", "a" }) }));
    runs.push_back(run("r2", { clustered(task("t", { { "3", 0 }, { "2", 1 }, { "1", 1 } }), { "q", "b", "a" }) }));
    const auto merged = eval::averageReruns(runs);
    QVERIFY(merged.ok());
    const auto& t = merged.value->tasks[0];
    QCOMPARE(t.clusterKey, std::string("subject"));
    QCOMPARE(t.clusterNames, (std::vector<std::string> { "a", "b" }));
    QCOMPARE(t.samples[0].cluster, 0u);
    QCOMPARE(t.samples[1].cluster, 1u);
    QCOMPARE(t.samples[2].cluster, 0u);
    QCOMPARE(t.samples[1].score, 0.5);
    const auto paired = eval::pairRuns(*merged.value, *merged.value);
    QCOMPARE(paired.tasks[0].cluster, (std::vector<std::uint32_t> { 0, 1, 0 }));
}

void TestPairing::keepListRowsHaveTheirOwnClusters()
{
    const auto base = run(
        "b", { clustered(task("t", { { "1", 1 }, { "2", 1 }, { "3", 0 }, { "4", 1 } }), { "x", "y", "z", "y" }) });
    eval::KeepList keep;
    keep.tasks = { "t" };
    keep.samples.emplace("t", "none", "3");
    keep.samples.emplace("t", "none", "4");
    eval::PairOptions po;
    po.keepList = &keep;
    const auto paired = eval::pairRuns(base, base, po);
    QCOMPARE(paired.tasks.size(), std::size_t(2));
    const auto& kept = paired.tasks[0];
    const auto& audit = paired.tasks[1];
    QVERIFY(audit.audit);
    QCOMPARE(kept.cluster, (std::vector<std::uint32_t> { 0, 1 }));
    QCOMPARE(kept.clusterNames, (std::vector<std::string> { "z", "y" }));
    QCOMPARE(audit.cluster, (std::vector<std::uint32_t> { 0, 1 }));
    QCOMPARE(audit.clusterNames, (std::vector<std::string> { "x", "y" }));
}

QTEST_GUILESS_MAIN(TestPairing)
#include "tst_pairing.moc"
