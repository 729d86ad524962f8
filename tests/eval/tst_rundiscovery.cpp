// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "eval/RunDiscovery.h"
#include "eval/RunLoader.h"

#include <algorithm>

using namespace deltascope;

namespace {

QByteArray resultsJson(const char* model)
{
    return QByteArray("{\"results\": {\"t\": {\"alias\": \"t\", \"acc,none\": 0.5, \"acc_stderr,none\": NaN}},"
                      " \"higher_is_better\": {\"t\": {\"acc\": true}}, \"model_name\": \"")
        + model + "\", \"lm_eval_version\": \"0.4.9\"}";
}

QByteArray samples(double score)
{
    QByteArray out;
    for (int i = 0; i < 4; ++i)
        out += "{\"doc_id\": " + QByteArray::number(i)
            + ", \"filter\": \"none\", \"metrics\": [\"acc\"], \"acc\": " + QByteArray::number(score) + "}\n";
    return out;
}

} // namespace

class TestRunDiscovery : public QObject {
    Q_OBJECT
private slots:
    void severalRunsOfOneModelPickNewest();
    void pickByTimestamp();
    void severalModelsIsAnError();
    void singleSamplesFileUsesItsResults();
    void resultsFileOnly();
    void folderWithoutSamples();
    void resultsUnderAnotherName();
    void missingPath();
    void realResultsOnlyFolder();
    void unreadableNumbersAreErrors();
    void filtersFromTheResultsWithoutAFilterList();
    void groupNamesItsTasks();
};

void TestRunDiscovery::unreadableNumbersAreErrors()
{
    // Well-formed JSON whose number does not fit a double: an error naming the file, not a crash.
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("results_2026-01-01T10-00-00.000001.json"),
        "{\"results\": {\"t\": {\"acc,none\": 1e999}}, \"model_name\": \"m\"}");
    test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T10-00-00.000001.jsonl"), samples(1));
    const auto run = eval::loadRun(dir.path().toStdString(), {});
    QVERIFY(!run.ok());
    QVERIFY(run.error->file.ends_with(".json"));
    QVERIFY(run.error->message.find("unreadable") != std::string::npos);
}

void TestRunDiscovery::severalRunsOfOneModelPickNewest()
{
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("m/results_2026-01-01T10-00-00.000001.json"), resultsJson("org/m"));
    test::writeFile(dir, QStringLiteral("m/samples_t_2026-01-01T10-00-00.000001.jsonl"), samples(0));
    test::writeFile(dir, QStringLiteral("m/results_2026-02-01T10-00-00.000001.json"), resultsJson("org/m"));
    test::writeFile(dir, QStringLiteral("m/samples_t_2026-02-01T10-00-00.000001.jsonl"), samples(1));
    const auto found = eval::discoverRuns(dir.path().toStdString());
    QVERIFY(found.ok());
    QCOMPARE(found.value->size(), std::size_t(2));
    const auto run = eval::loadRun(dir.path().toStdString(), {});
    QVERIFY(run.ok());
    QCOMPARE(run.value->info.timestamp, std::string("2026-02-01T10-00-00.000001"));
    QCOMPARE(run.value->tasks.front().samples.front().score, 1.0);
    bool warned = false;
    for (const auto& w : run.warnings)
        warned = warned || w.message.find("using the newest") != std::string::npos;
    QVERIFY(warned);
}

void TestRunDiscovery::pickByTimestamp()
{
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("results_2026-01-01T10-00-00.000001.json"), resultsJson("org/m"));
    test::writeFile(dir, QStringLiteral("samples_t_2026-01-01T10-00-00.000001.jsonl"), samples(0));
    test::writeFile(dir, QStringLiteral("results_2026-02-01T10-00-00.000001.json"), resultsJson("org/m"));
    test::writeFile(dir, QStringLiteral("samples_t_2026-02-01T10-00-00.000001.jsonl"), samples(1));
    eval::LoadOptions lo;
    lo.runTimestamp = "2026-01-01T10-00-00.000001";
    const auto run = eval::loadRun(dir.path().toStdString(), lo);
    QVERIFY(run.ok());
    QCOMPARE(run.value->tasks.front().samples.front().score, 0.0);
    lo.runTimestamp = "2030-01-01T00-00-00.000000";
    const auto none = eval::loadRun(dir.path().toStdString(), lo);
    QVERIFY(!none.ok());
    QVERIFY(none.error->message.find("2026-02-01T10-00-00.000001") != std::string::npos); // lists what exists
}

