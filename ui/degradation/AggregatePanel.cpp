#include "degradation/AggregatePanel.h"

#include "common/Format.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

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
    m_alpha->setToolTip(tr("Family-wise significance level: per task (Holm) and across tasks (alpha/3 per test)"));
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
    m_verdict->setText(r->degraded ? tr("Candidate is worse") : tr("No degradation detected"));
    m_verdict->setStyleSheet(QStringLiteral("color: %1").arg(verdictColor(r->degraded).name()));
    m_basis->setText(QString::fromStdString(r->decisionBasis) + QLatin1Char('.'));
    if (r->hasContinuous) {
        m_tests->setText(tr("Continuous metrics: the pooled sign-flip permutation test decides."));
    } else {
        const double each = r->alpha / 3;
        auto row = [&](const QString& name, double p, const QString& detail) {
            const bool reject = p < each;
            return QStringLiteral(
                "<tr><td>%1</td><td align='right'><span style='color:%2'>%3</span></td><td>%4</td></tr>")
                .arg(name, verdictColor(reject).name(),
                    (reject ? QStringLiteral("<b>%1</b>") : QStringLiteral("%1")).arg(pValue(p)), detail);
        };
        m_tests->setText(QStringLiteral("<table cellspacing='0' cellpadding='2'>")
            + row(tr("pooled"), r->aggregate.pooled.pValue,
                tr("b = %1, c = %2").arg(r->aggregate.pooled.b).arg(r->aggregate.pooled.c))
            + row(tr("Fisher"), r->aggregate.fisher.pValue, QString())
            + row(tr("max-drop"), r->aggregate.maxDrop.pValue, QString())
            + QStringLiteral("</table><small>each held to alpha/3 = %1</small>").arg(number(each)));
    }
    if (r->permutation.present)
        m_permutation->setText(tr("p = %1 (%2 permutations, seed %3)")
                                   .arg(pValue(r->permutation.pValue))
                                   .arg(r->permutation.permutations)
                                   .arg(r->permutation.seed));
    else
        m_permutation->setText(tr("Not run (every metric is binary: the exact tests decide)."));
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
