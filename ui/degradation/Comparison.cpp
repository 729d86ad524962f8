#include "degradation/Comparison.h"

#include "backend/ComputeBackend.h"
#include "common/JobRunner.h"

#include <QElapsedTimer>

namespace deltascope::ui {

namespace {

Progress progressOf(JobControl* control, double from, double span, const QString& what)
{
    Progress p;
    if (control)
        p.callback = [control, from, span, what](double f, std::string_view stage) {
            const QString label
                = what + QStringLiteral(": ") + QString::fromUtf8(stage.data(), qsizetype(stage.size()));
            return control->progress(f < 0 ? -1.0 : from + span * f, label);
        };
    return p;
}

report::CompareSettings compareSettings(const StatsSettings& stats, JobControl* control)
{
    report::CompareSettings s;
    s.alpha = stats.alpha;
    s.permutations = stats.permutations;
    s.seed = stats.seed;
    s.permutationRequested = stats.runPermutation;
    s.progress = progressOf(control, 0.0, 1.0, QStringLiteral("permutation test"));
    return s;
}

report::ComparisonReport testPairs(const Comparison& c, const StatsSettings& stats, JobControl* control)
{
    auto settings = compareSettings(stats, control);
    std::string note;
    const auto compute = backend::makeBackend(backend::BackendKind::Auto, note);
    settings.backend = compute.get();
    report::ComparisonReport rep;
    try {
        rep = report::buildReport(*c.base, *c.cand, *c.paired, settings);
    } catch (const std::exception&) {
        settings.backend = nullptr; // a device error: the CPU gives the same answer
        rep = report::buildReport(*c.base, *c.cand, *c.paired, settings);
    }
    rep.warnings.insert(rep.warnings.begin(), c.loadNotes.begin(), c.loadNotes.end());
    return rep;
}

} // namespace

std::size_t Comparison::pairCount() const
{
    std::size_t n = 0;
    if (paired)
        for (const auto& t : paired->tasks)
            n += t.base.size();
    return n;
}

Result<ComparisonPtr> loadComparison(
    const SideSpec& baseSpec, const SideSpec& candSpec, const StatsSettings& stats, JobControl* control)
{
    using R = Result<ComparisonPtr>;
    QElapsedTimer clock;
    clock.start();
    auto loadSide = [&](const SideSpec& spec, double from, const QString& what) {
        auto options = spec.options;
        options.progress = progressOf(control, from, 0.45, what);
        return eval::loadRun(spec.path.toStdString(), options);
    };
    auto base = loadSide(baseSpec, 0.0, QStringLiteral("baseline"));
    if (!base.ok())
        return R::failure(*base.error);
    if (control && control->cancelled())
        return R::failure(Diagnostic::error({}, 0, "cancelled"));
    auto cand = loadSide(candSpec, 0.45, QStringLiteral("candidate"));
    if (!cand.ok())
        return R::failure(*cand.error);
    if (control && control->cancelled())
        return R::failure(Diagnostic::error({}, 0, "cancelled"));
    std::vector<Diagnostic> notes = base.warnings;
    notes.insert(notes.end(), cand.warnings.begin(), cand.warnings.end());
    if (auto note = eval::alignFileNamedTasks(*base.value, *cand.value))
        notes.push_back(*note);

    auto c = std::make_shared<Comparison>();
    c->baseSpec = baseSpec;
    c->candSpec = candSpec;
    c->loadSeconds = static_cast<double>(clock.elapsed()) / 1000.0;
    if (control)
        control->progress(0.9, QStringLiteral("pairing samples"));
    c->base = std::make_shared<const eval::EvalRun>(std::move(*base.value));
    c->cand = std::make_shared<const eval::EvalRun>(std::move(*cand.value));
    c->paired = std::make_shared<const eval::PairedRuns>(eval::pairRuns(*c->base, *c->cand));
    if (c->pairCount() == 0) {
        std::string why = "no sample of " + baseSpec.path.toStdString() + " could be paired with one of "
            + candSpec.path.toStdString();
        for (const auto& w : c->paired->warnings)
            why += "\n" + w.toString();
        return R::failure(Diagnostic::error({}, 0, why));
    }
    c->flips = std::make_shared<const std::vector<report::Disagreement>>(report::listDisagreements(*c->paired));
    c->pairSeconds = static_cast<double>(clock.elapsed()) / 1000.0 - c->loadSeconds;
    if (control)
        control->progress(0.95, QStringLiteral("testing"));
    c->loadNotes = std::move(notes);
    c->report = testPairs(*c, stats, control);
    R r;
    r.value = c;
    return r;
}

ComparisonPtr retest(const ComparisonPtr& from, const StatsSettings& stats, JobControl* control)
{
    auto c = std::make_shared<Comparison>(*from);
    c->report = testPairs(*c, stats, control);
    return c;
}

} // namespace deltascope::ui
