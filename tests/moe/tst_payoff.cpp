// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestData.h"
#include "analysis/ExpertPayoff.h"
#include "backend/CpuBackend.h"
#include "moe/Payoff.h"
#include "moe/TraceImport.h"
#include "moe/XShareRun.h"

#include <QDirIterator>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <cmath>

using namespace deltascope;

namespace {

QJsonObject payoffVectors()
{
    QFile f(QString::fromStdString(test::dataPath("payoff/vectors.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open the payoff vectors");
    return QJsonDocument::fromJson(f.readAll()).object();
}

// A sparse trace of `layers` layers where token t of one request routes to experts routes[t].
moe::Trace sparseTrace(
    std::int64_t layers, std::int64_t experts, std::int64_t k, const std::vector<std::vector<std::int32_t>>& routes)
{
    const auto T = static_cast<std::int64_t>(routes.size());
    std::vector<std::int32_t> ids;
    std::vector<float> scores;
    for (const auto& r : routes)
        for (std::int64_t l = 0; l < layers; ++l)
            for (std::int64_t i = 0; i < k; ++i) {
                ids.push_back(r[static_cast<std::size_t>(i)]);
                scores.push_back(i == 0 ? 0.7f : 0.3f / static_cast<float>(k - 1));
            }
    return moe::makeOwnedTrace(T, layers, experts, k, true, std::move(scores), std::move(ids),
        std::vector<std::int32_t>(static_cast<std::size_t>(T), 0));
}

moe::PayoffOptions mixtralOnH100()
{
    moe::PayoffOptions o;
    o.model = *moe::findModel("Mixtral-8x7B");
    o.gpu = *moe::findGpu("H100 SXM");
    o.contextTokens = 0;
    return o;
}

} // namespace

class TestPayoff : public QObject {
    Q_OBJECT
private slots:
    void mixtralBytesByHand();
    void mixtralThroughTheSweep();
    void presetsMatchPublishedSizes();
    void loadsAgainstOracle();
    void costAgainstOracle();
    void countsUniformExpectation();
    void mismatchNamesFittingPresets();
    void verdicts_data();
    void verdicts();
    void modelJson();
    void badInput();
    void commandLine();
    void frontierDemo();
    void budgetsOfARequest();
};

void TestPayoff::mixtralBytesByHand()
{
    // Mixtral-8x7B, bf16, one H100 SXM, a batch that activates all 8 experts in each of the 32 MoE
    // layers: 32 layers x 8 experts x 3 matrices x 4096 x 14336 x 2 bytes = 90,194,313,216 bytes.
    const auto o = mixtralOnH100();
    QCOMPARE(o.model.expertBytes(), 3.0 * 4096 * 14336 * 2);
    const auto row = moe::stepCost(o, 8.0, 64.0, 32.0, 32.0);
    QCOMPARE(row.expertBytes, 90194313216.0);
    // Dense weights: attention 32 x (2 x 4096 x 32 x 128 + 2 x 4096 x 8 x 128) = 1,342,177,280, LM head
    // 32000 x 4096 = 131,072,000, routers 32 x 4096 x 8 = 1,048,576: 1,474,297,856 parameters, 2 bytes each.
    QCOMPARE(row.otherBytes, 2948595712.0);
    // 93,142,908,928 bytes at 3,350 GB/s.
    DS_COMPARE_REL(row.memorySeconds, 93142908928.0 / 3.35e12, 1e-12);
    // 2 FLOPs x 32 layers x 64 assignments x 3 x 4096 x 14336 + 2 x 32 tokens x 1,474,297,856, at 989 TFLOPS.
    DS_COMPARE_REL(row.computeSeconds, (2.0 * 32 * 64 * 3 * 4096 * 14336 + 2.0 * 32 * 1474297856.0) / 989e12, 1e-12);
    QCOMPARE(row.stepSeconds, row.memorySeconds);

    // The KV cache: 4 requests x 1000 tokens x 32 layers x (2 x 8 heads x 128) values x 2 bytes.
    auto withKv = o;
    withKv.contextTokens = 1000;
    QCOMPARE(moe::stepCost(withKv, 8.0, 64.0, 4.0, 4.0).otherBytes, 2948595712.0 + 4.0 * 1000 * 32 * 2048 * 2);
    // Two expert-parallel devices: half the requests' KV cache and half the dense tokens each.
    withKv.devices = 2;
    QCOMPARE(moe::stepCost(withKv, 4.0, 32.0, 4.0, 4.0).otherBytes, 2948595712.0 + 2.0 * 1000 * 32 * 2048 * 2);
    QCOMPARE(moe::stepCost(withKv, 4.0, 32.0, 4.0, 4.0).expertBytes, 90194313216.0 / 2);
}

void TestPayoff::mixtralThroughTheSweep()
{
    // Four tokens that between them pick all 8 experts at every layer, in one step (B = 4).
    const auto trace = sparseTrace(32, 8, 2, { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 } });
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = 4;
    moe::Trace t = trace;
    t.requestId = { 0, 1, 2, 3 };
    const auto batches = moe::makeBatches(t, bo);
    QVERIFY(batches.ok());
    QCOMPARE(batches.value->tokens.size(), std::size_t(1));
    moe::XShareOptions xo;
    xo.budgets = { 2, 4, 8 };
    const auto sweep = moe::runXShare(t, *batches.value, xo);
    QVERIFY(sweep.ok());
    const auto loads = moe::stepLoads(t, *batches.value, 1);
    QVERIFY(loads.ok());
    QCOMPARE(loads.value->activatedPerSlice, 8.0);
    QCOMPARE(loads.value->tokensPerStep, 4.0);
    QCOMPARE(loads.value->requestsPerStep, 4.0);
    const auto e = moe::estimatePayoff(*loads.value, &*sweep.value, mixtralOnH100());
    QVERIFY(e.ok());
    QCOMPARE(e.value->baseline.expertBytes, 90194313216.0);
    QCOMPARE(e.value->budgets.size(), std::size_t(3));
    // Budget 2: at most 2 experts per layer: a quarter of the bytes; budget 8 reads what top-k reads.
    QCOMPARE(e.value->budgets[0].expertBytes, 90194313216.0 / 4);
    QCOMPARE(e.value->budgets[2].expertBytes, 90194313216.0);
    QCOMPARE(e.value->budgets[2].saving, 0.0);
    QCOMPARE(e.value->bestBudget, 2);
    // (90.19 - 22.55) GB saved of 93.14 GB: 72.6% of the memory-bound step.
    DS_COMPARE_REL(e.value->bestSaving, (90194313216.0 * 0.75) / 93142908928.0, 1e-12);
    // Its bf16 weights (every routed expert and the dense weights) do not fit in one H100's 80 GB:
    // said first among the notes; two devices, or an H200's 141 GB, hold them.
    const auto o = mixtralOnH100();
    DS_COMPARE_REL(e.value->weightBytesDevice, 90194313216.0 + o.model.denseParams * o.model.dtypeBytes, 1e-12);
    QVERIFY(!e.value->fits);
    QVERIFY2(e.value->notes.front().starts_with("the weights alone take 93.1 GB per device, more than the H100 SXM's "
                                                "80 GB: the model does not fit on 1 device"),
        e.value->notes.front().c_str());
    auto two = o;
    two.devices = 2;
    const auto e2 = moe::estimatePayoff(*loads.value, nullptr, two);
    QVERIFY(e2.ok() && e2.value->fits);
    DS_COMPARE_REL(e2.value->weightBytesDevice, 90194313216.0 / 2 + o.model.denseParams * o.model.dtypeBytes, 1e-12);
    auto h200 = o;
    h200.gpu = *moe::findGpu("H200");
    const auto e3 = moe::estimatePayoff(*loads.value, nullptr, h200);
    QVERIFY(e3.ok() && e3.value->fits);
    QVERIFY(e3.value->notes.front().find("does not fit") == std::string::npos);
    // The smallest budget keeping 95% of the gating mass: the sweep's own numbers decide it.
    int keep = 0;
    for (const auto& b : sweep.value->results)
        if (b.massRetained >= 0.95 && (keep == 0 || b.budget < keep))
            keep = b.budget;
    QCOMPARE(e.value->keepBudget, keep);
    // Each token's two experts are its own, so only the full budget keeps the routing, and it saves
    // nothing: the verdict is little gain, and M = 2 is named as saving more at the cost of mass.
    QCOMPARE(keep, 8);
    QCOMPARE(e.value->verdict, moe::PayoffVerdict::LittleGain);
    const auto& c = e.value->conclusion;
    QVERIFY2(c.find("the smallest budget keeping 95% of the gating mass, M = 8, shortens the step by 0.0% only")
            != std::string::npos,
        c.c_str());
    QVERIFY2(c.find("Lower budgets save more (M = 2: 73% shorter) but keep only") != std::string::npos, c.c_str());

    // With a budget that keeps the routing and saves, that budget is the one named as paying off
    // (not the lower one that saves most).
    auto withMass = *sweep.value;
    for (auto& b : withMass.results)
        if (b.budget == 4)
            b.massRetained = 0.97;
    const auto p = moe::estimatePayoff(*loads.value, &withMass, mixtralOnH100());
    QVERIFY(p.ok());
    QCOMPARE(p.value->keepBudget, 4);
    QCOMPARE(p.value->verdict, moe::PayoffVerdict::Pays);
    QVERIFY2(
        p.value->conclusion.find("Expert sharing should pay off: at budget M = 4 ") == 0, p.value->conclusion.c_str());
    QVERIFY2(p.value->conclusion.find("Lower budgets save more (M = 2: 73% shorter)") != std::string::npos,
        p.value->conclusion.c_str());
}

void TestPayoff::presetsMatchPublishedSizes()
{
    // Total parameters from the presets (routed and shared experts, dense weights, and the
    // embedding table: vocab x hidden from each config) against each model's published total.
    struct Case {
        const char* name;
        double vocab;
        double publishedBillions;
    };
    for (const Case c : { Case { "Mixtral-8x7B", 32000, 46.7 }, Case { "OLMoE-1B-7B", 50304, 6.92 },
             Case { "DeepSeek-MoE-16B", 102400, 16.4 }, Case { "Qwen1.5-MoE-A2.7B", 151936, 14.3 },
             Case { "DeepSeek-V3", 129280, 671 } }) {
        const auto* m = moe::findModel(c.name);
        QVERIFY2(m, c.name);
        QCOMPARE(m->check(), std::string());
        const double h = static_cast<double>(m->hidden);
        const double total = m->moeLayers
                * (m->experts * 3.0 * h * static_cast<double>(m->expertFfn)
                    + m->sharedExperts * 3.0 * h * static_cast<double>(m->sharedFfn))
            + m->denseParams + c.vocab * h;
        QVERIFY2(std::abs(total / 1e9 / c.publishedBillions - 1.0) < 0.01,
            qPrintable(QStringLiteral("%1: %2 B").arg(QString::fromUtf8(c.name)).arg(total / 1e9)));
    }
    QVERIFY(moe::findModel("mixtral 8x7b"));
    QVERIFY(moe::findModel("olmoe_1b_7b"));
    QVERIFY(!moe::findModel("llama"));
    QCOMPARE(moe::findGpu("h200")->bandwidthGBs, 4800.0);
    QCOMPARE(moe::findGpu("rtx4090")->bandwidthGBs, 1008.0);
    QCOMPARE(moe::gpuPresets().size(), std::size_t(6));
}

void TestPayoff::loadsAgainstOracle()
{
    // make_payoff_vectors.py computes the same statistics on the same trace in its own way.
    const auto v = payoffVectors();
    const auto want = v[QStringLiteral("loads")].toObject();
    auto trace = moe::openTrace(test::dataPath("payoff/trace.jsonl"), 0, {});
    QVERIFY(trace.ok());
    QCOMPARE(trace.value->experts, 8);
    QCOMPARE(trace.value->topK, 2);
    moe::BatchingOptions bo;
    bo.replay = true;
    bo.batchSize = v[QStringLiteral("batch_size")].toInt();
    const auto batches = moe::makeBatches(*trace.value, bo);
    QVERIFY(batches.ok());
    const auto got = moe::stepLoads(*trace.value, *batches.value, v[QStringLiteral("devices")].toInt());
    QVERIFY(got.ok());
    const auto& l = *got.value;
    auto num = [&](const char* key) { return want[QString::fromUtf8(key)].toDouble(); };
    QCOMPARE(static_cast<double>(l.steps), num("steps"));
    QCOMPARE(static_cast<double>(l.slices), num("slices"));
    DS_COMPARE_REL(l.tokensPerStep, num("tokens_per_step"), 1e-12);
    DS_COMPARE_REL(l.requestsPerStep, num("requests_per_step"), 1e-12);
    DS_COMPARE_REL(l.activatedPerSlice, num("activated_per_slice"), 1e-12);
    DS_COMPARE_REL(l.assignmentsPerSlice, num("assignments_per_slice"), 1e-12);
    DS_COMPARE_REL(l.activatedDevice, num("activated_device"), 1e-12);
    DS_COMPARE_REL(l.assignmentsDevice, num("assignments_device"), 1e-12);
    DS_COMPARE_REL(l.contiguous.perStep, num("contiguous_per_step"), 1e-12);
    DS_COMPARE_REL(l.balanced.perStep, num("balanced_per_step"), 1e-12);
    DS_COMPARE_REL(l.contiguous.overall, num("contiguous_overall"), 1e-12);
    DS_COMPARE_REL(l.balanced.overall, num("balanced_overall"), 1e-12);
    QCOMPARE(static_cast<double>(l.hot.hotExperts), num("hot_experts"));
    QCOMPARE(static_cast<double>(l.hot.runs), num("runs"));
    DS_COMPARE_REL(l.hot.meanRun, num("mean_run"), 1e-12);
    DS_COMPARE_REL(l.hot.persistence, num("persistence"), 1e-12);
}

void TestPayoff::costAgainstOracle()
{
    const auto v = payoffVectors();
    const auto m = v[QStringLiteral("model")].toObject();
    const auto loads = v[QStringLiteral("loads")].toObject();
    const auto want = v[QStringLiteral("cost")].toObject();
    moe::PayoffOptions o;
    o.model.name = "made-up";
    o.model.layers = m[QStringLiteral("layers")].toInt();
    o.model.moeLayers = m[QStringLiteral("moe_layers")].toInt();
    o.model.hidden = m[QStringLiteral("hidden")].toInt();
    o.model.expertFfn = m[QStringLiteral("expert_ffn")].toInt();
    o.model.experts = 8;
    o.model.topK = 2;
    o.model.sharedExperts = m[QStringLiteral("shared")].toInt();
    o.model.sharedFfn = m[QStringLiteral("shared_ffn")].toInt();
    o.model.denseParams = m[QStringLiteral("dense")].toDouble();
    o.model.kvPerToken = m[QStringLiteral("kv")].toDouble();
    o.model.dtypeBytes = m[QStringLiteral("dtype")].toDouble();
    o.model.kvBytes = m[QStringLiteral("kv_bytes")].toDouble();
    o.gpu = { "made-up", v[QStringLiteral("bandwidth_gb_s")].toDouble(), v[QStringLiteral("tflops")].toDouble() };
    o.devices = v[QStringLiteral("devices")].toInt();
    o.contextTokens = v[QStringLiteral("context")].toInt();
    const auto row = moe::stepCost(o, loads[QStringLiteral("activated_device")].toDouble(),
        loads[QStringLiteral("assignments_device")].toDouble(), loads[QStringLiteral("tokens_per_step")].toDouble(),
        loads[QStringLiteral("requests_per_step")].toDouble());
    DS_COMPARE_REL(row.expertBytes, want[QStringLiteral("expert_bytes")].toDouble(), 1e-12);
    DS_COMPARE_REL(row.otherBytes, want[QStringLiteral("other_bytes")].toDouble(), 1e-12);
    DS_COMPARE_REL(row.memorySeconds, want[QStringLiteral("memory_seconds")].toDouble(), 1e-12);
    DS_COMPARE_REL(row.computeSeconds, want[QStringLiteral("compute_seconds")].toDouble(), 1e-12);
    DS_COMPARE_REL(row.stepSeconds, want[QStringLiteral("step_seconds")].toDouble(), 1e-12);
}

void TestPayoff::countsUniformExpectation()
{
    // Uniform counts: the expected activated experts are N (1 - (1 - k/N)^B) (DESIGN 4.4: N = 256,
    // k = 8, B = 32 gives 163.3).
    moe::ExpertCounts c;
    c.layers = 2;
    c.experts = 256;
    c.counts.assign(512, 1000.0);
    const auto l = moe::countLoads(c, 8, 32, 1);
    DS_COMPARE_REL(l.activatedPerSlice, 256.0 * (1.0 - std::pow(1.0 - 8.0 / 256, 32)), 1e-12);
    QCOMPARE(std::round(l.activatedPerSlice * 10) / 10, 163.3);
    QVERIFY(l.fromCounts);
    QCOMPARE(l.contiguous.overall, 1.0);
    // Loads 300, 300, 100, 100 on 2 devices of 2 experts each: contiguous blocks put both heavy
    // experts together (600 against 200): mean / max = 400 / 600; balanced pairs each heavy expert with
    // a light one (400 and 400): 1.
    moe::ExpertCounts skew;
    skew.layers = 1;
    skew.experts = 4;
    skew.counts = { 300, 300, 100, 100 };
    const auto s = moe::countLoads(skew, 1, 8, 2);
    DS_COMPARE_REL(s.contiguous.overall, 400.0 / 600.0, 1e-12);
    DS_COMPARE_REL(s.balanced.overall, 1.0, 1e-12);
}

void TestPayoff::mismatchNamesFittingPresets()
{
    // A model whose shape the input does not have: the presets that have it are named.
    const auto mixtral = *moe::findModel("Mixtral-8x7B");
    const std::string m = moe::checkModelAgainst(mixtral, 60, 4);
    QVERIFY2(m.find("has 8 routed experts, but the input has 60") != std::string::npos, m.c_str());
    QVERIFY2(m.find("(the built-in model Qwen1.5-MoE-A2.7B has that shape)") != std::string::npos, m.c_str());
    QVERIFY(moe::checkModelAgainst(mixtral, 8, 2).empty());
    // No preset of that shape: nothing is named.
    QVERIFY(moe::checkModelAgainst(mixtral, 7, 3).find("built-in") == std::string::npos);
}

void TestPayoff::verdicts_data()
{
    QTest::addColumn<double>("tokensPerStep");
    QTest::addColumn<double>("activated");
    QTest::addColumn<int>("context");
    QTest::addColumn<std::vector<int>>("budgets");
    QTest::addColumn<int>("verdict");
    // Mixtral, one H100. A few tokens reading 6 of 8 experts, budget 2: the step is mostly expert weights.
    QTest::newRow("pays") << 4.0 << 6.0 << 0 << std::vector<int> { 2, 4 } << int(moe::PayoffVerdict::Pays);
    // 8192 tokens per step: 4096 token-expert assignments per expert, far past the H100's ridge (295 FLOP/byte).
    QTest::newRow("compute-bound") << 8192.0 << 8.0 << 0 << std::vector<int> { 2 }
                                   << int(moe::PayoffVerdict::ComputeBound);
    // 256 requests with 32k tokens of context each: 1.1 TB of KV cache against 90 GB of experts.
    QTest::newRow("KV cache dominates") << 256.0 << 8.0 << 32768 << std::vector<int> { 2 }
                                        << int(moe::PayoffVerdict::SmallShare);
    // Every budget considered still reads at least 7.5 of 8 experts.
    QTest::newRow("saturated") << 64.0 << 8.0 << 0 << std::vector<int> { 8 } << int(moe::PayoffVerdict::Saturated);
    // Budget 5 against 5.1 activated: under 5% saved.
    QTest::newRow("little gain") << 4.0 << 5.1 << 0 << std::vector<int> { 5 } << int(moe::PayoffVerdict::LittleGain);
}

void TestPayoff::verdicts()
{
    QFETCH(double, tokensPerStep);
    QFETCH(double, activated);
    QFETCH(int, context);
    QFETCH(std::vector<int>, budgets);
    QFETCH(int, verdict);
    moe::StepLoads l;
    l.steps = l.slices = 10;
    l.experts = 8;
    l.topK = 2;
    l.layers = 32;
    l.tokensPerStep = l.requestsPerStep = tokensPerStep;
    l.activatedPerSlice = l.activatedDevice = activated;
    l.assignmentsPerSlice = l.assignmentsDevice = 2 * tokensPerStep;
    auto o = mixtralOnH100();
    o.contextTokens = context;
    o.budgets = budgets;
    const auto e = moe::estimatePayoff(l, nullptr, o);
    QVERIFY(e.ok());
    QCOMPARE(int(e.value->verdict), verdict);
    QVERIFY(!e.value->conclusion.empty());
    const bool noGain
        = verdict == int(moe::PayoffVerdict::ComputeBound) || verdict == int(moe::PayoffVerdict::SmallShare);
    QCOMPARE(e.value->conclusion.find("Not bandwidth-bound: expect no gain") == 0, noGain);
}

void TestPayoff::modelJson()
{
    QTemporaryDir dir;
    // Mixtral's published config, the fields the reader uses.
    const auto hf = test::writeFile(dir, QStringLiteral("config.json"),
        R"({"architectures": ["MixtralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
            "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
            "num_local_experts": 8, "num_experts_per_tok": 2, "vocab_size": 32000, "torch_dtype": "bfloat16"})");
    const auto m = moe::loadModelJson(hf);
    QVERIFY(m.ok());
    const auto* preset = moe::findModel("Mixtral-8x7B");
    QCOMPARE(m.value->layers, preset->layers);
    QCOMPARE(m.value->moeLayers, preset->moeLayers);
    QCOMPARE(m.value->expertFfn, preset->expertFfn);
    QCOMPARE(m.value->experts, preset->experts);
    QCOMPARE(m.value->topK, preset->topK);
    QCOMPARE(m.value->denseParams, preset->denseParams);
    QCOMPARE(m.value->kvPerToken, preset->kvPerToken);
    QCOMPARE(m.value->dtypeBytes, 2.0);
    QCOMPARE(m.warnings.size(), std::size_t(1)); // the dense weights were estimated, and it says so

