// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QWidget;
class QProgressBar;
class QThread;

namespace deltascope::ui {

/// What a running job may ask of its runner: whether it was cancelled, and to report progress.
class JobControl {
public:
    virtual ~JobControl() = default;
    virtual bool cancelled() const = 0;
    /// fraction in [0, 1], or negative while unknown. Returns false once cancelled.
    virtual bool progress(double fraction, const QString& stage) = 0;
};

/// Runs one piece of long work at a time off the GUI thread. The latest request wins: starting a
/// job cancels the previous one, and a result that arrives for a job that is no longer the
/// latest is dropped. The work returns a closure that applies its result; it runs on the GUI
/// thread, only for the latest job, and only if that job was not cancelled.
class JobRunner : public QObject {
    Q_OBJECT
public:
    using Apply = std::function<void()>;
    using Work = std::function<Apply(JobControl&)>;

    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    quint64 start(const QString& label, Work work);
    void cancel();
    bool busy() const { return m_running != 0; }
    /// Blocks the calling (GUI) thread until the current job is applied or dropped; for the
    /// command-line modes that render and exit.
    void waitForIdle();
    /// Cancels the current job and waits until every worker thread this runner started has ended,
    /// so nothing the jobs captured is used after its owner goes away. Owners whose jobs capture
    /// their members call it first thing in their destructor; the runner's own destructor calls it.
    void shutdown();

signals:
    void started(quint64 id, const QString& label);
    void progressed(quint64 id, double fraction, const QString& stage, double etaSeconds);
    void finished(quint64 id, bool applied);

private:
    struct Job;
    void deliver(const std::shared_ptr<Job>& job, Apply apply);
    void reapFinished();
    std::shared_ptr<Job> m_current;
    std::vector<QThread*> m_threads; ///< started and not yet joined
    quint64 m_next = 1;
    quint64 m_running = 0;
};

/// Shows the runner's jobs in a progress row: the row appears when a job starts (the bar
/// indeterminate until the first fraction, the label the job's), then follows its progress with the
/// stage and the time left.
void showJobProgress(JobRunner* jobs, QWidget* row, QProgressBar* bar, QLabel* text);

} // namespace deltascope::ui
