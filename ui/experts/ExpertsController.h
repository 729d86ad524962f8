// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experts/ExpertRun.h"
#include "experts/TraceImportDialog.h"

#include <QObject>
#include <QString>
#include <memory>

namespace deltascope::ui {

class JobRunner;

/// The expert workspace's controller: owns the job runner, the backend, the open trace and the
/// current result. Opening a trace and computing a scenario run off the GUI thread, the newest
/// request wins, and either can be cancelled; the views only see whole results.
class ExpertsController : public QObject {
    Q_OBJECT
public:
    explicit ExpertsController(QObject* parent = nullptr);
    ~ExpertsController() override;

    /// The backend every computation runs on (the program makes one; the CPU until then).
    void setBackend(std::shared_ptr<const backend::ComputeBackend> compute);

    /// Opens a trace, read with these import options (the analysis layer's trace opening).
    void openTrace(const QString& path, const TraceImport& import = {});
    /// Takes a trace already in memory (the demo) as if it had just opened.
    void setTrace(std::shared_ptr<const moe::Trace> trace, const QString& path, std::vector<Diagnostic> warnings = {});
    /// Computes the settings at this budget (no-op without a trace).
    void compute(const ExpertSettings& settings, int budget);
    void cancel();
    bool busy() const;
    /// Blocks until no job runs (a result that starts the next job is waited for too).
    void waitUntilIdle();

    std::shared_ptr<const moe::Trace> trace() const { return m_trace; }
    QString path() const { return m_path; }
    ExpertRunPtr run() const { return m_run; }
    QString lastError() const { return m_lastError; }
    /// What reading the open trace warned about (skipped records, ...).
    const std::vector<Diagnostic>& traceWarnings() const { return m_traceWarnings; }

signals:
    /// A trace is open (the page adapts its controls, then asks for a computation).
    void traceChanged(const QString& path);
    /// The trace could not be read: the error with file names only, and in full (with paths).
    void traceFailed(const QString& brief, const QString& full);
    /// A computation started for this budget ("computing" in the headline).
    void computing(int budget);
    void runChanged();
    void computeFailed(const QString& error);
    /// A job started, or the last one finished, was dropped or was cancelled.
    void busyChanged(bool busy);
    void progressed(double fraction, const QString& stage);
    void cancelled();

private:
    JobRunner* m_jobs;
    std::shared_ptr<const backend::ComputeBackend> m_compute; ///< CUDA when a device answers, else the CPU
    std::shared_ptr<const moe::Trace> m_trace;
    QString m_path;
    ExpertRunPtr m_run;
    QString m_lastError;
    std::vector<Diagnostic> m_traceWarnings;
};

} // namespace deltascope::ui