    // Our own keys over a preset: Mixtral in fp8 on 4 bits of KV... here 1 byte per weight.
    const auto own = test::writeFile(
        dir, QStringLiteral("own.json"), R"({"base": "mixtral-8x7b", "name": "Mixtral fp8", "dtype_bytes": 1})");
    const auto o = moe::loadModelJson(own);
    QVERIFY(o.ok());
    QCOMPARE(o.value->name, std::string("Mixtral fp8"));
    QCOMPARE(o.value->dtypeBytes, 1.0);
    QCOMPARE(o.value->expertBytes(), 3.0 * 4096 * 14336);
    QCOMPARE(o.value->denseParams, preset->denseParams);
    QVERIFY(o.warnings.empty());

    // DeepSeek-style: the first dense blocks are not MoE layers; shared experts take the expert size.
    const auto ds = test::writeFile(dir, QStringLiteral("ds.json"),
        R"({"num_hidden_layers": 28, "first_k_dense_replace": 1, "hidden_size": 2048, "intermediate_size": 10944,
            "moe_intermediate_size": 1408, "n_routed_experts": 64, "num_experts_per_tok": 6, "n_shared_experts": 2,
            "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": 102400})");
    const auto d = moe::loadModelJson(ds);
    QVERIFY(d.ok());
    const auto* dsPreset = moe::findModel("DeepSeek-MoE-16B");
    QCOMPARE(d.value->moeLayers, 27);
    QCOMPARE(d.value->expertFfn, std::int64_t(1408));
    QCOMPARE(d.value->sharedExperts, 2);
    QCOMPARE(d.value->sharedFfn, std::int64_t(1408));
    QCOMPARE(d.value->denseParams, dsPreset->denseParams);

    // DeepSeek-V3's config: latent attention, fp8 weights, three dense blocks.
    const auto v3 = test::writeFile(dir, QStringLiteral("v3.json"),
        R"({"architectures": ["DeepseekV3ForCausalLM"], "num_hidden_layers": 61, "first_k_dense_replace": 3,
            "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048, "n_routed_experts": 256,
            "n_shared_experts": 1, "num_experts_per_tok": 8, "num_attention_heads": 128, "num_key_value_heads": 128,
            "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
            "v_head_dim": 128, "vocab_size": 129280, "torch_dtype": "bfloat16",
            "quantization_config": {"quant_method": "fp8", "fmt": "e4m3"}})");
    const auto v = moe::loadModelJson(v3);
    QVERIFY(v.ok());
    const auto* v3Preset = moe::findModel("DeepSeek-V3");
    QCOMPARE(v.value->moeLayers, 58);
    QCOMPARE(v.value->dtypeBytes, 1.0);
    QCOMPARE(v.value->kvPerToken, 576.0);
    QCOMPARE(v.value->sharedFfn, std::int64_t(2048));
    QCOMPARE(v.value->denseParams, v3Preset->denseParams);

    // Every preset survives a round trip through our own keys.
    for (const auto& p : moe::modelPresets()) {
        const auto back = moe::parseModelJson(moe::modelJsonText(p), "round trip");
        QVERIFY(back.ok());
        QCOMPARE(moe::modelJsonText(*back.value), moe::modelJsonText(p));
        QCOMPARE(back.value->denseParams, p.denseParams);
        QCOMPARE(back.value->dtypeBytes, p.dtypeBytes);
    }
}

