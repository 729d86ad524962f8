#include "degradation/AggregatePanel.h"

#include "common/Format.h"
#include "report/ReportWriters.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

namespace deltascope::ui {

AggregatePanel::AggregatePanel(QWidget* parent)
    : QWidget(parent)
    , m_verdict(new QLabel(this))
    , m_basis(new QLabel(this))
    , m_tests(new QLabel(this))
    , m_alpha(new QDoubleSpinBox(this))
    , m_permutations(new QSpinBox(this))
    , m_seed(new QSpinBox(this))
    , m_run(new QPushButton(tr("Run permutation test"), this))
    , m_permutation(new QLabel(this))
{
    QFont big = m_verdict->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    m_verdict->setFont(big);
    m_verdict->setObjectName(QStringLiteral("verdict"));
    m_basis->setWordWrap(true);
    m_tests->setTextFormat(Qt::RichText);
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
    connect(m_alpha, &QDoubleSpinBox::valueChanged, this, &AggregatePanel::alphaChanged);
    connect(m_run, &QPushButton::clicked, this,
        [this] { emit permutationRequested(m_permutations->value(), m_seed->value()); });

    auto* stats = new QFormLayout;
    stats->addRow(tr("alpha"), m_alpha);
    auto* perm = new QGroupBox(tr("Sign-flip permutation test"), this);
    auto* permForm = new QFormLayout(perm);
    permForm->addRow(tr("permutations"), m_permutations);
    permForm->addRow(tr("seed"), m_seed);
    permForm->addRow(m_run);
    permForm->addRow(m_permutation);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_verdict);
    layout->addWidget(m_basis);
    layout->addWidget(m_tests);
    layout->addLayout(stats);
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

QString AggregatePanel::verdictText(const report::ComparisonReport& r)
{
    return (r.degraded ? tr("Candidate is worse") : tr("No degradation detected"))
        + (r.stable ? QString() : tr(" (unstable: depends on the permutation seed)"));
}

void AggregatePanel::showReport(const report::ComparisonReport* r)
{
    m_run->setEnabled(r != nullptr);
    if (!r) {
        m_verdict->setText(tr("No comparison yet"));
        m_verdict->setStyleSheet({});
        m_basis->setText(tr("Choose a baseline and a candidate run above, or open the demo (File ▸ Open demo)."));
        m_tests->clear();
        m_permutation->clear();
        return;
    }
    m_verdict->setText(verdictText(*r));
    m_verdict->setStyleSheet(QStringLiteral("color: %1").arg(verdictColor(r->degraded).name()));
    QString basis = QString::fromStdString(r->decisionBasis) + QLatin1Char('.');
    if (!r->stable)
        basis += QLatin1Char(' ')
            + tr("The verdict may change with the seed: run more permutations (or raise --max-permutations on "
                 "the command line).");
    m_basis->setText(basis);
    const double lnLevel = std::log(r->decisionLevel);
    QString rows;
    for (const auto& d : r->decision) {
        const bool reject = d.lnP < lnLevel;
        const QString p = pText(d.pValue, d.lnP);
        const QString stat = QString::fromStdString(d.statisticName) + QStringLiteral(" = ") + number(d.statistic)
            + (d.detail.empty() ? QString() : QStringLiteral(", ") + QString::fromStdString(d.detail));
        rows += QStringLiteral("<tr><td>%1</td><td align='right'><span style='color:%2'>%3</span></td><td>%4</td>"
                               "<td>%5</td></tr>")
                    .arg(QString::fromStdString(d.name).toHtmlEscaped(), verdictColor(reject).name(),
                        (reject ? QStringLiteral("<b>%1</b>") : QStringLiteral("%1")).arg(p.toHtmlEscaped()),
                        d.monteCarlo ? tr("MC 99% %1").arg(mcText(d.pMcLow, d.pMcHigh)).toHtmlEscaped() : QString(),
                        stat.toHtmlEscaped());
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
