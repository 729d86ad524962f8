#include "TestData.h"
#include "eval/KeepList.h"
#include "eval/Pairing.h"

using namespace deltascope;

namespace {

eval::TaskSamples task(const std::string& name, std::initializer_list<std::pair<const char*, double>> samples)
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

} // namespace

class TestPairing : public QObject {
    Q_OBJECT
private slots:
    void pairsOnIdNotOrder();
    void unmatchedAndOneSidedTasks();
    void duplicatesKeepFirst();
    void hashMismatches();
    void lowerIsBetterFlipsTheSign();
    void nonBinaryScores();
    void keepList();
    void rerunsAreAveraged();
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
    QCOMPARE(p.tasks[0].base.size(), std::size_t(2)); // only the listed samples of t
    QCOMPARE(p.tasks[0].unmatchedBase, std::int64_t(0)); // left out on purpose, not unmatched
    QCOMPARE(p.tasks[1].base.size(), std::size_t(1)); // u is not in the list: kept whole

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

QTEST_GUILESS_MAIN(TestPairing)
#include "tst_pairing.moc"
