#include "experts/ExpertRun.h"

#include "common/JobRunner.h"
#include "moe/Placement.h"
#include "moe/SynthTrace.h"
#include "moe/TraceImport.h"
#include "moe/TraceViews.h"

#include <QElapsedTimer>
#include <numeric>

namespace deltascope::ui {

bool ExpertSettings::sameSweep(const ExpertSettings& o) const
{
    return replay == o.replay && batchSize == o.batchSize && gamma == o.gamma && policy == o.policy
        && warmup == o.warmup && devices == o.devices && balanced == o.balanced && requestExperts == o.requestExperts
        && placementFile == o.placementFile && requests == o.requests;
}

Result<std::shared_ptr<const moe::Trace>> openTraceFile(const QString& path, JobControl* control)
{
    using R = Result<std::shared_ptr<const moe::Trace>>;
    if (control)
        control->progress(-1, QStringLiteral("reading the trace"));
    // Mapped formats open at once; record captures (JSONL, Megatron) report how far they got.
    moe::TraceImportOptions options;
    if (control)
        options.progress.callback = [control](double f, std::string_view) {
            return control->progress(f, QStringLiteral("reading the trace"));
        };
    auto t = moe::openTrace(path.toStdString(), 0, options);
    if (!t.ok())
        return R::failure(*t.error);
    R r;
    r.value = std::make_shared<const moe::Trace>(std::move(*t.value));
    r.warnings = std::move(t.warnings);
    return r;
}

std::int64_t requestCount(const moe::Trace& trace)
{
    std::vector<std::int32_t> ids(trace.requestId.begin(), trace.requestId.end());
    std::sort(ids.begin(), ids.end());
    return std::unique(ids.begin(), ids.end()) - ids.begin();
}

bool parseRequestList(const QString& text, std::vector<std::int32_t>& out, QString& why)
{
    out.clear();
    for (const QString& raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString part = raw.trimmed();
        const auto dash = part.indexOf(QLatin1Char('-'), 1);
        bool ok1 = false;
        bool ok2 = false;
        const int lo = (dash < 0 ? part : part.left(dash)).trimmed().toInt(&ok1);
        const int hi = dash < 0 ? lo : part.mid(dash + 1).trimmed().toInt(&ok2);
        if (!ok1 || (dash >= 0 && !ok2) || lo < 0 || hi < lo || hi - lo > 10000000) {
            why = QObject::tr("\"%1\" is not a request id or a range such as 0-9").arg(part);
            return false;
        }
        for (int r = lo; r <= hi; ++r)
            out.push_back(r);
    }
    return true;
}

QString sliceCsv(const ExpertRun& run)
{
    QString out = QStringLiteral("layer,batch,tokens,activated_base,activated,mass_retained,selected\n");
    for (const auto& s : run.current->slices) {
        QStringList ids;
        for (const int e : s.selected)
            ids << QString::number(e);
        out += QStringLiteral("%1,%2,%3,%4,%5,%6,\"%7\"\n")
                   .arg(s.layer)
                   .arg(s.batch)
                   .arg(s.tokens)
                   .arg(s.activatedBase)
                   .arg(s.activated)
                   .arg(s.massRetained, 0, 'g', 10)
                   .arg(ids.join(QLatin1Char(' ')));
    }
    return out;
}

std::shared_ptr<const moe::Trace> demoTrace()
{
    moe::SynthOptions o;
    o.requests = 48;
    o.tokensPerRequest = 96;
    o.layers = 16;
    o.experts = 64;
    o.topK = 8;
    o.seed = 7;
    o.popularity = &moe::builtinOlmoeCounts();
    return std::make_shared<const moe::Trace>(moe::makeSyntheticTrace(o));
}

Result<ExpertRunPtr> computeExperts(const ExpertRunPtr& from, std::shared_ptr<const moe::Trace> trace,
    const QString& path, const ExpertSettings& settings, int budget, JobControl* control,
    const backend::ComputeBackend* compute)
{
    using R = Result<ExpertRunPtr>;
    QElapsedTimer clock;
    clock.start();
    auto run = std::make_shared<ExpertRun>();
    run->path = path;
    run->trace = trace;
    run->settings = settings;
    const int N = static_cast<int>(trace->experts);
    const int k = static_cast<int>(trace->topK);
    run->budget = std::clamp(budget, k, N);
    run->backend = QStringLiteral("CPU");
    // Every run goes through the backend; a CUDA backend keeps the trace on the device, so a
    // budget step is one launch.
    auto xshare = [&](const moe::XShareOptions& o) {
        if (!compute)
            return moe::runXShare(*trace, *run->batches, o);
        auto r = compute->xshare(*trace, *run->batches, o);
        const std::string name = compute->name();
        run->backend = r.warnings.empty() && name.rfind("cuda", 0) == 0
            ? QStringLiteral("GPU, %1").arg(QString::fromStdString(name.substr(name.find('(') + 1)).chopped(1))
            : QStringLiteral("CPU");
        return r;
    };

    moe::BatchingOptions bo;
    bo.replay = settings.replay || !trace->hasSteps();
    bo.batchSize = std::max(1, settings.batchSize);
    bo.gamma = std::max(0, settings.gamma);
    bo.requests = settings.requests;
    if (!settings.requests.empty())
        bo.replay = true;
    const bool reuse = from && from->trace == trace && from->settings.sameSweep(settings);
    if (reuse) {
        // A budget step: the batches, the placement and the sweep still apply.
        run->batches = from->batches;
        run->policy = from->policy;
        run->sweep = from->sweep;
    } else {
        auto b = moe::makeBatches(*trace, bo);
        if (!b.ok())
            return R::failure(*b.error);
        run->batches = std::make_shared<const moe::Batches>(std::move(*b.value));
        moe::PolicyConfig policy;
        policy.policy = settings.policy;
        policy.warmup = settings.warmup;
        policy.devices = std::max(1, settings.devices);
        policy.requestExperts = settings.requestExperts;
        if (!settings.placementFile.isEmpty()) {
            auto p = moe::loadPlacement(settings.placementFile.toStdString(), N, policy.devices);
            if (!p.ok())
                return R::failure(*p.error);
            policy.placement = std::move(p.value->device);
            policy.replicas = std::move(p.value->replicas);
        } else if (settings.balanced) {
            auto p = moe::balancedPlacement(moe::expertLoads(*trace), policy.devices);
            policy.placement = std::move(p.device);
        }
        run->policy = std::make_shared<const moe::PolicyConfig>(std::move(policy));
    }

    moe::XShareOptions xo;
    xo.policy = *run->policy;
    auto progress = [control](double from0, double span, const char* what) {
        Progress p;
        if (control)
            p.callback = [control, from0, span, what](double f, std::string_view) {
                return control->progress(from0 + span * f, QString::fromLatin1(what));
            };
        return p;
    };
    if (!run->sweep) {
        xo.budgets.clear();
        for (int m = k; m <= N; ++m)
            xo.budgets.push_back(m);
        xo.progress = progress(0.0, 0.6, "every budget");
        auto s = xshare(xo);
        if (!s.ok())
            return R::failure(*s.error);
        if (s.value->cancelled)
            return R::failure(Diagnostic::error({}, 0, "cancelled"));
        run->sweep = std::make_shared<const moe::XShareResult>(std::move(*s.value));
    }
    xo.budgets = { run->budget };
    xo.maps = true;
    xo.perSlice = true;
    xo.progress = progress(reuse ? 0.0 : 0.6, reuse ? 1.0 : 0.4, "this budget");
    auto cur = xshare(xo);
    if (!cur.ok())
        return R::failure(*cur.error);
    if (cur.value->cancelled)
        return R::failure(Diagnostic::error({}, 0, "cancelled"));
    run->current = std::make_shared<const moe::XShareResult>(std::move(*cur.value));
    run->seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    R r;
    r.value = run;
    return r;
}

} // namespace deltascope::ui
