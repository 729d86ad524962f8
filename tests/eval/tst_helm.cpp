// SPDX-License-Identifier: GPL-3.0-or-later
#include "CliRun.h"
#include "TestData.h"
#include "analysis/Comparison.h"
#include "backend/CpuBackend.h"
#include "eval/HelmRun.h"
#include "eval/Pairing.h"
#include "eval/RunDiscovery.h"
#include "eval/RunLoader.h"
#include "eval/SampleDetail.h"
#include "eval/SimpleEvalsRun.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>
#include <set>

using namespace deltascope;

// HELM run folders, simple-evals *_allresults.json, and the texts of score tables, checked against
// the independent count in tests/data/helm/make_helm_vectors.py.
class TestHelm : public QObject {
    Q_OBJECT
private slots:
    void init();
    void helmBbqPairMatchesScipy();
    void helmChosenMetric();
    void helmTaskOnTheCommandLine();
    void helmNarrativeQaIsContinuous();
    void helmSampleDetail();
    void helmFolderOfRuns();
    void helmTrialsAndPerturbations();
    void perturbedStatNeverStandsForThePlainOne();
    void helmSuiteOfOneModel();
    void helmScoresInTheirOwnEntries();
    void helmRunWithoutRunSpec();
    void helmBrokenFiles_data();
    void helmBrokenFiles();
    void unknownMetricListsEachSide();
    void simpleEvalsPairMatchesScipy();
    void simpleEvalsNames_data();
    void simpleEvalsNames();
    void simpleEvalsSampleDetail();
    void simpleEvalsBrokenFiles_data();
    void simpleEvalsBrokenFiles();
    void simpleEvalsRepeatsAreAveraged();
    void mmluTablesShowBothSides();
    void csvTableColumns();
    void formatsCommand();

private:
    QJsonObject m_vectors;
};

namespace {

std::string helmRun(const char* name)
{
    return test::sharedPath("helm_runs") + "/" + name;
}

std::string simpleEvals(bool tta)
{
    return test::sharedPath("simple_evals_healthbench") + "/healthbench_hard_gpt-4o-mini_20260113_"
        + (tta ? "121425_tta" : "121409") + "_allresults.json";
}

Result<analysis::ComparisonResult> compare(
    const std::string& base, const std::string& cand, const std::map<std::string, std::string>& metrics = {})
{
    analysis::ComparisonRequest request;
    request.base.path = base;
    request.cand.path = cand;
    request.base.load.metrics = metrics;
    request.cand.load.metrics = metrics;
    const backend::CpuBackend cpu;
    return analysis::runComparison(request, cpu);
}

#define REQUIRE_SHARED()                                                                                               \
    if (!QFileInfo::exists(QString::fromStdString(test::sharedPath("helm_runs"))))                                     \
    QSKIP("../shared/data/real is not present")

const eval::SampleRecord* sampleOf(const eval::EvalRun& run, const std::string& id)
{
    for (const auto& t : run.tasks)
        for (const auto& s : t.samples)
            if (s.docId == id)
                return &s;
    return nullptr;
}

void checkBinary(const report::TaskResult& t, const QJsonObject& v)
{
    QCOMPARE(t.continuous, false);
    QCOMPARE(t.n, static_cast<std::int64_t>(v[QStringLiteral("n")].toInt()));
    QCOMPARE(t.b, static_cast<std::int64_t>(v[QStringLiteral("b")].toInt()));
    QCOMPARE(t.c, static_cast<std::int64_t>(v[QStringLiteral("c")].toInt()));
    DS_COMPARE_REL(t.accBase, v[QStringLiteral("acc_base")].toDouble(), 1e-12);
    DS_COMPARE_REL(t.accCand, v[QStringLiteral("acc_cand")].toDouble(), 1e-12);
    DS_COMPARE_REL(t.pValue, v[QStringLiteral("p_degradation")].toDouble(), 1e-9);
    DS_COMPARE_REL(t.pTwoSided, v[QStringLiteral("p_two_sided")].toDouble(), 1e-9);
}

} // namespace

