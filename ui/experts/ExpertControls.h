// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Workspace.h"
#include "experts/ExpertRun.h"

#include <QWidget>
#include <functional>
#include <optional>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSlider;
class QSpinBox;

namespace deltascope::ui {

/// The expert-sharing settings panel: policy, budget, warm-up, batching, devices, placement and
/// the requests to replay. It only turns widgets into ExpertSettings; it computes nothing.
class ExpertControls : public QWidget {
    Q_OBJECT
public:
    explicit ExpertControls(QWidget* parent = nullptr);

    ExpertSettings settings() const;
    int budget() const;
    /// Sets the budget shown (emits changed() like a user edit).
    void setBudget(int budget);
    /// Empty when the request list reads, else why it does not.
    QString requestsError() const;

    /// Ranges and defaults for a newly opened trace; `budget` > 0 is kept (clamped), else 2k.
    void adaptTo(const moe::Trace& trace, int budget);
    void setInputsEnabled(bool enabled);
    /// Places the experts as this placement file says (JSON or CSV, copies allowed).
    void usePlacementFile(const QString& path);
    /// Balances the experts by these load counts over this many devices, with extra copies of the
    /// heaviest.
    void useCountsForBalance(const QString& path, int devices, int replicas);

    /// Checks a placement or counts file the user picks before it is taken: returns why these
    /// settings cannot run (the file does not read or does not fit the trace), or nothing.
    /// A file refused is named in a problem box and the placement goes back to the one before.
    using PlacementCheck = std::function<std::optional<Diagnostic>(const ExpertSettings&)>;
    void setPlacementCheck(PlacementCheck check);

    /// After a new trace: a placement or counts file that does not fit it (the check above) is let
    /// go, the placement back to contiguous. Returns why, or nothing when it fits.
    std::optional<Diagnostic> dropPlacementThatDoesNotFit();

    void saveTo(workspace::ExpertState& state) const;
    /// Takes the settings of a saved workspace without emitting changed().
    void restoreFrom(const workspace::ExpertState& state);

signals:
    /// Any setting or the budget changed: the page recomputes (after a short pause).
    void changed();

private:
    void choosePlacementFile(int choice);
    void setPlacement(int choice, const QString& file);
    /// Enables the controls the chosen policy reads, disables the others.
    void enableForPolicy();
    QList<QWidget*> inputs() const;

    QComboBox* m_policy;
    QSlider* m_budget;
    QSpinBox* m_budgetBox;
    QSpinBox* m_warmup;
    QCheckBox* m_replay;
    bool m_replayChosen = false; ///< the user (or a saved workspace) chose replay or recorded steps
    bool m_replayWanted = false; ///< that choice: a trace without steps ticks the box without changing it
    QSpinBox* m_batch;
    QSpinBox* m_gamma;
    QSpinBox* m_devices;
    QComboBox* m_placement;
    std::int64_t m_traceRequests = 0; ///< the trace's requests (a batch holds at most these)
    bool m_traceHasSteps = false; ///< the trace records its batches: replay is a choice
    int m_placementChoice = 0; ///< the placement in effect (a cancelled file dialog goes back to it)
    QString m_placementFile;
    QString m_countsFile;
    QSpinBox* m_replicas;
    QSpinBox* m_requestExperts;
    QLineEdit* m_requests;
    PlacementCheck m_placementCheck;
};

} // namespace deltascope::ui