void TestRunDiscovery::severalModelsIsAnError()
{
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("a/results_2026-01-01T10-00-00.000001.json"), resultsJson("org/a"));
    test::writeFile(dir, QStringLiteral("a/samples_t_2026-01-01T10-00-00.000001.jsonl"), samples(0));
    test::writeFile(dir, QStringLiteral("b/results_2026-01-02T10-00-00.000001.json"), resultsJson("org/b"));
    test::writeFile(dir, QStringLiteral("b/samples_t_2026-01-02T10-00-00.000001.jsonl"), samples(1));
    const auto run = eval::loadRun(dir.path().toStdString(), {});
    QVERIFY(!run.ok());
    QVERIFY(run.error->message.find("several models") != std::string::npos);
    QVERIFY(run.error->message.find("org/a") != std::string::npos);
    QVERIFY(run.error->message.find("org/b") != std::string::npos);
}

void TestRunDiscovery::singleSamplesFileUsesItsResults()
{
    const std::string file = test::dataPath(
        "eval/layout_0.4.3/baseline/acme__Llama-3.1-8B-Instruct/samples_gsm8k_2026-03-02T10-15-42.118204.jsonl");
    const auto run = eval::loadRun(file, {});
    QVERIFY2(run.ok(), run.error ? run.error->toString().c_str() : "");
    // The filter names come from the results file next to it.
    QCOMPARE(run.value->tasks.size(), std::size_t(2));
    QCOMPARE(run.value->tasks[0].filter, std::string("strict-match"));
    QCOMPARE(run.value->tasks[1].filter, std::string("flexible-extract"));
}

void TestRunDiscovery::resultsFileOnly()
{
    const std::string file = test::dataPath(
        "eval/layout_current/candidate/acme__Llama-3.1-8B-Instruct-W4A16/results_2026-03-03T09-02-11.530977.json");
    const auto run = eval::loadRun(file, {});
    QVERIFY(run.ok());
    QCOMPARE(run.value->tasks.size(), std::size_t(3));
}

void TestRunDiscovery::folderWithoutSamples()
{
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("results_2026-01-01T10-00-00.000001.json"), resultsJson("org/m"));
    const auto run = eval::loadRun(dir.path().toStdString(), {});
    QVERIFY(!run.ok());
    QCOMPARE(run.error->file, dir.path().toStdString());
    QVERIFY2(run.error->message.starts_with("no per-sample results here: results_2026-01-01T10-00-00.000001.json is an "
                                            "lm-eval results file: aggregate scores only"),
        run.error->message.c_str());
    QVERIFY(run.error->message.find("--log_samples") != std::string::npos);
}

void TestRunDiscovery::resultsUnderAnotherName()
{
    // lm-eval 0.3 named its results after the model and task (llama-7B_lambada_0-shot.json):
    // aggregate scores only. Given as a file (read as lm-eval or sniffed) or in a folder, it is
    // named as what it is, not taken for a broken table or a samples file.
    QTemporaryDir dir;
    const auto file = test::writeFile(dir, QStringLiteral("v03/llama-7B_lambada_0-shot.json"),
        "{\n  \"results\": {\n    \"lambada\": {\n      \"ppl\": 3.48,\n      \"acc\": 0.73\n    }\n  },\n"
        "  \"versions\": {\n    \"lambada\": 0\n  },\n  \"config\": {\"model\": \"hf\"}\n}\n");
    for (const auto format : { eval::LoadOptions::Format::Auto, eval::LoadOptions::Format::LmEval }) {
        eval::LoadOptions o;
        o.format = format;
        const auto run = eval::loadRun(file, o);
        QVERIFY(!run.ok());
        QCOMPARE(run.error->file, file);
        QVERIFY2(run.error->message.starts_with("an lm-eval results file: aggregate scores only"),
            run.error->message.c_str());
        QVERIFY(run.error->message.find("--log_samples") != std::string::npos);
    }
    const auto folder = eval::loadRun(dir.path().toStdString(), {});
    QVERIFY(!folder.ok());
    QCOMPARE(folder.error->file, dir.path().toStdString());
    QVERIFY2(folder.error->message.find("no per-sample results here: v03/llama-7B_lambada_0-shot.json is an lm-eval "
                                        "results file")
            != std::string::npos,
        folder.error->message.c_str());
    // Another JSON document is still a table problem.
    const auto other = test::writeFile(dir, QStringLiteral("other.json"), "{\n  \"results\": [1, 2]\n}\n");
    const auto run = eval::loadRun(other, {});
    QVERIFY(!run.ok());
    QVERIFY2(run.error->message.find("one JSON document over several lines") != std::string::npos,
        run.error->message.c_str());
}

