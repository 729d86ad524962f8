// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/JobRunner.h"

#include "common/Format.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QLabel>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>
#include <QThread>
#include <mutex>

namespace deltascope::ui {

struct JobRunner::Job : JobControl {
    quint64 id = 0;
    std::atomic<bool> stop { false };
    QPointer<JobRunner> runner;
    QElapsedTimer clock;
    std::mutex mutex;
    qint64 lastReport = -1000;
    double firstFraction = -1;
    qint64 firstAt = 0;

    bool cancelled() const override { return stop.load(); }

    bool progress(double fraction, const QString& stage) override
    {
        if (stop.load())
            return false;
        std::lock_guard<std::mutex> lock(mutex);
        const qint64 now = clock.elapsed();
        if (now - lastReport < 50 && fraction < 1.0)
            return true; // throttled: at most 20 updates a second
        lastReport = now;
        // Estimated time left from the rate since the first known fraction.
        double eta = -1;
        if (fraction > 0 && firstFraction < 0) {
            firstFraction = fraction;
            firstAt = now;
        } else if (fraction > firstFraction && firstFraction >= 0 && now > firstAt + 300) {
            const double rate = (fraction - firstFraction) / static_cast<double>(now - firstAt);
            eta = (1.0 - fraction) / rate / 1000.0;
        }
        const quint64 jobId = id;
        QPointer<JobRunner> r = runner;
        QMetaObject::invokeMethod(
            r.data(),
            [r, jobId, fraction, stage, eta] {
                if (r)
                    emit r->progressed(jobId, fraction, stage, eta);
            },
            Qt::QueuedConnection);
        return !stop.load();
    }
};

JobRunner::JobRunner(QObject* parent)
    : QObject(parent)
{ }

JobRunner::~JobRunner()
{
    shutdown();
}

void JobRunner::shutdown()
{
    cancel();
    for (QThread* thread : m_threads) {
        thread->wait();
        delete thread;
    }
    m_threads.clear();
}

void JobRunner::reapFinished()
{
    std::erase_if(m_threads, [](QThread* thread) {
        if (!thread->isFinished())
            return false;
        thread->wait();
        delete thread;
        return true;
    });
}

quint64 JobRunner::start(const QString& label, Work work)
{
    cancel();
    reapFinished();
    auto job = std::make_shared<Job>();
    job->id = m_next++;
    job->runner = this;
    job->clock.start();
    m_current = job;
    m_running = job->id;
    emit started(job->id, label);
    QThread* thread = QThread::create([job, work = std::move(work)] {
        Apply apply = work(*job);
        QPointer<JobRunner> r = job->runner;
        QMetaObject::invokeMethod(
            r.data(),
            [r, job, apply = std::move(apply)]() mutable {
                if (r)
                    r->deliver(job, std::move(apply));
            },
            Qt::QueuedConnection);
    });
    // Joined by reapFinished or shutdown, never deleted while it runs: a worker that outlives its
    // runner would use what its job captured after the owner freed it.
    m_threads.push_back(thread);
    thread->start();
    return job->id;
}

void JobRunner::deliver(const std::shared_ptr<Job>& job, Apply apply)
{
    const bool latest = m_current == job;
    const bool applied = latest && !job->stop.load() && apply;
    // Clear the state before applying: apply() may start the next job on this runner (a loaded
    // trace starts its first computation), and that job must stay the current one.
    if (latest) {
        m_current.reset();
        m_running = 0;
    }
    if (applied)
        apply();
    emit finished(job->id, applied);
}

void JobRunner::cancel()
{
    if (!m_current)
        return;
    m_current->stop = true;
    const quint64 id = m_current->id;
    m_current.reset();
    m_running = 0;
    emit finished(id, false);
}

void JobRunner::waitForIdle()
{
    while (m_running != 0) {
        QEventLoop loop;
        connect(this, &JobRunner::finished, &loop, [this, &loop] {
            if (m_running == 0)
                loop.quit();
        });
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    }
}

void showJobProgress(JobRunner* jobs, QWidget* row, QProgressBar* bar, QLabel* text)
{
    QObject::connect(jobs, &JobRunner::started, row, [row, bar, text](quint64, const QString& label) {
        row->show();
        bar->setRange(0, 0); // indeterminate until the first fraction arrives
        text->setText(label);
    });
    QObject::connect(
        jobs, &JobRunner::progressed, row, [bar, text](quint64, double f, const QString& stage, double eta) {
            if (f >= 0) {
                bar->setRange(0, 1000);
                bar->setValue(static_cast<int>(1000 * f));
            }
            text->setText(eta > 0 ? JobRunner::tr("%1 (about %2 left)").arg(stage, duration(eta)) : stage);
        });
}

} // namespace deltascope::ui
