// SPDX-License-Identifier: GPL-3.0-or-later
// Saved workspaces: the JSON round trip, clear errors (file and line), and the check that warns
// when an input changed after the workspace was saved.
#include "TestData.h"
#include "common/Workspace.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace deltascope;
namespace ws = deltascope::workspace;

class TestWorkspace : public QObject {
    Q_OBJECT
private slots:
    void roundTrip();
    void errorsNameTheLine_data();
    void errorsNameTheLine();
    void unknownKeysAreIgnored();
    void changedInputs();
    void atomicWrite();
    void deepAndLongJson();
};

void TestWorkspace::roundTrip()
{
    ws::Workspace w;
    w.front = "experts";
    w.degradation.base.path = "/runs/base";
    w.degradation.base.format = "table";
    w.degradation.base.scoreColumn = "acc";
    w.degradation.base.promptColumn = "input";
    w.degradation.base.responseColumn = "output";
    w.degradation.base.targetColumn = "gold";
    w.degradation.cand.format = "inspect";
    w.degradation.cand.path = "/runs/cand \"quoted\" ünïcode";
    w.degradation.cand.runTimestamp = "2026-11-01T10-00-00.123456";
    w.degradation.alpha = 0.01;
    w.degradation.permutations = 123456;
    w.degradation.maxPermutations = 4000000;
    w.degradation.margins = { "1", "wikitext=1%", "gsm8k,strict-match=2.5" };
    w.degradation.clusterKey = "doc.subject";
    w.degradation.seed = 18446744073709551615ull;
    w.degradation.onlyWorse = true;
    w.degradation.taskFilter = "mmlu";
    w.degradation.selectedTask = "mmlu_anatomy";
    w.degradation.plot = 2;
    w.degradation.targetDrop = 0.02;
    w.experts.trace = "/traces/mixtral.jsonl";
    w.experts.policy = "ep";
    w.experts.devices = 4;
    w.experts.budget = 17;
    w.experts.requests = "0-9, 20";
    w.experts.replay = false;
    w.inputs.push_back({ "baseline", "/runs/base", 1234, 5678 });
    const auto text = ws::toJson(w);
    const auto back = ws::parseWorkspace(text, "w.deltascope");
    QVERIFY2(back.ok(), back.ok() ? "" : back.error->toString().c_str());
    const auto& b = *back.value;
    QCOMPARE(b.front, w.front);
    QCOMPARE(b.degradation.base.format, std::string("table"));
    QCOMPARE(b.degradation.base.scoreColumn, std::string("acc"));
    QCOMPARE(b.degradation.base.promptColumn, std::string("input"));
    QCOMPARE(b.degradation.base.responseColumn, std::string("output"));
    QCOMPARE(b.degradation.base.targetColumn, std::string("gold"));
    QCOMPARE(b.degradation.cand.format, std::string("inspect"));
    QCOMPARE(b.degradation.cand.path, w.degradation.cand.path);
    QCOMPARE(b.degradation.cand.runTimestamp, w.degradation.cand.runTimestamp);
    QCOMPARE(b.degradation.alpha, 0.01);
    QCOMPARE(b.degradation.permutations, std::uint64_t { 123456 });
    QCOMPARE(b.degradation.maxPermutations, std::uint64_t { 4000000 });
    QCOMPARE(b.degradation.margins, w.degradation.margins);
    QCOMPARE(b.degradation.clusterKey, std::string("doc.subject"));
    QCOMPARE(b.degradation.seed, w.degradation.seed);
    QVERIFY(b.degradation.onlyWorse);
    QCOMPARE(b.degradation.selectedTask, w.degradation.selectedTask);
    QCOMPARE(b.degradation.plot, 2);
    QCOMPARE(b.degradation.targetDrop, 0.02);
    QCOMPARE(b.experts.trace, w.experts.trace);
    QCOMPARE(b.experts.policy, std::string("ep"));
    QCOMPARE(b.experts.devices, 4);
    QCOMPARE(b.experts.budget, 17);
    QCOMPARE(b.experts.requests, w.experts.requests);
    QVERIFY(!b.experts.replay);
    QCOMPARE(b.inputs.size(), std::size_t { 1 });
    QCOMPARE(b.inputs[0].size, std::int64_t { 1234 });
    QCOMPARE(b.inputs[0].modified, std::int64_t { 5678 });
}

