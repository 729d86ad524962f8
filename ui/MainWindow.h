#pragma once

#include <QMainWindow>

class QMenu;
class QTabWidget;

namespace deltascope::ui {

class DegradationPage;
class ExpertsPage;

/// Assembles the workspaces with menus, toolbar, status bar and the settings kept between runs.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    DegradationPage* degradation() const { return m_degradation; }
    ExpertsPage* experts() const { return m_experts; }
    void showExperts();
    /// The folder holding the bundled demo runs, or empty when it cannot be found.
    static QString demoDirectory();
    void openDemo(bool interactive = true);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void rebuildRecentMenu();
    void exportReport(bool pdf);
    void exportJson();
    void exportDisagreements();
    void exportPlot();
    void exportLayerCsv();
    QString askSavePath(const QString& title, const QString& filter, const QString& suggested);
    void updateActions();

    QTabWidget* m_tabs;
    DegradationPage* m_degradation;
    ExpertsPage* m_experts;
    QMenu* m_recent = nullptr;
    QMenu* m_recentTraces = nullptr;
    QList<QAction*> m_needComparison;
};

} // namespace deltascope::ui
