// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"
#include "common/Workspace.h"

#include <QHash>
#include <QMainWindow>
#include <functional>
#include <memory>

class QAction;
class QLabel;
class QLockFile;
class QMenu;
class QTabWidget;
class QTimer;

namespace deltascope::ui {

class DegradationPage;
class ExpertsPage;
class FrontierPage;

/// Assembles the workspaces with menus, toolbar, status bar and the settings kept between runs.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    /// Stops the pages' signals first: a job cancelled as a page goes would otherwise report to
    /// controls already gone.
    ~MainWindow() override;

    DegradationPage* degradation() const { return m_degradation; }
    ExpertsPage* experts() const { return m_experts; }
    FrontierPage* frontier() const { return m_frontier; }
    void showExperts();
    void showDegradation();
    void showFrontier();
    /// The backend the program made (the CPU until then), with the note on why it is the one.
    void setBackend(std::shared_ptr<const backend::ComputeBackend> compute, const QString& note);
    /// The folder holding the bundled demo runs, or empty when it cannot be found.
    static QString demoDirectory();
    void openDemo(bool interactive = true);

    /// The state of the workspaces, inputs described as they are now.
    workspace::Workspace workspaceState() const;
    /// Writes a `.deltascope` workspace file atomically; empty on success, else the reason.
    QString saveWorkspace(const QString& path);
    /// Restores a workspace file: its settings at once, its inputs loading in the background.
    /// Inputs that changed since it was saved are listed in `warnings` (and shown when the
    /// window is visible). Returns the error, or empty.
    QString openWorkspace(const QString& path, QStringList* warnings = nullptr);

    /// Saves the session every `seconds` to the autosave file while something is loaded, and
    /// removes it on a normal close. Started by the application, not by tests.
    void enableAutosave(int seconds = 60);
    /// When the last session ended without a normal close (its autosave file is still there and
    /// no other window holds it), asks whether to restore it. Returns true when restored.
    bool offerRecovery();
    /// The autosave file of this user (in the application's data folder).
    static QString autosavePath();

protected:
    void closeEvent(QCloseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override; ///< the status message elided again
    /// Ctrl+E exports the report even from a text field (which would take it as "end of line").
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildMenus();
    void connectFrontier();
    QAction* addExportActions(QMenu* file); ///< returns the HTML report action (also on the toolbar)
    void buildToolBar(QAction* demo, QAction* html);
    void rebuildRecentMenu();
    void exportReport(bool pdf);
    void exportJson();
    void exportDisagreements();
    void exportPlot();
    void exportLayerCsv();
    void exportSliceCsv();
    /// Asks where to save: exports start in the folder of the last export, a workspace (`exportFile`
    /// false) in that of the inputs, where it is opened from again.
    QString askSavePath(const QString& title, const QString& filter, const QString& suggested, bool exportFile = true);
    /// Asks where to save, writes there with `write` (its error message, empty when it worked) and
    /// says which: `done` is the status message, its last place marker taking the path.
    void exportTo(const QString& title, const QString& filter, const QString& suggested,
        const std::function<QString(const QString&)>& write, const QString& done);
    void updateActions();
    /// Shows a status message cut to the room left of "compute: ..." (the whole text in the status
    /// bar's tooltip), rather than drawn under it.
    void showStatus(const QString& message);
    /// A page's message: shown when its tab is in front (now, or when it comes to the front).
    void pageStatus(QWidget* page, const QString& message);
    void autosave();
    void saveWorkspaceInteractive(bool askPath);
    /// The title names what the tab in front shows (the runs compared, or the trace) and the
    /// workspace file, when there is one.
    void updateTitle();

    QTabWidget* m_tabs;
    DegradationPage* m_degradation;
    ExpertsPage* m_experts;
    FrontierPage* m_frontier;
    QLabel* m_backendLabel = nullptr;
    QString m_status; ///< the whole of the last status message
    QString m_statusShown; ///< as shown, cut to fit
    QHash<QWidget*, QString> m_pageStatus; ///< each page's last message
    QMenu* m_recent = nullptr;
    QMenu* m_recentTraces = nullptr;
    QList<QAction*> m_needComparison;
    QString m_workspacePath; ///< the file the workspace was last saved to or opened from
    QString m_comparisonLabel; ///< "candidate vs baseline" of the comparison shown (empty: none)
    QTimer* m_autosave = nullptr;
    std::unique_ptr<QLockFile> m_autosaveLock; ///< held while this window may write the autosave file
};

} // namespace deltascope::ui