void TestWorkspace::errorsNameTheLine_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("message");
    QTest::newRow("syntax") << QByteArray("{\n  \"deltascope_workspace\": 1,\n  \"front\": ,\n}") << 3
                            << QStringLiteral("");
    QTest::newRow("not a workspace") << QByteArray("{\"a\": 1}") << 1 << QStringLiteral("not a Deltascope workspace");
    QTest::newRow("wrong type") << QByteArray("{\"deltascope_workspace\": 1,\n\"degradation\": {\n \"alpha\": \"x\"}}")
                                << 3 << QStringLiteral("degradation.alpha must be a number");
    QTest::newRow("out of range") << QByteArray("{\"deltascope_workspace\": 1,\n\n\"experts\": {\"budget\": -4}}") << 3
                                  << QStringLiteral("experts.budget is out of range");
    QTest::newRow("bad policy") << QByteArray("{\"deltascope_workspace\": 1, \"experts\": {\"policy\": \"random\"}}")
                                << 1 << QStringLiteral("policy must be topk");
    QTest::newRow("newer version") << QByteArray("{\"deltascope_workspace\": 7}") << 1
                                   << QStringLiteral("newer than this Deltascope");
    QTest::newRow("inputs not a list") << QByteArray("{\"deltascope_workspace\": 1, \"inputs\": 3}") << 1
                                       << QStringLiteral("inputs must be a list");
    QTest::newRow("margins not a list") << QByteArray(
        "{\"deltascope_workspace\": 1, \"degradation\": {\n\"margins\": \"1\"}}")
                                        << 2 << QStringLiteral("degradation.margins must be a list of strings");
    QTest::newRow("margin not a string") << QByteArray(
        "{\"deltascope_workspace\": 1, \"degradation\": {\"margins\": [\"1\", 2]}}")
                                         << 1 << QStringLiteral("degradation.margins must be a list of strings");
    QTest::newRow("unknown format") << QByteArray(
        "{\"deltascope_workspace\": 1, \"degradation\": {\"baseline\": {\"format\": \"xml\"}}}")
                                    << 1
                                    << QStringLiteral(
                                           "format must be auto, lm-eval, table, inspect, helm or simple-evals");
    QTest::newRow("nan alpha") << QByteArray("{\"deltascope_workspace\": 1, \"degradation\": {\"alpha\": 2}}") << 1
                               << QStringLiteral("out of range");
}

void TestWorkspace::errorsNameTheLine()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(QString, message);
    const auto r = ws::parseWorkspace(
        std::string_view(text.constData(), static_cast<std::size_t>(text.size())), "broken.deltascope");
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, std::string("broken.deltascope"));
    QCOMPARE(r.error->line, std::int64_t { line });
    QVERIFY2(QString::fromStdString(r.error->message).contains(message), r.error->message.c_str());
}

void TestWorkspace::unknownKeysAreIgnored()
{
    const auto r = ws::parseWorkspace(
        R"({"deltascope_workspace": 1, "later_feature": [1, 2], "experts": {"budget": 9, "new": {}}})", "w");
    QVERIFY(r.ok());
    QCOMPARE(r.value->experts.budget, 9);
}