void TestHelm::init()
{
    if (m_vectors.isEmpty()) {
        QFile f(QString::fromStdString(test::dataPath("helm/helm_vectors.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        m_vectors = QJsonDocument::fromJson(f.readAll()).object();
    }
}

void TestHelm::helmBbqPairMatchesScipy()
{
    REQUIRE_SHARED();
    // Llama-3-8B base against chat on BBQ: exact_match from per_instance_stats.json, McNemar.
    const auto r = compare(helmRun("bbq_meta_llama-3-8b"), helmRun("bbq_meta_llama-3-8b-chat"));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& rep = r.value->report;
    QCOMPARE(rep.tasks.size(), std::size_t(1));
    QCOMPARE(rep.tasks[0].task, std::string("bbq:subject=all,method=multiple_choice_joint"));
    QCOMPARE(rep.tasks[0].metric, std::string("exact_match"));
    checkBinary(rep.tasks[0], m_vectors[QStringLiteral("bbq_exact_match")].toObject());
    QCOMPARE(r.value->loaded->base->info.model, std::string("meta/llama-3-8b"));
    QCOMPARE(r.value->loaded->cand->info.model, std::string("meta/llama-3-8b-chat"));
    QCOMPARE(r.value->loaded->base->info.format, std::string("HELM"));
    // The other way round the drop is the chat model's.
    const auto rev = compare(helmRun("bbq_meta_llama-3-8b-chat"), helmRun("bbq_meta_llama-3-8b"));
    QVERIFY(rev.ok());
    checkBinary(rev.value->report.tasks[0], m_vectors[QStringLiteral("bbq_exact_match_reversed")].toObject());
}

void TestHelm::helmChosenMetric()
{
    REQUIRE_SHARED();
    // A metric for every task ("*"), and one for the task by its full name (it holds '=').
    for (const std::string task : { "*", "bbq:subject=all,method=multiple_choice_joint" }) {
        const auto r = compare(
            helmRun("bbq_meta_llama-3-8b"), helmRun("bbq_meta_llama-3-8b-chat"), { { task, "quasi_exact_match" } });
        QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
        QCOMPARE(r.value->report.tasks[0].metric, std::string("quasi_exact_match"));
        checkBinary(r.value->report.tasks[0], m_vectors[QStringLiteral("bbq_quasi_exact_match")].toObject());
    }
}

void TestHelm::helmTaskOnTheCommandLine()
{
    REQUIRE_SHARED();
    // A HELM task name holds commas and '=': --task and --metric take it whole.
    const auto r = test::cli({ QStringLiteral("compare"), QString::fromStdString(helmRun("bbq_meta_llama-3-8b")),
        QString::fromStdString(helmRun("bbq_meta_llama-3-8b-chat")), QStringLiteral("--task"),
        QStringLiteral("bbq:subject=all,method=multiple_choice_joint,other_task"), QStringLiteral("--metric"),
        QStringLiteral("bbq:subject=all,method=multiple_choice_joint=prefix_exact_match"), QStringLiteral("--format"),
        QStringLiteral("json") });
    QCOMPARE(r.exitCode, 0);
    const auto j = QJsonDocument::fromJson(r.out).object();
    const auto tasks = j[QStringLiteral("tasks")].toArray();
    QCOMPARE(tasks.size(), 1);
    QCOMPARE(tasks[0].toObject()[QStringLiteral("metric")].toString(), QStringLiteral("prefix_exact_match"));
    QCOMPARE(tasks[0].toObject()[QStringLiteral("task")].toString(),
        QStringLiteral("bbq:subject=all,method=multiple_choice_joint"));
}

void TestHelm::helmNarrativeQaIsContinuous()
{
    REQUIRE_SHARED();
    const auto dir = helmRun("narrative_qa_openai_gpt2");
    QCOMPARE(eval::detectFormat(dir), eval::LoadOptions::Format::Helm);
    auto byDefault = eval::loadRun(dir, {});
    QVERIFY2(byDefault.ok(), byDefault.ok() ? "" : byDefault.error->toString().c_str());
    QCOMPARE(byDefault.value->tasks[0].task, std::string("narrative_qa"));
    QCOMPARE(byDefault.value->tasks[0].metric, std::string("exact_match"));
    QCOMPARE(byDefault.value->info.model, std::string("openai/gpt2"));
    eval::LoadOptions o;
    o.metrics["narrative_qa"] = "f1_score";
    auto f1 = eval::loadRun(dir, o);
    QVERIFY(f1.ok());
    const auto& t = f1.value->tasks[0];
    QCOMPARE(t.samples.size(), std::size_t(5));
    QVERIFY(!t.rightOrWrong);
    double sum = 0;
    for (const auto& s : t.samples)
        sum += s.score;
    DS_COMPARE_REL(sum / 5.0, m_vectors[QStringLiteral("narrative_qa_f1_mean")].toDouble(), 1e-12);
    // The instance in the "valid" split is read like the others; lines point into the file.
    const auto* valid = sampleOf(*f1.value, "id1123");
    QVERIFY(valid);
    QVERIFY(valid->line > 1);
    // No display_predictions.json here: the sample view takes the completion from scenario_state.json.
    const auto d = eval::readSampleDetail(*f1.value, *valid);
    QVERIFY(d.ok());
    QVERIFY(!d.value->prompt.empty());
    QVERIFY(!d.value->target.empty());
}

void TestHelm::helmSampleDetail()
{
    REQUIRE_SHARED();
    auto run = eval::loadRun(helmRun("bbq_meta_llama-3-8b"), {});
    QVERIFY(run.ok());
    const auto* s = sampleOf(*run.value, "id58485");
    QVERIFY(s);
    const auto d = eval::readSampleDetail(*run.value, *s);
    QVERIFY2(d.ok(), d.ok() ? "" : d.error->toString().c_str());
    QVERIFY(d.value->prompt.find("Passage: A couple of kids from my high school got into Yale") != std::string::npos);
    QCOMPARE(d.value->target, std::string("Cannot be determined"));
    QCOMPARE(d.value->response, std::string(" B"));
    QCOMPARE(d.value->filtered, std::string("Cannot be determined"));
    QCOMPARE(d.value->choices.size(), std::size_t(3));
    QCOMPARE(d.value->choices[1], std::string("B. Cannot be determined"));
    bool exact = false;
    for (const auto& [k, v] : d.value->metrics)
        exact = exact || (k == "exact_match" && v == "1");
    QVERIFY(exact);
}

void TestHelm::helmFolderOfRuns()
{
    REQUIRE_SHARED();
    const auto root = test::sharedPath("helm_runs");
    auto runs = eval::discoverRuns(root);
    QVERIFY(runs.ok());
    QCOMPARE(runs.value->size(), std::size_t(3));
    QCOMPARE((*runs.value)[0].model, std::string("meta/llama-3-8b"));
    QCOMPARE((*runs.value)[0].format, std::string(eval::kHelmFormat));
    QCOMPARE((*runs.value)[2].model, std::string("openai/gpt2"));
    // Several models: the user names one (the window's picker does this with the run's folder).
    auto several = eval::loadRun(root, {});
    QVERIFY(!several.ok());
    QVERIFY(several.error->message.find("meta/llama-3-8b-chat") != std::string::npos);
    eval::LoadOptions o;
    o.runTimestamp = (*runs.value)[1].dir;
    auto chosen = eval::loadRun(root, o);
    QVERIFY(chosen.ok());
    QCOMPARE(chosen.value->info.model, std::string("meta/llama-3-8b-chat"));
}

void TestHelm::helmTrialsAndPerturbations()
{
    // Pairs on (instance_id, train_trial_index); a perturbed instance is its own filter.
    const auto base = test::dataPath("helm/tiny_base");
    const auto cand = test::dataPath("helm/tiny_cand");
    const auto r = compare(base, cand);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& tasks = r.value->loaded->paired->tasks;
    QCOMPARE(tasks.size(), std::size_t(2));
    const auto none = std::find_if(tasks.begin(), tasks.end(), [](const auto& t) { return t.filter == "none"; });
    const auto typos = std::find_if(tasks.begin(), tasks.end(), [](const auto& t) { return t.filter == "typos:0"; });
    QVERIFY(none != tasks.end() && typos != tasks.end());
    QCOMPARE(none->task, std::string("demo:subject=x"));
    QCOMPARE(none->base.size(), std::size_t(3)); // i1 trial 0, i1 trial 1, i2
    QCOMPARE(none->worse, std::int64_t(1));
    QCOMPARE(none->better, std::int64_t(1));
    QCOMPARE(none->unmatchedBase, std::int64_t(1)); // i3
    QCOMPARE(none->unmatchedCand, std::int64_t(1)); // i4
    QCOMPARE(typos->base.size(), std::size_t(1));
    QCOMPARE(typos->worse, std::int64_t(1));
    // The two trials of i1 are one cluster: flipped together, not counted as two samples.
    QCOMPARE(none->clusterKey, std::string("instance_id"));
    QCOMPARE(none->clusterNames.size(), std::size_t(2)); // i1, i2
    QCOMPARE(none->cluster.size(), std::size_t(3));
    QCOMPARE(none->cluster[0], none->cluster[1]);
    QVERIFY(none->cluster[2] != none->cluster[0]);
    QVERIFY(typos->clusterKey.empty()); // one trial each: no clusters
    // --cluster has nothing to read in a HELM run: refused, not ignored.
    eval::LoadOptions keyed;
    keyed.clusterKey = "subject";
    const auto refused = eval::loadRun(base, keyed);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error->message.find("--cluster subject") != std::string::npos, refused.error->message.c_str());
    // The filter selection keeps only the unperturbed instances.
    eval::LoadOptions o;
    o.filters = { "none" };
    auto plain = eval::loadRun(base, o);
    QVERIFY(plain.ok());
    QCOMPARE(plain.value->tasks.size(), std::size_t(1));
    QCOMPARE(plain.value->tasks[0].samples.size(), std::size_t(4));
    QCOMPARE(plain.value->tasks[0].samples[1].docId, std::string("i1#trial1"));
}

void TestHelm::perturbedStatNeverStandsForThePlainOne()
{
    // An unperturbed entry whose exact_match was computed on a perturbed input (its name carries a
    // perturbation) has no plain exact_match: that entry is missing a score, not scored by the
    // perturbed stat.
    QTemporaryDir dir;
    const QString src = QString::fromStdString(test::dataPath("helm/tiny_base"));
    for (const auto& name : QDir(src).entryList(QDir::Files))
        QVERIFY(QFile::copy(src + QLatin1Char('/') + name, dir.filePath(name)));
    QFile f(dir.filePath(QStringLiteral("per_instance_stats.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonArray entries = QJsonDocument::fromJson(f.readAll()).array();
    f.close();
    QJsonObject first = entries[0].toObject();
    QVERIFY(!first.contains(QStringLiteral("perturbation")));
    QJsonArray stats = first[QStringLiteral("stats")].toArray();
    for (int i = 0; i < stats.size(); ++i) {
        QJsonObject st = stats[i].toObject();
        QJsonObject name = st[QStringLiteral("name")].toObject();
        if (name[QStringLiteral("name")].toString() != QStringLiteral("exact_match"))
            continue;
        name[QStringLiteral("perturbation")] = QJsonObject { { QStringLiteral("name"), QStringLiteral("typos") },
            { QStringLiteral("computed_on"), QStringLiteral("perturbed") } };
        st[QStringLiteral("name")] = name;
        st[QStringLiteral("mean")] = 1.0 - st[QStringLiteral("mean")].toDouble();
        stats[i] = st;
    }
    first[QStringLiteral("stats")] = stats;
    entries[0] = first;
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QJsonDocument(entries).toJson());
    f.close();
    eval::LoadOptions o;
    o.filters = { "none" };
    const auto plain = eval::loadRun(test::dataPath("helm/tiny_base"), o);
    const auto changed = eval::loadRun(dir.path().toStdString(), o);
    QVERIFY(plain.ok() && changed.ok());
    const auto& a = plain.value->tasks[0].samples;
    const auto& b = changed.value->tasks[0].samples;
    QCOMPARE(b.size(), a.size());
    QCOMPARE(b[0].docId, a[0].docId);
    QVERIFY(!std::isnan(a[0].score));
    QVERIFY2(std::isnan(b[0].score), qPrintable(QString::number(b[0].score)));
    for (std::size_t i = 1; i < a.size(); ++i)
        QCOMPARE(b[i].score, a[i].score);
}

void TestHelm::helmSuiteOfOneModel()
{
    // A folder of run folders of one model (two scenarios): one run, one task per scenario.
    QTemporaryDir dir;
    QFile stats(QString::fromStdString(test::dataPath("helm/tiny_base/per_instance_stats.json")));
    QVERIFY(stats.open(QIODevice::ReadOnly));
    const QByteArray entries = stats.readAll();
    for (const char* scenario : { "alpha", "beta" }) {
        const QString run = QStringLiteral("suite/%1_model").arg(QLatin1String(scenario));
        test::writeFile(dir, run + QStringLiteral("/run_spec.json"),
            QByteArray(R"({"name": ")") + scenario + R"(:model=demo_base", "adapter_spec": {"model": "demo/base"}})");
        test::writeFile(dir, run + QStringLiteral("/per_instance_stats.json"), entries);
    }
    const auto r = eval::loadRun(dir.filePath(QStringLiteral("suite")).toStdString(), {});
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    QCOMPARE(r.value->info.model, std::string("demo/base"));
    QCOMPARE(r.value->files.size(), std::size_t(2));
    std::set<std::string> tasks;
    for (const auto& t : r.value->tasks)
        tasks.insert(t.task);
    QCOMPARE(tasks, (std::set<std::string> { "alpha", "beta" }));
    // Each sample's texts come from its own run folder.
    const auto& beta
        = *std::find_if(r.value->tasks.begin(), r.value->tasks.end(), [](const auto& t) { return t.task == "beta"; });
    QCOMPARE(r.value->files[beta.samples[0].file].find("beta_model") != std::string::npos, true);
}

void TestHelm::helmScoresInTheirOwnEntries()
{
    // harm_bench and anthropic_red_team write two entries per instance: the judges' scores, then
    // HELM's bookkeeping stats. They are one sample, scored from whichever entry holds the metric,
    // with no "missing" or "duplicate" warning; two entries that both hold the metric are still
    // a duplicate.
    const auto entry = [](const char* id, const char* stat, double value) -> QByteArray {
        return QByteArray(R"({"instance_id": ")") + id + R"(", "train_trial_index": 0, "stats": [{"name": {"name": ")"
            + stat + R"(", "split": "test"}, "count": 1, "sum": )" + QByteArray::number(value) + R"(, "mean": )"
            + QByteArray::number(value) + "}]}";
    };
    const auto write = [&](QTemporaryDir& dir, const QString& run, const QList<QByteArray>& entries) {
        test::writeFile(dir, run + QStringLiteral("/run_spec.json"),
            R"({"name": "harm_bench:model=m", "adapter_spec": {"model": "m"}, "metric_specs": [{"args": {"names": ["harm_bench_score"]}}]})");
        test::writeFile(dir, run + QStringLiteral("/per_instance_stats.json"), "[\n" + entries.join(",\n") + "\n]\n");
        return dir.filePath(run).toStdString();
    };
    QTemporaryDir dir;
    const auto base = write(dir, QStringLiteral("base"),
        { entry("a", "harm_bench_score", 1), entry("b", "harm_bench_score", 1), entry("c", "harm_bench_score", 0),
            entry("a", "num_output_tokens", 10), entry("b", "num_output_tokens", 20),
            entry("c", "num_output_tokens", 30) });
    // The candidate lists the bookkeeping entries first.
    const auto cand = write(dir, QStringLiteral("cand"),
        { entry("a", "num_output_tokens", 11), entry("b", "num_output_tokens", 25), entry("c", "num_output_tokens", 30),
            entry("a", "harm_bench_score", 0), entry("b", "harm_bench_score", 1), entry("c", "harm_bench_score", 1) });
    const auto r = compare(base, cand);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& t = r.value->report.tasks.at(0);
    QCOMPARE(t.metric, std::string("harm_bench_score"));
    QCOMPARE(t.n, std::int64_t(3));
    QCOMPARE(t.b, std::int64_t(1)); // a
    QCOMPARE(t.c, std::int64_t(1)); // c
    for (const auto& w : r.value->report.warnings)
        QVERIFY2(w.message.find("appears again") == std::string::npos && w.message.find("have no") == std::string::npos,
            w.toString().c_str());
    // The bookkeeping stat comes from the other entry of each instance.
    eval::LoadOptions tokens;
    tokens.metrics["*"] = "num_output_tokens";
    const auto b = eval::loadRun(base, tokens);
    const auto c = eval::loadRun(cand, tokens);
    QVERIFY2(b.ok() && c.ok(), b.ok() ? (c.ok() ? "" : c.error->toString().c_str()) : b.error->toString().c_str());
    QCOMPARE(b.value->tasks.at(0).samples.size(), std::size_t(3));
    QCOMPARE(b.value->tasks[0].samples[1].score, 20.0);
    QCOMPARE(c.value->tasks.at(0).samples.size(), std::size_t(3));
    QCOMPARE(c.value->tasks[0].samples[1].score, 25.0);
    QVERIFY(b.warnings.empty());
    // The sample view shows the scores of both entries of an instance.
    const auto detail = eval::readSampleDetail(*c.value, c.value->tasks[0].samples[1]);
    QVERIFY2(detail.ok(), detail.ok() ? "" : detail.error->toString().c_str());
    const auto shows = [&](const char* name, const char* value) {
        return std::any_of(detail.value->metrics.begin(), detail.value->metrics.end(),
            [&](const auto& m) { return m.first == name && m.second == value; });
    };
    QVERIFY(shows("num_output_tokens", "25")); // the compared metric, though bookkeeping
    QVERIFY(shows("harm_bench_score", "1")); // from the instance's other entry
    // A second entry holding the metric again is a duplicate, as before.
    const auto twice = write(dir, QStringLiteral("twice"),
        { entry("a", "harm_bench_score", 1), entry("a", "harm_bench_score", 0), entry("b", "harm_bench_score", 1) });
    const auto d = eval::loadRun(twice, {});
    QVERIFY(d.ok());
    QCOMPARE(d.value->tasks.at(0).samples.size(), std::size_t(3));
    const auto dup = compare(twice, cand);
    QVERIFY2(dup.ok(), dup.ok() ? "" : dup.error->toString().c_str());
    const auto& said = dup.value->report.tasks.at(0).warnings;
    QVERIFY(std::any_of(said.begin(), said.end(),
        [](const Diagnostic& w) { return w.message.find("id \"a\" appears again") != std::string::npos; }));
}

void TestHelm::helmRunWithoutRunSpec()
{
    // A run folder that lost its run_spec.json is still read, named after its folder (as HELM
    // names run folders), with a warning naming the missing file.
    QTemporaryDir dir;
    QFile stats(QString::fromStdString(test::dataPath("helm/tiny_base/per_instance_stats.json")));
    QVERIFY(stats.open(QIODevice::ReadOnly));
    const QString run = QStringLiteral("demo:subject=x,model=org_name");
    const auto path = test::writeFile(dir, run + QStringLiteral("/per_instance_stats.json"), stats.readAll());
    for (const auto& input : { dir.filePath(run).toStdString(), path }) {
        const auto r = eval::loadRun(input, {});
        QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
        QCOMPARE(r.value->info.format, std::string(eval::kHelmFormat));
        QCOMPARE(r.value->info.model, std::string("org_name"));
        QCOMPARE(r.value->tasks.at(0).task, std::string("demo:subject=x"));
        QCOMPARE(r.value->tasks.at(0).metric, std::string("exact_match"));
        QVERIFY(std::any_of(r.warnings.begin(), r.warnings.end(), [](const Diagnostic& w) {
            return w.file.ends_with("run_spec.json") && w.message.find("not found") != std::string::npos;
        }));
    }
    // Copies renamed base and cand still pair: their tasks are named after their folders.
    const QByteArray entries = [] {
        QFile f(QString::fromStdString(test::dataPath("helm/tiny_base/per_instance_stats.json")));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }();
    test::writeFile(dir, QStringLiteral("copies/base/per_instance_stats.json"), entries);
    test::writeFile(dir, QStringLiteral("copies/cand/per_instance_stats.json"), entries);
    const auto renamed = compare(dir.filePath(QStringLiteral("copies/base")).toStdString(),
        dir.filePath(QStringLiteral("copies/cand")).toStdString());
    QVERIFY2(renamed.ok(), renamed.ok() ? "" : renamed.error->toString().c_str());
    QVERIFY(renamed.value->report.tasks.at(0).n > 0);
    // A suite where one run lost its run_spec.json: the model is spelled as its sibling's spec
    // spells it ("org/name", the folder "org_name"), so the suite is one model's.
    test::writeFile(dir, QStringLiteral("suite/alpha:model=org_name/run_spec.json"),
        R"({"name": "alpha:model=org/name", "adapter_spec": {"model": "org/name"}})");
    test::writeFile(dir, QStringLiteral("suite/alpha:model=org_name/per_instance_stats.json"), entries);
    test::writeFile(dir, QStringLiteral("suite/beta:model=org_name/per_instance_stats.json"), entries);
    const auto suite = eval::loadRun(dir.filePath(QStringLiteral("suite")).toStdString(), {});
    QVERIFY2(suite.ok(), suite.ok() ? "" : suite.error->toString().c_str());
    QCOMPARE(suite.value->info.model, std::string("org/name"));
    std::set<std::string> names;
    for (const auto& t : suite.value->tasks)
        names.insert(t.task);
    QCOMPARE(names, (std::set<std::string> { "alpha", "beta" }));
    // Both sides read the same folder: its warning is said once.
    const auto both = compare(dir.filePath(run).toStdString(), dir.filePath(run).toStdString());
    QVERIFY2(both.ok(), both.ok() ? "" : both.error->toString().c_str());
    QCOMPARE(std::count_if(both.value->report.warnings.begin(), both.value->report.warnings.end(),
                 [](const Diagnostic& w) { return w.file.ends_with("run_spec.json"); }),
        std::ptrdiff_t(1));
}

void TestHelm::helmBrokenFiles_data()
{
    QTest::addColumn<QByteArray>("stats");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("message");
    const QByteArray good = "  {\n    \"instance_id\": \"a\",\n    \"stats\": [{\"name\": {\"name\": \"exact_match\"}, "
                            "\"count\": 1, \"sum\": 1, \"mean\": 1}]\n  }";
    QTest::newRow("truncated") << QByteArray("[\n" + good + ",\n  {\n    \"instance_id\": \"b\",\n") << 8
                               << QStringLiteral("the file ends early (truncated?): malformed JSON");
    QTest::newRow("missing instance_id") << QByteArray("[\n" + good + ",\n  {\n    \"stats\": []\n  }\n]\n") << 6
                                         << QStringLiteral("entry 2 has no \"instance_id\"");
    QTest::newRow("instance_id an object")
        << QByteArray("[\n" + good + ",\n  {\"instance_id\": {}, \"stats\": []}\n]\n") << 6
        << QStringLiteral("\"instance_id\" is an object, not a string");
    QTest::newRow("stats not a list") << QByteArray("[\n" + good + ",\n  {\"instance_id\": \"b\", \"stats\": 3}\n]\n")
                                      << 6 << QStringLiteral("\"stats\" is a number, not a list");
    QTest::newRow("mean a string") << QByteArray("[\n" + good
        + ",\n  {\"instance_id\": \"b\", \"stats\": [{\"name\": {\"name\": \"exact_match\"}, \"mean\": \"x\"}]}\n]\n")
                                   << 6 << QStringLiteral("\"mean\" is a string, not a number");
    QTest::newRow("trial not a number") << QByteArray(
        "[\n" + good + ",\n  {\"instance_id\": \"b\", \"train_trial_index\": \"0\", \"stats\": []}\n]\n")
                                        << 6 << QStringLiteral("train_trial_index");
    QTest::newRow("NaN score") << QByteArray("[\n" + good
        + ",\n  {\"instance_id\": \"b\", \"stats\": [{\"name\": {\"name\": "
          "\"exact_match\"}, \"mean\": NaN}]}\n]\n")
                               << 6 << QStringLiteral("NaN");
    QTest::newRow("an object, not a list")
        << QByteArray("{\"instance_id\": \"a\"}\n") << 1 << QStringLiteral("not a list");
    QTest::newRow("empty") << QByteArray("  \n") << 0 << QStringLiteral("empty");
}

void TestHelm::helmBrokenFiles()
{
    QFETCH(QByteArray, stats);
    QFETCH(int, line);
    QFETCH(QString, message);
    QTemporaryDir dir;
    test::writeFile(
        dir, QStringLiteral("run/run_spec.json"), R"({"name": "t:model=m", "adapter_spec": {"model": "m"}})");
    const auto path = test::writeFile(dir, QStringLiteral("run/per_instance_stats.json"), stats);
    const auto r = eval::loadRun(dir.filePath(QStringLiteral("run")).toStdString(), {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QCOMPARE(r.error->line, static_cast<std::int64_t>(line));
    QVERIFY2(r.error->message.find(message.toStdString()) != std::string::npos, r.error->message.c_str());
    // Skipping bad entries loads the good one (where the file can be read at all), and the error
    // says whether skipping helps.
    QCOMPARE(r.error->skippable, line > 1 && !message.contains(QStringLiteral("malformed")));
    if (line > 1 && !message.contains(QStringLiteral("malformed"))) {
        eval::LoadOptions o;
        o.skipBadLines = true;
        const auto skipped = eval::loadRun(dir.filePath(QStringLiteral("run")).toStdString(), o);
        QVERIFY2(skipped.ok(), skipped.ok() ? "" : skipped.error->toString().c_str());
        QCOMPARE(skipped.value->tasks[0].samples.size(), std::size_t(1));
        QVERIFY(!skipped.warnings.empty());
    }
}

void TestHelm::unknownMetricListsEachSide()
{
    REQUIRE_SHARED();
    eval::LoadOptions o;
    o.metrics["*"] = "f1_score";
    // bbq has no f1_score: the error lists what it has, scores first.
    const auto r = eval::loadRun(helmRun("bbq_meta_llama-3-8b"), o);
    QVERIFY(!r.ok());
    QVERIFY(
        r.error->message.find("no metric \"f1_score\" (this run has: exact_match, exact_match@5") != std::string::npos);
    const auto m = eval::metricsOf(helmRun("narrative_qa_openai_gpt2"), {});
    QVERIFY(m.ok());
    const auto& names = m.value->at("narrative_qa");
    QVERIFY(std::find(names.begin(), names.end(), "rouge_l") != names.end());
    QCOMPARE(names.front(), std::string("exact_match"));
    // The command line names the metrics of both sides.
    const auto cli = test::cli({ QStringLiteral("compare"), QString::fromStdString(helmRun("bbq_meta_llama-3-8b")),
        QString::fromStdString(helmRun("narrative_qa_openai_gpt2")), QStringLiteral("--metric"),
        QStringLiteral("f1_score") });
    QCOMPARE(cli.exitCode, 2);
    QVERIFY2(cli.err.contains("the baseline has:") && cli.err.contains("the candidate has:")
            && cli.err.contains("narrative_qa: exact_match, quasi_exact_match, f1_score, rouge_l"),
        cli.err.constData());
}

void TestHelm::simpleEvalsPairMatchesScipy()
{
    REQUIRE_SHARED();
    for (const bool reversed : { false, true }) {
        const auto r = reversed ? compare(simpleEvals(true), simpleEvals(false))
                                : compare(simpleEvals(false), simpleEvals(true));
        QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
        const auto v
            = m_vectors[reversed ? QStringLiteral("healthbench_reversed") : QStringLiteral("healthbench")].toObject();
        const auto& t = r.value->report.tasks.at(0);
        QCOMPARE(t.task, std::string("healthbench_hard"));
        QCOMPARE(t.metric, std::string("score"));
        QVERIFY(t.continuous);
        QCOMPARE(t.n, static_cast<std::int64_t>(v[QStringLiteral("n")].toInt()));
        QCOMPARE(t.b, static_cast<std::int64_t>(v[QStringLiteral("worse")].toInt()));
        QCOMPARE(t.c, static_cast<std::int64_t>(v[QStringLiteral("better")].toInt()));
        DS_COMPARE_REL(t.accBase, v[QStringLiteral("mean_base")].toDouble(), 1e-9);
        DS_COMPARE_REL(t.accCand, v[QStringLiteral("mean_cand")].toDouble(), 1e-9);
        DS_COMPARE_REL(t.delta, v[QStringLiteral("mean_drop")].toDouble(), 1e-9);
        QVERIFY(t.exhaustive);
        DS_COMPARE_REL(t.pValue, v[QStringLiteral("p_exact")].toDouble(), 1e-12);
    }
    const auto r = compare(simpleEvals(false), simpleEvals(true));
    QCOMPARE(r.value->loaded->base->info.model, std::string("gpt-4o-mini"));
    QCOMPARE(r.value->loaded->cand->info.model, std::string("gpt-4o-mini_tta"));
    QCOMPARE(r.value->loaded->cand->info.format, std::string("simple-evals"));
    QCOMPARE(r.value->loaded->cand->info.timestamp, std::string("20260113_121425"));
}

void TestHelm::simpleEvalsNames_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("task");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("timestamp");
    QTest::newRow("healthbench hard") << QStringLiteral("healthbench_hard_gpt-4o-mini_20260113_121409_allresults.json")
                                      << QStringLiteral("healthbench_hard") << QStringLiteral("gpt-4o-mini")
                                      << QStringLiteral("20260113_121409");
    QTest::newRow("suffix after the time")
        << QStringLiteral("/x/healthbench_hard_gpt-4o-mini_20260113_121425_tta_allresults.json")
        << QStringLiteral("healthbench_hard") << QStringLiteral("gpt-4o-mini_tta") << QStringLiteral("20260113_121425");
    QTest::newRow("no time") << QStringLiteral("mmlu_gpt-4.1_allresults.json") << QStringLiteral("mmlu")
                             << QStringLiteral("gpt-4.1") << QString();
    QTest::newRow("unknown eval") << QStringLiteral("myeval_o3_allresults.json") << QStringLiteral("simple-evals")
                                  << QStringLiteral("myeval_o3") << QString();
}

void TestHelm::simpleEvalsNames()
{
    QFETCH(QString, file);
    QFETCH(QString, task);
    QFETCH(QString, model);
    QFETCH(QString, timestamp);
    const auto n = eval::parseSimpleEvalsName(file.toStdString());
    QCOMPARE(QString::fromStdString(n.task), task);
    QCOMPARE(QString::fromStdString(n.model), model);
    QCOMPARE(QString::fromStdString(n.timestamp), timestamp);
    QVERIFY(eval::isSimpleEvalsFileName(QFileInfo(file).fileName().toStdString()));
}

void TestHelm::simpleEvalsSampleDetail()
{
    REQUIRE_SHARED();
    auto run = eval::loadRun(simpleEvals(false), {});
    QVERIFY(run.ok());
    const auto* s = sampleOf(*run.value, "d2cbe136-0f37-4560-acbe-84356e977085");
    QVERIFY(s);
    QCOMPARE(s->score, -0.03333333333333333);
    const auto d = eval::readSampleDetail(*run.value, *s);
    QVERIFY(d.ok());
    QVERIFY(d.value->prompt.find("user: the defibrillator stopped delivering a shock") != std::string::npos);
    QVERIFY(d.value->response.starts_with("If a defibrillator has stopped delivering a shock"));
    QVERIFY(d.value->target.starts_with("[-10] met: Fails to instruct the user to call emergency services"));
    bool score = false;
    for (const auto& [k, v] : d.value->metrics)
        score = score || (k == "score" && v == "-0.03333333333333333");
    QVERIFY(score);
}

// n_repeats writes each prompt several times: one sample per prompt_id, scored with the mean of its
// repeats, the first two repeats' disagreements kept as the noise floor.
void TestHelm::simpleEvalsRepeatsAreAveraged()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("mmlu_m_allresults.json"),
        "{\"score\": 0.5, \"metadata\": {\"example_level_metadata\": [\n"
        " {\"score\": 1, \"prompt_id\": \"p1\"},\n {\"score\": 0, \"prompt_id\": \"p2\"},\n"
        " {\"score\": 1, \"prompt_id\": \"p1\"},\n {\"score\": 1, \"prompt_id\": \"p2\"},\n"
        " {\"score\": 0, \"prompt_id\": \"p1\"},\n {\"score\": 1, \"prompt_id\": \"p3\"}\n]}}\n");
    const auto r = eval::loadRun(path, {});
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& t = r.value->tasks.at(0);
    QCOMPARE(t.samples.size(), std::size_t(3));
    QCOMPARE(t.samples[0].docId, std::string("p1"));
    QCOMPARE(t.samples[0].score, 2.0 / 3.0);
    QCOMPARE(t.samples[1].score, 0.5);
    QCOMPARE(t.samples[2].score, 1.0);
    QCOMPARE(t.samples[0].line, std::int64_t(2)); // the first repeat's text is shown
    QVERIFY(t.rightOrWrong); // every repeat 0 or 1: still an accuracy
    QCOMPARE(t.epochFlips, std::int64_t(1)); // p2's first two repeats differ
    bool noted = false;
    for (const auto& w : r.warnings)
        noted = noted || w.message.find("6 examples of 3 prompts") != std::string::npos;
    QVERIFY(noted);
}

void TestHelm::simpleEvalsBrokenFiles_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("message");
    const QByteArray head = "{\n \"score\": 0.5,\n \"metadata\": {\n  \"example_level_metadata\": [\n   {\"score\": 1, "
                            "\"prompt_id\": \"p1\"},\n";
    QTest::newRow("truncated") << QByteArray(head + "   {\"score\": 0, \"prompt_") << 6
                               << QStringLiteral("malformed JSON");
    QTest::newRow("missing prompt_id") << QByteArray(head + "   {\"score\": 0}\n  ]\n }\n}\n") << 6
                                       << QStringLiteral("example 2 has no \"prompt_id\"");
    QTest::newRow("score a string") << QByteArray(
        head + "   {\"score\": \"high\", \"prompt_id\": \"p2\"}\n  ]\n }\n}\n")
                                    << 6
                                    << QStringLiteral("the \"score\" field holds a string, but a number was expected");
    QTest::newRow("every score a string")
        << QByteArray("{\n \"score\": 0.5,\n \"metadata\": {\n  \"example_level_metadata\": [\n   {\"score\": \"1\", "
                      "\"prompt_id\": \"p1\"},\n   {\"score\": \"0\", \"prompt_id\": \"p2\"}\n  ]\n }\n}\n")
        << 5 << QStringLiteral("example 1: the \"score\" field holds the string \"1\", but a number was expected");
    QTest::newRow("prompt_id a list") << QByteArray(head + "   {\"score\": 1, \"prompt_id\": [1]}\n  ]\n }\n}\n") << 6
                                      << QStringLiteral("\"prompt_id\" is a list, not a string");
    QTest::newRow("no per-example scores") << QByteArray("{\"score\": 0.5, \"metadata\": null}\n") << 0
                                           << QStringLiteral("no metadata.example_level_metadata");
}

void TestHelm::simpleEvalsBrokenFiles()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("mmlu_m_allresults.json"), text);
    const auto r = eval::loadRun(path, {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error->file, path);
    QCOMPARE(r.error->line, static_cast<std::int64_t>(line));
    QVERIFY2(r.error->message.find(message.toStdString()) != std::string::npos, r.error->message.c_str());
}

