// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendFactory.h"
#include "FallbackBackend.h"
#include "TestData.h"
#include "backend/CpuBackend.h"
#include "deltascope/config.h"
#include "moe/SynthTrace.h"

#include <random>

using namespace deltascope;

namespace {

// A device that fails every call, as a GPU does when its driver goes away mid-run.
class BrokenDevice final : public backend::ComputeBackend {
public:
    std::string name() const override { return "cuda (test device)"; }
    backend::RanOn ranOn() const override { return { backend::Device::Cuda, "test device" }; }
    backend::Computed<stats::FlippedSums> signFlipSums(
        std::span<const std::int64_t>, std::span<const std::size_t>, const stats::SignFlipBatch&) const override
    {
        return backend::computedOn(
            Result<stats::FlippedSums>::failure(Diagnostic::error({}, 0, "device lost")), ranOn());
    }
    backend::Computed<moe::XShareResult> xshare(
        const moe::Trace&, const moe::Batches&, const moe::XShareOptions&) const override
    {
        return backend::computedOn(
            Result<moe::XShareResult>::failure(Diagnostic::error({}, 0, "device lost")), ranOn());
    }
};

std::vector<double> someDifferences()
{
    std::mt19937_64 rng(8);
    std::normal_distribution<double> nd(0.05, 1.0);
    std::vector<double> d(3000);
    for (auto& x : d)
        x = nd(rng);
    return d;
}

} // namespace

class TestBackend : public QObject {
    Q_OBJECT
private slots:
    void cpuIsAlwaysThere();
    void autoFallsBackWithOneNote();
    void backendsAgreeWithTheReference();
    void deviceFailureRunsOnTheCpu();
    void cpuErrorsAreValues();
    void parseKinds();
    void noGpuNoteIsPlain_data();
    void noGpuNoteIsPlain();
};

void TestBackend::cpuIsAlwaysThere()
{
    std::string note;
    const auto b = backends::makeBackend(backends::BackendKind::Cpu, note);
    QVERIFY(b);
    QCOMPARE(b->name(), std::string("cpu"));
    QVERIFY(b->ranOn() == backend::RanOn {});
    QCOMPARE(b->ranOn().label(), std::string("CPU"));
    QVERIFY(note.empty());
}

void TestBackend::autoFallsBackWithOneNote()
{
    std::string note;
    const auto b = backends::makeBackend(backends::BackendKind::Auto, note);
    QVERIFY(b);
    if (!b->ranOn().gpu()) {
        // No device (or no CUDA in this build): the CPU backend, and a note that says why.
        QVERIFY(!note.empty());
        QVERIFY(note.starts_with("no usable NVIDIA GPU ("));
        QVERIFY(note.ends_with("): running on the CPU"));
        QVERIFY(note.find("CUDA driver version is insufficient") == std::string::npos);
        if (!DELTASCOPE_HAVE_CUDA)
            QVERIFY(note.find("no CUDA support") != std::string::npos);
    } else {
        QVERIFY(b->name().starts_with("cuda"));
        QVERIFY(b->ranOn().label().starts_with("GPU, "));
        QVERIFY(note.empty());
    }
}

void TestBackend::backendsAgreeWithTheReference()
{
    // Whatever backend auto picks, it returns the reference p-values bit for bit.
    std::string note;
    const auto b = backends::makeBackend(backends::BackendKind::Auto, note);
    const auto d = someDifferences();
    const std::vector<std::size_t> offsets { 0, 1000, 3000 };
    stats::SignFlipOptions o;
    o.permutations = 2000;
    o.seed = 77;
    const auto ref = stats::signFlipTest(d, offsets, o);
    const auto run = b->signFlip(d, offsets, o);
    QVERIFY(run.ok());
    QVERIFY(run.ranOn == b->ranOn());
    const auto& got = *run.value;
    QCOMPARE(got.pValue, ref.pValue);
    QVERIFY(got.taskPValue == ref.taskPValue);
    QVERIFY(got.taskPValueLower == ref.taskPValueLower);
}

