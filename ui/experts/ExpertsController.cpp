// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertsController.h"

#include "analysis/ExpertSharing.h"
#include "backend/CpuBackend.h"
#include "common/JobRunner.h"
#include "common/Problems.h"

namespace deltascope::ui {

ExpertsController::ExpertsController(QObject* parent)
    : QObject(parent)
    , m_jobs(new JobRunner(this))
    , m_compute(std::make_shared<backend::CpuBackend>())
{
    connect(m_jobs, &JobRunner::started, this, [this] { emit busyChanged(true); });
    connect(m_jobs, &JobRunner::progressed, this,
        [this](quint64, double f, const QString& stage, double) { emit progressed(f, stage); });
    connect(m_jobs, &JobRunner::finished, this, [this] {
        if (!m_jobs->busy()) // not when the result just started the next job
            emit busyChanged(false);
    });
}

ExpertsController::~ExpertsController()
{
    // The jobs use this controller's backend and trace: end them before the members go.
    m_jobs->shutdown();
}

void ExpertsController::setBackend(std::shared_ptr<const backend::ComputeBackend> compute)
{
    if (compute)
        m_compute = std::move(compute);
}

bool ExpertsController::busy() const
{
    return m_jobs->busy();
}

void ExpertsController::waitUntilIdle()
{
    // Applying one job's result may start another (an opened trace starts its computation).
    while (m_jobs->busy())
        m_jobs->waitForIdle();
}

void ExpertsController::cancel()
{
    if (!m_jobs->busy())
        return;
    m_jobs->cancel();
    emit cancelled();
}

void ExpertsController::openTrace(const QString& path, const TraceImport& import)
{
    m_lastError.clear();
    analysis::ExpertScenario scenario;
    scenario.tracePath = path.toStdString();
    scenario.topK = import.topK;
    scenario.import = import.options;
    m_jobs->start(tr("Opening the trace"), [this, path, scenario](JobControl& control) -> JobRunner::Apply {
        // Mapped formats open at once; record captures (JSONL, Megatron) report how far they got.
        control.progress(-1, tr("reading the trace"));
        Progress progress;
        progress.callback
            = [&control](double f, std::string_view) { return control.progress(f, tr("reading the trace")); };
        auto t = analysis::openScenarioTrace(scenario, progress);
        if (control.cancelled())
            return nullptr;
        return [this, t = std::move(t), path] {
            if (!t.ok()) {
                m_lastError = QString::fromStdString(t.error->toString());
                emit traceFailed(shortProblem(*t.error), m_lastError);
                return;
            }
            setTrace(*t.value, path, t.warnings);
        };
    });
}

void ExpertsController::setTrace(
    std::shared_ptr<const moe::Trace> trace, const QString& path, std::vector<Diagnostic> warnings)
{
    m_traceWarnings = std::move(warnings);
    m_trace = std::move(trace);
    m_path = path;
    m_run.reset();
    emit traceChanged(path);
}

void ExpertsController::compute(const ExpertSettings& settings, int budget)
{
    if (!m_trace)
        return;
    m_lastError.clear();
    emit computing(budget);
    m_jobs->start(tr("Expert selection"),
        [this, trace = m_trace, from = m_run, settings, budget, path = m_path, compute = m_compute](
            JobControl& control) -> JobRunner::Apply {
            auto r = computeExperts(from, trace, path, settings, budget, &control, compute.get());
            if (control.cancelled())
                return nullptr;
            return [this, r = std::move(r), path] {
                if (!r.ok()) {
                    // An error about the trace's contents names the trace when it names no file.
                    auto error = *r.error;
                    if (error.file.empty())
                        error.file = path.toStdString();
                    m_lastError = QString::fromStdString(error.toString());
                    emit computeFailed(m_lastError);
                    return;
                }
                m_run = *r.value;
                emit runChanged();
            };
        });
}

} // namespace deltascope::ui