void TestPayoff::badInput()
{
    QTemporaryDir dir;
    auto expectError = [&](const QByteArray& content, const char* needle) {
        const auto path = test::writeFile(dir, QStringLiteral("m.json"), content);
        const auto m = moe::loadModelJson(path);
        QVERIFY2(!m.ok(), content.constData());
        QCOMPARE(m.error->file, path);
        QVERIFY2(m.error->message.find(needle) != std::string::npos, m.error->message.c_str());
    };
    expectError("[1, 2]", "JSON object");
    expectError("{\"base\": \"nope\"}", "base");
    expectError("{\"base\": \"OLMoE-1B-7B\", \"hidden_size\": \"big\"}", "hidden_size");
    expectError("{\"base\": \"OLMoE-1B-7B\", \"top_k\": 100}", "top-k");
    expectError("{\"base\": \"OLMoE-1B-7B\", \"dtype_bytes\": 0}", "bytes per weight");
    expectError("{\"layers\": 4", "JSON");
    expectError("{\"base\": \"OLMoE-1B-7B\", \"layers\": 1e300}", "\"layers\" is out of range");
    expectError(
        "{\"base\": \"OLMoE-1B-7B\", \"layers\": 2147483647, \"first_k_dense_replace\": -2147483648}", "out of range");
    // A quantization method that is no string is not fp8 (it was an uncaught exception).
    const auto odd = moe::parseModelJson(
        R"({"base": "OLMoE-1B-7B", "quantization_config": {"quant_method": 5, "bits": 4}})", "q.json");
    QVERIFY2(odd.ok(), odd.ok() ? "" : odd.error->toString().c_str());
    QCOMPARE(odd.value->dtypeBytes, 0.5);
    QVERIFY(!moe::loadModelJson(dir.filePath(QStringLiteral("missing.json")).toStdString()).ok());

    // A model that does not fit the input, a GPU without bandwidth, too many devices.
    moe::StepLoads l;
    l.steps = l.slices = 1;
    l.experts = 64;
    l.topK = 8;
    l.layers = 1;
    l.tokensPerStep = l.requestsPerStep = 1;
    l.activatedPerSlice = l.activatedDevice = 8;
    auto o = mixtralOnH100();
    auto e = moe::estimatePayoff(l, nullptr, o);
    QVERIFY(!e.ok());
    QVERIFY(e.error->message.find("64") != std::string::npos);
    l.experts = 8;
    l.topK = 2;
    o.gpu.bandwidthGBs = 0;
    QVERIFY(!moe::estimatePayoff(l, nullptr, o).ok());
    o = mixtralOnH100();
    o.devices = 9;
    QVERIFY(!moe::estimatePayoff(l, nullptr, o).ok());
    o.devices = 1;
    o.budgets = { 1 };
    QVERIFY(!moe::estimatePayoff(l, nullptr, o).ok()); // below k
    l.slices = 0;
    o.budgets.clear();
    QVERIFY(!moe::estimatePayoff(l, nullptr, o).ok());
}