void TestBackend::deviceFailureRunsOnTheCpu()
{
    const backends::FallbackBackend b(std::make_unique<BrokenDevice>());
    QVERIFY(b.ranOn().gpu());
    const auto d = someDifferences();
    stats::SignFlipOptions o;
    o.permutations = 500;
    const auto sf = b.signFlip(d, {}, o);
    QVERIFY(sf.ok());
    QVERIFY(!sf.ranOn.gpu()); // the result says where it really ran
    QCOMPARE(sf.value->pValue, stats::signFlipTest(d, {}, o).pValue);
    QCOMPARE(sf.warnings.size(), std::size_t(1));
    QVERIFY(sf.warnings.front().message.find("device lost") != std::string::npos);

    moe::SynthOptions so;
    so.requests = 4;
    so.tokensPerRequest = 8;
    so.layers = 2;
    so.experts = 8;
    so.topK = 2;
    so.popularity = &moe::builtinOlmoeCounts();
    const auto trace = moe::makeSyntheticTrace(so);
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 4;
    const auto batches = moe::makeBatches(trace, bo);
    QVERIFY(batches.ok());
    moe::XShareOptions xo;
    xo.budgets = { 3 };
    const auto xs = b.xshare(trace, *batches.value, xo);
    QVERIFY(xs.ok());
    QVERIFY(!xs.ranOn.gpu());
    const auto ref = moe::runXShare(trace, *batches.value, xo);
    QCOMPARE(xs.value->results.front().activated, ref.value->results.front().activated);
    QVERIFY(xs.warnings.front().message.find("ran on the CPU") != std::string::npos);
}

void TestBackend::cpuErrorsAreValues()
{
    // A bad task offset list is an error result, not an exception out of the backend.
    const backend::CpuBackend cpu;
    const std::vector<double> d { 1.0, -1.0, 0.5 };
    const std::vector<std::size_t> offsets { 0, 7 };
    const auto r = cpu.signFlip(d, offsets, {});
    QVERIFY(!r.ok());
    QVERIFY(r.error->message.find("task ranges") != std::string::npos);
    const std::vector<std::size_t> good { 0, 1, 3 };
    QVERIFY(cpu.signFlip(d, good, {}).ok());
}

void TestBackend::parseKinds()
{
    backends::BackendKind k {};
    QVERIFY(backends::parseBackendKind("auto", k) && k == backends::BackendKind::Auto);
    QVERIFY(backends::parseBackendKind("cpu", k) && k == backends::BackendKind::Cpu);
    QVERIFY(backends::parseBackendKind("cuda", k) && k == backends::BackendKind::Cuda);
    QVERIFY(!backends::parseBackendKind("gpu", k));
}

// What the CUDA runtime answers on a machine without a usable GPU, said in plain words.
void TestBackend::noGpuNoteIsPlain_data()
{
    QTest::addColumn<QString>("runtimeAnswer");
    QTest::addColumn<QString>("note");
    const auto row = [](const char* name, const char* answer, const char* reason) {
        QTest::newRow(name) << QString::fromLatin1(
            answer) << QStringLiteral("no usable NVIDIA GPU (%1): running on the CPU").arg(QString::fromLatin1(reason));
    };
    row("old-or-missing-driver", "CUDA driver version is insufficient for CUDA runtime version",
        "NVIDIA driver missing or older than this build's CUDA");
    row("no-device", "no CUDA-capable device is detected", "no device found");
    row("device-list-empty", "no CUDA device", "no device found");
    row("stub-driver", "CUDA driver is a stub library", "only the driver's stub library is installed");
    row("busy", "all CUDA-capable devices are busy or unavailable", "every device busy or unavailable");
    row("init-failed", "initialization error", "the driver failed to start");
    row("unknown-answer", "unknown error", "unknown error");
    row("no-answer", "", "no reason given");
    row("long-answer",
        "an unforeseen answer that goes on and on, far longer than anyone wants to read in one line of a note",
        "an unforeseen answer that goes on and on, far longer than anyone wants to read i...");
}

void TestBackend::noGpuNoteIsPlain()
{
    QFETCH(QString, runtimeAnswer);
    QFETCH(QString, note);
    QCOMPARE(QString::fromStdString(backends::noGpuNote(runtimeAnswer.toStdString())), note);
}

QTEST_GUILESS_MAIN(TestBackend)
#include "tst_backend.moc"