void TestRunDiscovery::missingPath()
{
    const auto run = eval::loadRun("/nonexistent/deltascope/run", {});
    QVERIFY(!run.ok());
    QCOMPARE(run.error->file, std::string("/nonexistent/deltascope/run"));
}

void TestRunDiscovery::realResultsOnlyFolder()
{
    const std::string root = test::sharedPath("lmeval_results_only");
    if (!QFileInfo::exists(QString::fromStdString(root)))
        QSKIP("../shared/data/real is not present");
    // Real results files without samples: a clear error, not a crash.
    const auto run = eval::loadRun(root, {});
    QVERIFY(!run.ok());
    QVERIFY2(run.error->message.find("is an lm-eval results file: aggregate scores only") != std::string::npos,
        run.error->message.c_str());
}

QTEST_GUILESS_MAIN(TestRunDiscovery)
// Records without a "filter" key repeat each document once per filter. With no filter_list in
// the configs, the filters are the ones the results name, in the order written there.
void TestRunDiscovery::filtersFromTheResultsWithoutAFilterList()
{
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("results_2026-01-01T10-00-00.000001.json"),
        "{\"results\": {\"g\": {\"alias\": \"g\", \"exact_match,strict-match\": 0.5, "
        "\"exact_match_stderr,strict-match\": 0.1, \"exact_match,flexible-extract\": 1.0}}, "
        "\"configs\": {\"g\": {\"task\": \"g\"}}, \"model_name\": \"org/m\", \"lm_eval_version\": \"0.4.5\"}");
    QByteArray records;
    for (int filter = 0; filter < 2; ++filter)
        for (int i = 0; i < 2; ++i)
            records += "{\"doc_id\": " + QByteArray::number(i)
                + ", \"exact_match\": " + QByteArray::number(filter == 0 ? i : 1) + "}\n";
    test::writeFile(dir, QStringLiteral("samples_g_2026-01-01T10-00-00.000001.jsonl"), records);
    const auto r = eval::loadRun(dir.path().toStdString(), {});
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    QCOMPARE(r.value->tasks.size(), std::size_t(2));
    QCOMPARE(r.value->tasks[0].filter, std::string("strict-match"));
    QCOMPARE(r.value->tasks[0].samples.size(), std::size_t(2));
    QCOMPARE(r.value->tasks[0].samples[0].score, 0.0);
    QCOMPARE(r.value->tasks[1].filter, std::string("flexible-extract"));
    QCOMPARE(r.value->tasks[1].samples[0].score, 1.0);
    for (const auto& w : r.warnings)
        QVERIFY2(w.message.find("appears again") == std::string::npos, w.message.c_str());
}

// --task with a group the results name (mmlu, mmlu_stem) loads its leaf tasks, groups of groups
// too.
void TestRunDiscovery::groupNamesItsTasks()
{
    QTemporaryDir dir;
    test::writeFile(dir, QStringLiteral("results_2026-01-01T10-00-00.000001.json"),
        "{\"results\": {\"a\": {\"acc,none\": 0.5}, \"b\": {\"acc,none\": 0.5}, \"c\": {\"acc,none\": 0.5}},"
        " \"group_subtasks\": {\"all\": [\"stem\", \"c\"], \"stem\": [\"a\", \"b\"], \"c\": []},"
        " \"model_name\": \"org/m\", \"lm_eval_version\": \"0.4.9\"}");
    for (const char* task : { "a", "b", "c" })
        test::writeFile(
            dir, QStringLiteral("samples_%1_2026-01-01T10-00-00.000001.jsonl").arg(QLatin1String(task)), samples(1));
    const auto tasksOf = [&](std::vector<std::string> asked) {
        eval::LoadOptions o;
        o.tasks = std::move(asked);
        const auto r = eval::loadRun(dir.path().toStdString(), o);
        std::vector<std::string> names;
        if (r.ok())
            for (const auto& t : r.value->tasks)
                names.push_back(t.task);
        std::sort(names.begin(), names.end());
        return names;
    };
    QCOMPARE(tasksOf({ "stem" }), (std::vector<std::string> { "a", "b" }));
    QCOMPARE(tasksOf({ "all" }), (std::vector<std::string> { "a", "b", "c" }));
    QCOMPARE(tasksOf({ "c" }), (std::vector<std::string> { "c" }));
}

#include "tst_rundiscovery.moc"
