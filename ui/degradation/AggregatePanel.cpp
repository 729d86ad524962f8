// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/AggregatePanel.h"

#include "analysis/Comparison.h"
#include "common/Format.h"
#include "report/ReportWriters.h"
#include "report/Verdict.h"

#include <QColor>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

namespace deltascope::ui {

AggregatePanel::AggregatePanel(QWidget* parent)
    : QWidget(parent)
    , m_verdict(new QLabel(this))
    , m_advice(new QLabel(this))
    , m_basis(new QLabel(this))
    , m_tests(new QLabel(this))
    , m_alpha(new QDoubleSpinBox(this))
    , m_margin(new QLineEdit(this))
    , m_marginUnit(new QLabel(this))
    , m_marginError(new QLabel(this))
    , m_permutations(new QSpinBox(this))
    , m_seed(new QSpinBox(this))
    , m_maxPermutations(new QSpinBox(this))
    , m_run(new QPushButton(tr("Run permutation test"), this))
    , m_permutation(new QLabel(this))
{
    QFont big = m_verdict->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    m_verdict->setFont(big);
    m_verdict->setObjectName(QStringLiteral("verdict"));
    m_verdict->setWordWrap(true);
    m_advice->setObjectName(QStringLiteral("verdictAdvice"));
    m_advice->setWordWrap(true);
    m_margin->setObjectName(QStringLiteral("margin"));
    m_margin->setPlaceholderText(tr("none: degraded or no evidence"));
    m_margin->setToolTip(
        tr("Claim \"no worse than D\": D in accuracy points for binary tasks (1 = one point), in metric units "
           "for continuous ones, D% for a fraction of the baseline's corpus metric (perplexity, bits per byte); "
           "TASK=D for one task. Several, comma-separated: \"1, wikitext=1%\". Each task is then also tested for "
           "a drop below its margin, and the verdict can be no worse than the margin, or inconclusive."));
    m_marginError->setObjectName(QStringLiteral("marginError"));
    m_marginError->setWordWrap(true);
    m_marginError->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_marginError->hide();
    connect(m_margin, &QLineEdit::editingFinished, this, &AggregatePanel::onMarginEdited);
    m_basis->setWordWrap(true);
    m_tests->setTextFormat(Qt::RichText);
    m_tests->setWordWrap(true); // a long task name in a statistic's detail wraps within its cell
    m_permutation->setWordWrap(true);
    m_alpha->setDecimals(4);
    m_alpha->setRange(0.0001, 0.5);
    m_alpha->setSingleStep(0.01);
    m_alpha->setValue(0.05);
    m_alpha->setToolTip(tr("Family-wise significance level: per task (Holm) and across tasks (alpha/3 per test, "
                           "alpha with a single task)"));
    m_tests->setToolTip(QString::fromUtf8(report::decisionExplained()));
    m_permutations->setRange(100, 10000000);
    m_permutations->setSingleStep(10000);
    m_permutations->setValue(10000);
    m_permutations->setGroupSeparatorShown(true);
    m_seed->setRange(0, 2147483647);
    m_maxPermutations->setObjectName(QStringLiteral("maxPermutations"));
    m_maxPermutations->setRange(100, 2000000000);
    m_maxPermutations->setValue(1000000);
    m_maxPermutations->setGroupSeparatorShown(true);
    m_maxPermutations->setToolTip(tr("While a deciding p-value's 99% Monte Carlo interval straddles its level, the "
                                     "permutations double up to this many (raised to the permutations when below)"));
    connect(m_alpha, &QDoubleSpinBox::valueChanged, this, &AggregatePanel::alphaChanged);
    connect(m_run, &QPushButton::clicked, this,
        [this] { emit permutationRequested(m_permutations->value(), m_seed->value()); });

    auto* stats = new QFormLayout;
    stats->addRow(tr("alpha"), m_alpha);
    // The margin's unit beside it: points for accuracy tasks, the metric's units for continuous
    // ones, or N% of a corpus metric (set for each comparison in showReport).
    m_marginUnit->setObjectName(QStringLiteral("marginUnit"));
    m_marginUnit->setText(tr("points"));
    auto* marginRow = new QHBoxLayout;
    marginRow->addWidget(m_margin, 1);
    marginRow->addWidget(m_marginUnit);
    stats->addRow(tr("margin"), marginRow);
    stats->addRow(m_marginError);
    auto* perm = new QGroupBox(tr("Sign-flip permutation test"), this);
    auto* permForm = new QFormLayout(perm);
    permForm->addRow(tr("permutations"), m_permutations);
    permForm->addRow(tr("at most"), m_maxPermutations);
    permForm->addRow(tr("seed"), m_seed);
    permForm->addRow(m_run);
    permForm->addRow(m_permutation);
    // The fields the user edits come first: the verdict's text under them changes length with the
    // result, and would otherwise move a field away from the mouse as it is being edited.
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(stats);
    layout->addWidget(m_verdict);
    layout->addWidget(m_advice);
    layout->addWidget(m_basis);
    layout->addWidget(m_tests);
    layout->addWidget(perm);
    layout->addStretch(1);
    showReport(nullptr);
}

namespace {

QString pText(double p, double lnP)
{
    return QString::fromStdString(report::formatP(p, lnP));
}

QString mcText(double lo, double hi)
{
    auto bound = [](double p) { return p > 0.0 ? pText(p, std::log(p)) : QStringLiteral("0"); };
    return QStringLiteral("[%1, %2]").arg(bound(lo), bound(hi));
}

QString levelText(const report::ComparisonReport& r)
{
    return (r.decisionLevel < r.alpha ? QStringLiteral("alpha/3 = %1") : QStringLiteral("alpha = %1"))
        .arg(QString::number(r.decisionLevel, 'g', 3));
}

} // namespace

QString AggregatePanel::marginUnit(const report::ComparisonReport& r)
{
    bool binary = false;
    bool continuous = false;
    bool corpus = false;
    for (const auto& t : r.tasks) {
        binary |= !t.continuous;
        continuous |= t.continuous && t.corpusMetric.empty();
        corpus |= !t.corpusMetric.empty();
    }
    QStringList units;
    if (binary || r.tasks.empty())
        units << tr("points");
    if (continuous)
        units << tr("metric units");
    if (corpus)
        units << tr("nats/doc, or N%");
    return units.join(QStringLiteral(" / "));
}

QString AggregatePanel::verdictText(const report::ComparisonReport& r)
{
    // The words of the command line and the reports (report/Verdict.h), capitalised for a banner.
    QString text = QString::fromUtf8(report::verdictWord(report::verdictOf(r)));
    text[0] = text[0].toUpper();
    return text + (r.stable ? QString() : tr(" (unstable: depends on the permutation seed)"));
}

QString AggregatePanel::verdictMeaning(const report::ComparisonReport& r)
{
    return QString::fromUtf8(report::verdictMeaning(report::verdictOf(r)));
}

QString AggregatePanel::verdictNextStep(const report::ComparisonReport& r)
{
    return tr("Next: %1").arg(QString::fromStdString(report::verdictNextStep(r, report::Wording::Window)));
}

QColor AggregatePanel::verdictColour(const report::ComparisonReport& r)
{
    if (r.degraded)
        return QColor(0xc0, 0x39, 0x2b); // red
    if (r.verdict == "no_worse_than_margin")
        return QColor(0x2e, 0x7d, 0x32); // green
    if (r.verdict == "inconclusive")
        return QColor(0xf0, 0xa2, 0x02); // amber
    return QColor(0x54, 0x6e, 0x7a); // blue-grey: no evidence either way
}

namespace {

// A message as a sentence: its first letter capital.
QString sentence(QString text)
{
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

QString taskName(const report::TaskResult& t)
{
    return QString::fromStdString(t.label());
}

// Why an inconclusive task did not clear its margin, and what would help; empty when it did.
QString inconclusiveAdvice(const report::ComparisonReport& r, const report::TaskResult& t)
{
    if (t.n == 0 || t.audit)
        return {};
    if (!t.hasMargin)
        return AggregatePanel::tr("No margin is set for %1, so it cannot be shown within one.").arg(taskName(t));
    if (t.pNonInferiority < r.alpha)
        return {};
    if (t.samplesNeeded < 0)
        return AggregatePanel::tr("The observed drop of %1 is above its margin.").arg(taskName(t));
    if (t.samplesNeeded > t.n)
        return AggregatePanel::tr("Collect about %1 more samples of %2 (%3 in all for 80% power at the observed drop).")
            .arg(QLocale().toString(qlonglong(t.samplesNeeded - t.n)), taskName(t),
                QLocale().toString(qlonglong(t.samplesNeeded)));
    return AggregatePanel::tr("The samples of %1 give 80% power at its observed drop; a few more should settle it.")
        .arg(taskName(t));
}

// "the data rule out a drop above 2.3 points": the largest upper bound over the binary tasks, and
// each continuous task's own (their units differ). A bound below zero rules out every drop: the
// candidate is better there by at least that much, and the text says so.
// "2.3 points", "1 point".
QString pointsText(double points)
{
    const QString n = QString::number(points, 'g', 3);
    return n == QStringLiteral("1") ? AggregatePanel::tr("%1 point").arg(n) : AggregatePanel::tr("%1 points").arg(n);
}

QString noEvidenceAdvice(const report::ComparisonReport& r)
{
    const report::TaskResult* widest = nullptr;
    QStringList above;
    QStringList better;
    for (const auto& t : r.tasks) {
        // A task without a bound (no spread in its differences) rules nothing out.
        if (t.n == 0 || t.audit || !std::isfinite(t.upperBound))
            continue;
        if (!t.continuous) {
            if (!widest || t.upperBound > widest->upperBound)
                widest = &t;
            continue;
        }
        const QString metric = QString::fromStdString(t.metric);
        if (t.upperBound < 0)
            better << AggregatePanel::tr("%1 by at least %2 (%3)")
                          .arg(taskName(t), QString::number(-t.upperBound, 'g', 4), metric);
        else
            above << AggregatePanel::tr("%1: %2 (%3)").arg(taskName(t), QString::number(t.upperBound, 'g', 4), metric);
    }
    QStringList parts;
    const bool binaryBetter = widest && widest->upperBound < 0;
    if (binaryBetter)
        parts << AggregatePanel::tr("the candidate is better by at least %1 on every binary task")
                     .arg(pointsText(-100.0 * widest->upperBound));
    else if (widest)
        parts << AggregatePanel::tr(
            "the data rule out a drop above %1 on any binary task (one-sided 95% bound; widest: %2)")
                     .arg(pointsText(100.0 * widest->upperBound), taskName(*widest));
    if (!above.isEmpty())
        parts << AggregatePanel::tr("the data rule out drops above %1").arg(above.join(QStringLiteral("; ")));
    if (!better.isEmpty())
        parts << AggregatePanel::tr("the candidate is better on %1").arg(better.join(QStringLiteral("; ")));
    if (parts.isEmpty())
        return {};
    // The binary bounds are score-test approximations: at few differing pairs they can claim more
    // than the exact test would, so the advice says where.
    QStringList few;
    for (const auto& t : r.tasks)
        if (!t.audit && std::isfinite(t.upperBound) && report::fewDiffer(t))
            few << AggregatePanel::tr("%1 (%2)").arg(taskName(t)).arg(t.b + t.c);
    const QString caveat = few.isEmpty() ? QString()
                                         : QLatin1Char(' ')
            + AggregatePanel::tr("Rough where few pairs differ: %1; there the bounds are large-sample approximations "
                                 "and can overstate the evidence (the p-values are exact).")
                  .arg(few.join(QStringLiteral(", ")));
    // Every bound below zero: no drop is left possible, so "not evidence of no loss" would be wrong.
    if (above.isEmpty() && (!widest || binaryBetter))
        return AggregatePanel::tr("The data rule out any drop: %1. Set a margin to claim \"no worse than\".")
                   .arg(parts.join(QStringLiteral("; ")))
            + caveat;
    return AggregatePanel::tr("This is not evidence of no loss: %1. Set a margin to claim \"no worse than\".")
               .arg(parts.join(QStringLiteral("; ")))
        + caveat;
}

} // namespace

QString AggregatePanel::verdictAdvice(const report::ComparisonReport& r)
{
    if (r.verdict == "inconclusive") {
        QStringList lines;
        for (const auto& t : r.tasks)
            if (QString a = inconclusiveAdvice(r, t); !a.isEmpty())
                lines << a;
        return lines.join(QLatin1Char('\n'));
    }
    if (r.verdict == "no_evidence" && !r.degraded)
        return noEvidenceAdvice(r);
    return {};
}

bool AggregatePanel::parseMargins(const QString& text, report::MarginRequest& into, QString& error)
{
    report::MarginRequest out;
    // A per-task key may hold a comma ("gsm8k,flexible-extract=1"): a piece without '=' that is
    // not a number joins the next one.
    QString pending;
    for (const QString& raw : text.split(QLatin1Char(','))) {
        const QString piece = raw.trimmed();
        if (piece.isEmpty() && pending.isEmpty())
            continue;
        if (!piece.contains(QLatin1Char('=')) && !piece.isEmpty() && !piece.front().isDigit()
            && piece.front() != QLatin1Char('.') && piece.front() != QLatin1Char('-')) {
            pending += (pending.isEmpty() ? QString() : QStringLiteral(",")) + piece;
            continue;
        }
        const QString one = pending.isEmpty() ? piece : pending + QLatin1Char(',') + piece;
        pending.clear();
        std::string why;
        if (!analysis::parseMargin(one.toStdString(), out, why)) {
            error = sentence(QString::fromStdString(why)); // it quotes the margin

            return false;
        }
    }
    if (!pending.isEmpty()) {
        std::string why;
        analysis::parseMargin(pending.toStdString(), out, why);
        error = sentence(QString::fromStdString(why));
        return false;
    }
    into = out;
    return true;
}

QString AggregatePanel::marginsText(const report::MarginRequest& margins)
{
    QStringList parts;
    for (const auto& m : analysis::marginTexts(margins))
        parts << QString::fromStdString(m);
    return parts.join(QStringLiteral(", "));
}

void AggregatePanel::setMargins(const report::MarginRequest& margins)
{
    m_margins = margins;
    m_margin->setText(marginsText(margins));
    m_marginError->hide();
}

void AggregatePanel::showRefused(const QString& why)
{
    // Shown where the setting was typed, not only among the comparison's warnings.
    if (why.isEmpty()) {
        if (m_marginError->property("refused").toBool())
            m_marginError->hide();
        m_marginError->setProperty("refused", false);
        return;
    }
    m_marginError->setText(tr("Not applied: %1. The results shown are those of the settings before.").arg(why));
    m_marginError->setProperty("refused", true);
    m_marginError->show();
}

void AggregatePanel::onMarginEdited()
{
    report::MarginRequest next;
    QString error;
    if (!parseMargins(m_margin->text(), next, error)) {
        m_marginError->setProperty("refused", false);
        m_marginError->setText(tr("Not applied: %1 The results shown are those of the settings before.").arg(error));
        m_marginError->show();
        emit marginRejected(error);
        return;
    }
    m_marginError->hide();
    if (next == m_margins)
        return;
    m_margins = next;
    emit marginsChanged(m_margins);
}

void AggregatePanel::showReport(const report::ComparisonReport* r)
{
    m_run->setEnabled(r != nullptr);
    if (!r) {
        m_verdict->setText(tr("No comparison yet"));
        m_verdict->setStyleSheet({});
        m_advice->clear();
        m_advice->hide();
        m_basis->setText(tr("Choose a baseline and a candidate run above, or open the demo (File ▸ Open demo)."));
        m_tests->clear();
        m_permutation->clear();
        return;
    }
    m_marginUnit->setText(marginUnit(*r));
    // Long task names (HELM's run names) may wrap, rather than push the text out of the panel.
    m_verdict->setText(breakableText(verdictText(*r)));
    const QColor banner = verdictColour(*r);
    m_verdict->setStyleSheet(
        QStringLiteral("background-color: %1; color: %2; padding: 6px; border-radius: 4px")
            .arg(banner.name(), banner.lightnessF() > 0.55 ? QStringLiteral("#1a1a1a") : QStringLiteral("#ffffff")));
    m_verdict->setToolTip(verdictMeaning(*r));
    QString advice = verdictAdvice(*r);
    advice += (advice.isEmpty() ? QString() : QStringLiteral("\n")) + verdictNextStep(*r);
    m_advice->setText(breakableText(advice));
    m_advice->setVisible(true);
    QString basis = QString::fromStdString(r->decisionBasis) + QLatin1Char('.');
    if (!r->stable)
        basis += QLatin1Char(' ')
            + tr("The verdict may change with the seed: run more permutations (or raise --max-permutations on "
                 "the command line).");
    m_basis->setText(breakableText(basis));
    const double lnLevel = std::log(r->decisionLevel);
    QString rows;
    for (const auto& d : r->decision) {
        const bool reject = d.lnP < lnLevel;
        const QString p = pText(d.pValue, d.lnP);
        const QString stat = QString::fromStdString(d.statisticName) + QStringLiteral(" = ") + number(d.statistic)
            + (d.detail.empty() ? QString() : QStringLiteral(", ") + QString::fromStdString(d.detail));
        rows += QStringLiteral("<tr><td>%1</td><td align='right'><span style='color:%2'>%3</span></td><td>%4</td>"
                               "<td>%5</td></tr>")
                    .arg(breakableText(QString::fromStdString(d.name)).toHtmlEscaped(), verdictColor(reject).name(),
                        (reject ? QStringLiteral("<b>%1</b>") : QStringLiteral("%1")).arg(p.toHtmlEscaped()),
                        d.monteCarlo ? tr("MC 99% %1").arg(mcText(d.pMcLow, d.pMcHigh)).toHtmlEscaped() : QString(),
                        breakableText(stat).toHtmlEscaped());
    }
    m_tests->setText(QStringLiteral("<table cellspacing='0' cellpadding='2'>") + rows
        + QStringLiteral("</table><small>%1</small>")
              .arg(tr("method: %1; each test at %2; %3")
                       .arg(QString::fromStdString(r->method), levelText(*r),
                           r->stable ? tr("stable") : tr("<b>unstable</b>"))));
    if (r->permutation.present) {
        const auto& perm = r->permutation;
        QString ran;
        if (perm.exhaustive)
            ran = tr("every sign pattern enumerated (exact)");
        else if (perm.permutations != perm.requested)
            ran = tr("%1 permutations run (%2 asked, at most %3)")
                      .arg(QLocale().toString(qulonglong(perm.permutations)),
                          QLocale().toString(qulonglong(perm.requested)),
                          QLocale().toString(qulonglong(perm.maxPermutations)));
        else
            ran = tr("%1 permutations run").arg(QLocale().toString(qulonglong(perm.permutations)));
        m_permutation->setText(
            tr("p = %1%2; %3, seed %4; %5")
                .arg(pText(perm.pValue, std::log(perm.pValue)),
                    perm.exhaustive ? QString()
                                    : tr(", 99% Monte Carlo interval %1").arg(mcText(perm.pMcLow, perm.pMcHigh)),
                    ran)
                .arg(perm.seed)
                .arg(perm.stable ? tr("stable") : tr("unstable")));
    } else {
        m_permutation->setText(tr("Not run (every metric is binary: the exact tests decide)."));
    }
}

double AggregatePanel::alpha() const
{
    return m_alpha->value();
}

void AggregatePanel::setAlpha(double a)
{
    const QSignalBlocker block(m_alpha);
    m_alpha->setValue(a);
}

int AggregatePanel::permutations() const
{
    return m_permutations->value();
}

int AggregatePanel::maxPermutations() const
{
    return m_maxPermutations->value();
}

void AggregatePanel::setMaxPermutations(int most)
{
    m_maxPermutations->setValue(most);
}

int AggregatePanel::seed() const
{
    return m_seed->value();
}

void AggregatePanel::setPermutationSettings(int permutations, int seed)
{
    m_permutations->setValue(permutations);
    m_seed->setValue(seed);
}

} // namespace deltascope::ui
