#include "TestData.h"
#include "backend/ComputeBackend.h"
#include "deltascope/config.h"

#include <random>

using namespace deltascope;

class TestBackend : public QObject {
    Q_OBJECT
private slots:
    void cpuIsAlwaysThere();
    void autoFallsBackWithOneNote();
    void backendsAgreeWithTheReference();
    void parseKinds();
};

void TestBackend::cpuIsAlwaysThere()
{
    std::string note;
    const auto b = backend::makeBackend(backend::BackendKind::Cpu, note);
    QVERIFY(b);
    QCOMPARE(b->name(), std::string("cpu"));
    QVERIFY(note.empty());
}

void TestBackend::autoFallsBackWithOneNote()
{
    std::string note;
    const auto b = backend::makeBackend(backend::BackendKind::Auto, note);
    QVERIFY(b);
    if (b->name() == "cpu") {
        // No device (or no CUDA in this build): the CPU backend, and a note that says why.
        QVERIFY(!note.empty());
        QVERIFY(note.find("running on the CPU") != std::string::npos);
        if (!DELTASCOPE_HAVE_CUDA)
            QVERIFY(note.find("no CUDA support") != std::string::npos);
    } else {
        QVERIFY(b->name().starts_with("cuda"));
        QVERIFY(note.empty());
    }
}

void TestBackend::backendsAgreeWithTheReference()
{
    // Whatever backend auto picks, it returns the reference p-values bit for bit.
    std::string note;
    const auto b = backend::makeBackend(backend::BackendKind::Auto, note);
    std::mt19937_64 rng(8);
    std::normal_distribution<double> nd(0.05, 1.0);
    std::vector<double> d(3000);
    for (auto& x : d)
        x = nd(rng);
    const std::vector<std::size_t> offsets { 0, 1000, 3000 };
    stats::SignFlipOptions o;
    o.permutations = 2000;
    o.seed = 77;
    const auto ref = stats::signFlipTest(d, offsets, o);
    const auto got = b->signFlip(d, offsets, o);
    QCOMPARE(got.pValue, ref.pValue);
    QVERIFY(got.taskPValue == ref.taskPValue);
    QVERIFY(got.taskPValueLower == ref.taskPValueLower);
}

void TestBackend::parseKinds()
{
    backend::BackendKind k {};
    QVERIFY(backend::parseBackendKind("auto", k) && k == backend::BackendKind::Auto);
    QVERIFY(backend::parseBackendKind("cpu", k) && k == backend::BackendKind::Cpu);
    QVERIFY(backend::parseBackendKind("cuda", k) && k == backend::BackendKind::Cuda);
    QVERIFY(!backend::parseBackendKind("gpu", k));
}

QTEST_GUILESS_MAIN(TestBackend)
#include "tst_backend.moc"