void TestWorkspace::changedInputs()
{
    QTemporaryDir dir;
    const std::string file = dir.filePath(QStringLiteral("samples.jsonl")).toStdString();
    const std::string folder = dir.filePath(QStringLiteral("run")).toStdString();
    std::filesystem::create_directories(folder + "/model");
    std::ofstream(file) << "{\"doc_id\": 1}\n";
    std::ofstream(folder + "/model/results.json") << "{}";
    ws::Workspace w;
    w.inputs.push_back(ws::describeInput("baseline", folder));
    w.inputs.push_back(ws::describeInput("trace", file));
    w.inputs.push_back(ws::describeInput("counts", dir.filePath(QStringLiteral("missing.csv")).toStdString()));
    QCOMPARE(w.inputs[0].size, std::int64_t { 2 });
    QCOMPARE(w.inputs[1].size, std::int64_t { 14 });
    QCOMPARE(w.inputs[2].size, std::int64_t { -1 });
    QVERIFY(ws::changedInputs(w).empty());
    // Times are nanoseconds since the Unix epoch, as the system reports them; a folder's is its
    // newest file's.
    const auto unixNs = [](const std::string& path) {
        return QFileInfo(QString::fromStdString(path)).lastModified().toMSecsSinceEpoch() * 1000000LL;
    };
    QVERIFY(std::llabs(w.inputs[1].modified - unixNs(file)) < 1000000);
    QVERIFY(std::llabs(w.inputs[0].modified - unixNs(folder + "/model/results.json")) < 1000000);
    // A rewrite of the same size is seen by its time.
    std::filesystem::last_write_time(file, std::filesystem::last_write_time(file) + std::chrono::seconds(10));
    QCOMPARE(ws::changedInputs(w).size(), std::size_t { 1 });
    // A workspace saved before times counted from the Unix epoch (0 or negative): sizes only.
    ws::Workspace old = w;
    old.inputs[1].modified = -4641458835373024693LL;
    QVERIFY(ws::changedInputs(old).empty());
    w.inputs[1] = ws::describeInput("trace", file);

    std::ofstream(folder + "/model/samples_x.jsonl") << "{}\n"; // a file added to the folder
    std::ofstream(file, std::ios::app) << "{\"doc_id\": 2}\n";
    const auto changed = ws::changedInputs(w);
    QCOMPARE(changed.size(), std::size_t { 2 });
    QVERIFY(changed[0].find("baseline") == 0);
    QVERIFY(changed[1].find("changed since the workspace was saved") != std::string::npos);
    std::filesystem::remove(file);
    QVERIFY(ws::changedInputs(w)[1].find("no longer exists") != std::string::npos);
}

void TestWorkspace::atomicWrite()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("w.deltascope")).toStdString();
    ws::Workspace w;
    w.experts.budget = 3;
    QCOMPARE(ws::writeWorkspace(path, w), std::string());
    auto r = ws::readWorkspace(path);
    QVERIFY(r.ok());
    QCOMPARE(r.value->experts.budget, 3);
    // No temporary file is left beside it.
    int files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path().toStdString()))
        ++files;
    QCOMPARE(files, 1);
    QVERIFY(!ws::writeWorkspace(dir.filePath(QStringLiteral("no/such/dir/w.deltascope")).toStdString(), w).empty());
    QVERIFY(!ws::readWorkspace(dir.filePath(QStringLiteral("nope")).toStdString()).ok());
}

void TestWorkspace::deepAndLongJson()
{
    // 200,000 nested arrays: refused by name before any walk could run the stack out; a 64 MB string.
    const std::string deep
        = R"({"deltascope_workspace": 1, "x": )" + std::string(200000, '[') + std::string(200000, ']') + "}";
    const auto d = ws::parseWorkspace(deep, "deep.deltascope");
    QVERIFY(!d.ok());
    QVERIFY2(d.error->message.find("nested more than 512 levels deep") != std::string::npos, d.error->message.c_str());
    // Nesting up to the limit is read (an unknown key is ignored).
    const std::string nested
        = R"({"deltascope_workspace": 1, "x": )" + std::string(500, '[') + std::string(500, ']') + "}";
    QVERIFY(ws::parseWorkspace(nested, "nested.deltascope").ok());
    const std::string unterminated = R"({"deltascope_workspace": 1, "x": )" + std::string(200000, '[');
    QVERIFY(!ws::parseWorkspace(unterminated, "cut.deltascope").ok());
    const std::string longText
        = R"({"deltascope_workspace": 1, "experts": {"requests": ")" + std::string(64 << 20, '7') + "\"}}";
    const auto l = ws::parseWorkspace(longText, "long.deltascope");
    QVERIFY(l.ok());
    QCOMPARE(l.value->experts.requests.size(), std::size_t { 64 << 20 });
}

QTEST_GUILESS_MAIN(TestWorkspace)
#include "tst_workspace.moc"