void TestHelm::mmluTablesShowBothSides()
{
    REQUIRE_SHARED();
    // The MMLU fp16 / q4 tables hold `output` and `gold`: the sample view shows both answers.
    const auto dir = test::sharedPath("mmlu_llama31_8b_fp16_vs_q4");
    const auto r = compare(dir + "/mmlu_fp16.jsonl", dir + "/mmlu_q4_K_M.jsonl");
    QVERIFY2(r.ok(), r.ok() ? "" : r.error->toString().c_str());
    const auto& loaded = *r.value->loaded;
    const auto& pt = loaded.paired->tasks.at(0);
    // The original lines, read independently, for a pair whose outputs differ.
    auto lines = [](const std::string& path) {
        QFile f(QString::fromStdString(path));
        f.open(QIODevice::ReadOnly);
        std::map<std::string, QJsonObject> byId;
        for (const QByteArray& l : f.readAll().split('\n'))
            if (!l.trimmed().isEmpty()) {
                const auto o = QJsonDocument::fromJson(l).object();
                byId.emplace(o[QStringLiteral("example_id")].toVariant().toString().toStdString(), o);
            }
        return byId;
    };
    const auto fp16 = lines(dir + "/mmlu_fp16.jsonl");
    const auto q4 = lines(dir + "/mmlu_q4_K_M.jsonl");
    int checked = 0;
    for (std::size_t i = 0; i < pt.base.size() && checked < 3; ++i) {
        if (pt.base[i] == pt.cand[i])
            continue;
        const auto& bs = loaded.base->tasks[static_cast<std::size_t>(pt.baseTask)].samples[pt.baseIndex[i]];
        const auto& cs = loaded.cand->tasks[static_cast<std::size_t>(pt.candTask)].samples[pt.candIndex[i]];
        const auto b = eval::readSampleDetail(*loaded.base, bs);
        const auto c = eval::readSampleDetail(*loaded.cand, cs);
        QVERIFY(b.ok() && c.ok());
        const auto& bo = fp16.at(bs.docId);
        const auto& co = q4.at(cs.docId);
        QCOMPARE(QString::fromStdString(b.value->response), bo[QStringLiteral("output")].toString());
        QCOMPARE(QString::fromStdString(c.value->response), co[QStringLiteral("output")].toString());
        QCOMPARE(QString::fromStdString(b.value->target), bo[QStringLiteral("gold")].toString());
        QCOMPARE(QString::fromStdString(c.value->target), co[QStringLiteral("gold")].toString());
        QVERIFY(!c.value->response.empty());
        ++checked;
    }
    QCOMPARE(checked, 3);
}