void TestPayoff::commandLine()
{
    // The command line and the analysis layer give the same estimate.
    const QString trace = QString::fromStdString(test::dataPath("payoff/trace.jsonl"));
    QTemporaryDir dir;
    const auto model = test::writeFile(dir, QStringLiteral("m.json"),
        R"({"name": "tiny", "layers": 6, "moe_layers": 5, "hidden_size": 64, "expert_ffn": 96, "experts": 8,
            "top_k": 2, "dense_params": 10000, "kv_per_token": 16, "dtype_bytes": 1})");
    QProcess p;
    p.start(QStringLiteral(DELTASCOPE_CLI),
        { QStringLiteral("payoff"), QStringLiteral("--trace"), trace, QStringLiteral("--model-json"),
            QString::fromStdString(model), QStringLiteral("--bandwidth"), QStringLiteral("1"),
            QStringLiteral("--batch-size"), QStringLiteral("4"), QStringLiteral("--budgets"), QStringLiteral("2,4,8"),
            QStringLiteral("--devices"), QStringLiteral("2"), QStringLiteral("--backend"), QStringLiteral("cpu"),
            QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const auto j = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(j[QStringLiteral("budgets")].toArray().size(), 3);

    analysis::PayoffRequest r;
    r.scenario.tracePath = trace.toStdString();
    r.scenario.batchSize = 4;
    r.scenario.budgets = { 2, 4, 8 };
    r.options.model = *moe::loadModelJson(model).value;
    r.options.gpu = { "", 1.0, 0.0 };
    r.options.devices = 2;
    const backend::CpuBackend cpu;
    const auto run = analysis::runPayoff(r, cpu);
    QVERIFY(run.ok());
    const auto& e = run.value->estimate;
    const auto base = j[QStringLiteral("baseline")].toObject();
    DS_COMPARE_REL(base[QStringLiteral("expert_bytes")].toDouble(), e.baseline.expertBytes, 1e-12);
    DS_COMPARE_REL(base[QStringLiteral("step_seconds")].toDouble(), e.baseline.stepSeconds, 1e-12);
    for (int i = 0; i < 3; ++i)
        DS_COMPARE_REL(j[QStringLiteral("budgets")].toArray()[i].toObject()[QStringLiteral("expert_bytes")].toDouble(),
            e.budgets[static_cast<std::size_t>(i)].expertBytes, 1e-12);
    QCOMPARE(j[QStringLiteral("verdict")].toString().toStdString(), std::string(moe::toString(e.verdict)));
    // The baseline's busiest device from the sweep equals the load pass's (contiguous blocks).
    DS_COMPARE_REL(e.baseline.activatedDevice, e.loads.activatedDevice, 1e-12);

    // The text names the mean batch in words: whole means without decimals, "1 request" singular.
    auto inputLine = [&](const char* batchSize) {
        QProcess text;
        text.start(QStringLiteral(DELTASCOPE_CLI),
            { QStringLiteral("payoff"), QStringLiteral("--trace"), trace, QStringLiteral("--model-json"),
                QString::fromStdString(model), QStringLiteral("--bandwidth"), QStringLiteral("1"),
                QStringLiteral("--batch-size"), QString::fromLatin1(batchSize), QStringLiteral("--backend"),
                QStringLiteral("cpu") });
        return text.waitForFinished(60000) && text.exitCode() == 0 ? QString::fromUtf8(text.readAllStandardOutput())
                                                                   : QString();
    };
    const QString four = inputLine("4");
    const auto mean
        = QRegularExpression(QStringLiteral(R"(([0-9.]+) tokens from ([0-9.]+) requests per step)")).match(four);
    QVERIFY2(mean.hasMatch(), qPrintable(four));
    QCOMPARE(mean.captured(2), QString::number(e.loads.requestsPerStep, 'f', 1)); // 3.6 here
    const QString one = inputLine("1");
    QVERIFY2(
        one.contains(QStringLiteral(" steps, 1 token from 1 request per step, 3 MoE layers traced")), qPrintable(one));

    // Errors name the setting's flag and exit 2.
    QProcess bad;
    bad.start(QStringLiteral(DELTASCOPE_CLI),
        { QStringLiteral("payoff"), QStringLiteral("--trace"), trace, QStringLiteral("--model"),
            QStringLiteral("OLMoE-1B-7B") });
    QVERIFY(bad.waitForFinished(60000));
    QCOMPARE(bad.exitCode(), 2);
    QVERIFY(bad.readAllStandardError().contains("64 routed experts"));
    QProcess list;
    list.start(QStringLiteral(DELTASCOPE_CLI), { QStringLiteral("payoff"), QStringLiteral("--list-models") });
    QVERIFY(list.waitForFinished(60000));
    QCOMPARE(list.exitCode(), 0);
    QVERIFY(list.readAllStandardOutput().contains("DeepSeek-V3"));
}

void TestPayoff::frontierDemo()
{
    const QString demo = QDir::cleanPath(QStringLiteral(DELTASCOPE_TEST_DATA "/../../resources/demo"));
    const QString frontier = demo + QStringLiteral("/frontier");
    // Each candidate's results carry its budget in config.budget.
    for (const int m : { 8, 6, 4, 3, 2 }) {
        const QDir dir(frontier + QStringLiteral("/budget_%1").arg(m));
        const auto models = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(models.size(), 1);
        const auto results = QDir(dir.filePath(models.front())).entryList({ QStringLiteral("results_*.json") });
        QCOMPARE(results.size(), 1);
        QFile f(dir.filePath(models.front() + QLatin1Char('/') + results.front()));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto config = QJsonDocument::fromJson(f.readAll()).object()[QStringLiteral("config")].toObject();
        QCOMPARE(config[QStringLiteral("budget")].toInt(), m);
        QCOMPARE(config[QStringLiteral("batch_size")].toInt(), 16);
    }
    // The flips grow as the budget shrinks: with a 2-point margin, 8 and 6 are no worse, 4 is
    // inconclusive, 3 and 2 are degraded (the table in resources/demo/README.md).
    const std::vector<std::pair<int, int>> expected { { 8, 0 }, { 6, 0 }, { 4, 3 }, { 3, 1 }, { 2, 1 } };
    for (const auto& [m, code] : expected) {
        QProcess p;
        p.start(QStringLiteral(DELTASCOPE_CLI),
            { QStringLiteral("compare"), frontier + QStringLiteral("/baseline"),
                frontier + QStringLiteral("/budget_%1").arg(m), QStringLiteral("--margin"), QStringLiteral("2"),
                QStringLiteral("--quiet") });
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == code, qPrintable(QStringLiteral("budget %1: exit %2").arg(m).arg(p.exitCode())));
    }
    // The trace: 8 experts, top-2, recorded steps of at most 16 requests; expert sharing pays.
    auto trace = moe::openTrace(QString(frontier + QStringLiteral("/trace.safetensors")).toStdString(), 0, {});
    QVERIFY(trace.ok());
    QCOMPARE(trace.value->experts, 8);
    QCOMPARE(trace.value->topK, 2);
    QVERIFY(trace.value->hasSteps());
    analysis::PayoffRequest r;
    r.scenario.trace = std::make_shared<const moe::Trace>(std::move(*trace.value));
    r.options.model = *moe::findModel("Mixtral-8x7B");
    r.options.gpu = *moe::findGpu("H100 SXM");
    const backend::CpuBackend cpu;
    const auto run = analysis::runPayoff(r, cpu);
    QVERIFY(run.ok());
    QCOMPARE(run.value->sweep->prepared.batches->mode, std::string("recorded"));
    QVERIFY(run.value->estimate.loads.requestsPerStep <= 16.0);
    QCOMPARE(run.value->estimate.verdict, moe::PayoffVerdict::Pays);

    // The committed files are what the generator writes.
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (python.isEmpty())
        QSKIP("python3 is not installed: the demo cannot be regenerated");
    QTemporaryDir out;
    QProcess gen;
    gen.start(python, { demo + QStringLiteral("/make_frontier_demo.py"), out.path() });
    QVERIFY(gen.waitForFinished(120000));
    QCOMPARE(gen.exitCode(), 0);
    QDirIterator it(frontier, QDir::Files, QDirIterator::Subdirectories);
    int files = 0;
    while (it.hasNext()) {
        const QString path = it.next();
        QFile a(path), b(out.path() + path.mid(frontier.size()));
        QVERIFY2(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly), qPrintable(path));
        QVERIFY2(a.readAll() == b.readAll(), qPrintable(path + QStringLiteral(" differs from the generator's")));
        ++files;
    }
    QCOMPARE(files, 19);
}

