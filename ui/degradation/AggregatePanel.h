// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "report/ComparisonReport.h"

#include <QWidget>

class QColor;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
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
    /// Says under the margin field why the settings last asked for were not applied; empty clears
    /// a reason shown before (a margin still being typed wrong keeps its own message).
    void showRefused(const QString& why);
    /// The banner: "Degraded", "No worse than the margin", "Inconclusive" or "No evidence of
    /// degradation" (the words of report/Verdict.h), and whether it is unstable.
    static QString verdictText(const report::ComparisonReport& r);
    /// The unit a margin is read in for these tasks ("points", "metric units", ...).
    static QString marginUnit(const report::ComparisonReport& r);
    /// What the verdict means, in one sentence (the banner's tooltip).
    static QString verdictMeaning(const report::ComparisonReport& r);
    /// "Next: ...": what to do after this verdict, as the command line says it.
    static QString verdictNextStep(const report::ComparisonReport& r);
    /// What the verdict asks of the user: the samples to collect when inconclusive, the largest drop
    /// the data leave possible when there is no evidence; empty otherwise.
    static QString verdictAdvice(const report::ComparisonReport& r);
    /// Red degraded, green no worse than the margin, amber inconclusive, blue-grey no evidence.
    static QColor verdictColour(const report::ComparisonReport& r);
    /// Reads margins as the command line takes them, comma-separated ("1, wikitext=1%"); false
    /// with the reason on malformed text.
    static bool parseMargins(const QString& text, report::MarginRequest& into, QString& error);
    static QString marginsText(const report::MarginRequest& margins);
    report::MarginRequest margins() const { return m_margins; }
    void setMargins(const report::MarginRequest& margins); ///< no signal
    double alpha() const;
    void setAlpha(double a);
    int permutations() const;
    int seed() const;
    void setPermutationSettings(int permutations, int seed);
    /// The most permutations the test may extend to while a p-value's interval straddles its level.
    int maxPermutations() const;
    void setMaxPermutations(int most);

signals:
    void alphaChanged(double alpha);
    void permutationRequested(int permutations, int seed);
    void marginsChanged(const deltascope::report::MarginRequest& margins);
    /// A margin typed that cannot be read: why (the results stay those of the settings before).
    void marginRejected(const QString& why);

private:
    void onMarginEdited();

    report::MarginRequest m_margins;
    QLabel* m_verdict;
    QLabel* m_advice;
    QLabel* m_basis;
    QLabel* m_tests;
    QDoubleSpinBox* m_alpha;
    QLineEdit* m_margin;
    QLabel* m_marginUnit;
    QLabel* m_marginError;
    QSpinBox* m_permutations;
    QSpinBox* m_seed;
    QSpinBox* m_maxPermutations;
    QPushButton* m_run;
    QLabel* m_permutation;
};

} // namespace deltascope::ui