void TestHelm::csvTableColumns()
{
    QTemporaryDir dir;
    const auto path = test::writeFile(dir, QStringLiteral("t.csv"),
        "id,score,question,model_answer,expected\nq1,1,\"What is 2+2?\",4,4\nq2,0,Capital of France?,Lyon,Paris\n");
    eval::LoadOptions o;
    o.format = eval::LoadOptions::Format::Table;
    o.columns.prompt = "question";
    o.columns.response = "model_answer";
    o.columns.target = "expected";
    auto run = eval::loadRun(path, o);
    QVERIFY2(run.ok(), run.ok() ? "" : run.error->toString().c_str());
    const auto d = eval::readSampleDetail(*run.value, run.value->tasks[0].samples[1]);
    QVERIFY(d.ok());
    QCOMPARE(d.value->prompt, std::string("Capital of France?"));
    QCOMPARE(d.value->response, std::string("Lyon"));
    QCOMPARE(d.value->target, std::string("Paris"));
    // A named column the table lacks is an error naming it.
    o.columns.target = "gold";
    auto bad = eval::loadRun(path, o);
    QVERIFY(!bad.ok());
    QVERIFY(bad.error->message.find("no target column \"gold\"") != std::string::npos);
    // The same through the command line options.
    const auto cli = test::cli({ QStringLiteral("compare"), QString::fromStdString(path), QString::fromStdString(path),
        QStringLiteral("--target-column"), QStringLiteral("gold") });
    QCOMPARE(cli.exitCode, 2);
    QVERIFY(cli.err.contains("no target column \"gold\""));
}

void TestHelm::formatsCommand()
{
    const auto r = test::cli({ QStringLiteral("formats") });
    QCOMPARE(r.exitCode, 0);
    for (const char* word : { "lm-eval 0.4.3", "lm-eval 0.4.0", "score tables", "HELM", "simple-evals", "Inspect",
             "safetensors", ".npy", "vLLM", "Megatron", "layer_id,expert_id,count", "--response-column",
             "--input-format inspect", "--split-runs", "token_idx", "Expert placements", "expert_id,device",
             "{\"placement\": [0, [1, 0], 1, 0]}" })
        QVERIFY2(r.out.contains(word), word);
    const auto help = test::cli({ QStringLiteral("--help") });
    QVERIFY(help.out.contains("deltascope-cli formats"));
}

QTEST_GUILESS_MAIN(TestHelm)
#include "tst_helm.moc"