void TestPayoff::budgetsOfARequest()
{
    QCOMPARE(analysis::defaultPayoffBudgets(8, 256), (std::vector<int> { 8, 16, 32, 64, 128, 256 }));
    QCOMPARE(analysis::defaultPayoffBudgets(2, 8), (std::vector<int> { 2, 3, 4, 5, 6, 7, 8 }));
    QCOMPARE(analysis::defaultPayoffBudgets(6, 64), (std::vector<int> { 6, 12, 24, 48, 64 }));
    // Counts of a 32-expert top-2 layer: the default budgets, every budget, or the named ones.
    QTemporaryDir dir;
    QByteArray csv = "layer_id,expert_id,count\n";
    for (int e = 0; e < 32; ++e)
        csv += "0," + QByteArray::number(e) + "," + QByteArray::number(100 + e) + "\n";
    analysis::PayoffRequest r;
    r.countsPath = test::writeFile(dir, QStringLiteral("counts.csv"), csv);
    r.options.model = *moe::findModel("Mixtral-8x7B");
    r.options.model.experts = 32;
    r.options.gpu = *moe::findGpu("H200");
    const backend::CpuBackend cpu;
    auto budgetsOf = [&](const analysis::PayoffRequest& req) {
        const auto run = analysis::runPayoff(req, cpu);
        std::vector<int> out;
        if (run.ok())
            for (const auto& row : run.value->estimate.budgets)
                out.push_back(row.budget);
        return out;
    };
    QCOMPARE(budgetsOf(r), (std::vector<int> { 2, 4, 8, 16, 32 }));
    r.everyBudget = true;
    QCOMPARE(budgetsOf(r).size(), std::size_t(31));
    r.scenario.budgets = { 3, 5 };
    QCOMPARE(budgetsOf(r), (std::vector<int> { 3, 5 }));
    // With counts, a budget reads at most M experts per slice, and never more than top-k does.
    const auto run = analysis::runPayoff(r, cpu);
    QVERIFY(run.ok());
    QCOMPARE(run.value->estimate.budgets[0].activated, 3.0);
    QVERIFY(run.value->estimate.baseline.activated > 5.0);
    QVERIFY(std::isnan(run.value->estimate.budgets[0].massRetained));
}

QTEST_GUILESS_MAIN(TestPayoff)
#include "tst_payoff.moc"
