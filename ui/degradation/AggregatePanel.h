#pragma once

#include "report/ComparisonReport.h"

#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace deltascope::ui {

/// The decision across tasks: verdict, pooled / Fisher / max-drop tests, the alpha control, and
/// the sign-flip permutation test with its permutations and seed.
class AggregatePanel : public QWidget {
    Q_OBJECT
public:
    explicit AggregatePanel(QWidget* parent = nullptr);

    void showReport(const report::ComparisonReport* r); ///< null: nothing loaded
    /// The banner: "Candidate is worse" or "No degradation detected", and whether it is unstable.
    static QString verdictText(const report::ComparisonReport& r);
    double alpha() const;
    void setAlpha(double a);
    int permutations() const;
    int seed() const;
    void setPermutationSettings(int permutations, int seed);

signals:
    void alphaChanged(double alpha);
    void permutationRequested(int permutations, int seed);

private:
    QLabel* m_verdict;
    QLabel* m_basis;
    QLabel* m_tests;
    QDoubleSpinBox* m_alpha;
    QSpinBox* m_permutations;
    QSpinBox* m_seed;
    QPushButton* m_run;
    QLabel* m_permutation;
};

} // namespace deltascope::ui
