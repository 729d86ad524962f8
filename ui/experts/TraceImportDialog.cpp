// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/TraceImportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

namespace deltascope::ui {

namespace {

QSpinBox* countBox(int hi, std::int64_t value, const QString& zero, QWidget* parent)
{
    auto* box = new QSpinBox(parent);
    box->setRange(0, hi);
    box->setValue(static_cast<int>(value));
    box->setSpecialValueText(zero);
    return box;
}

} // namespace

TraceImportDialog::TraceImportDialog(const TraceImport& current, QWidget* parent)
    : QDialog(parent)
    , m_topK(countBox(4096, current.topK, tr("from the file"), this))
    , m_experts(countBox(1 << 20, current.options.experts, tr("from the file"), this))
    , m_scoreKind(new QComboBox(this))
    , m_normTopk(new QCheckBox(tr("the model renormalises its top-k weights"), this))
    , m_model(new QLineEdit(QString::fromStdString(current.options.model), this))
    , m_tokensPerRequest(countBox(1 << 24, current.options.tokensPerRequest, tr("1"), this))
    , m_skipBadLines(new QCheckBox(tr("skip malformed records (each is listed as a warning)"), this))
    , m_splitRuns(new QCheckBox(tr("the file holds several runs appended: split them (each repeat of a record "
                                   "starts a new run)"),
          this))
    , m_keepWarmup(new QCheckBox(tr("keep warm-up passes (vLLM logs: passes that route every token alike, "
                                    "left out by default)"),
          this))
{
    setWindowTitle(tr("Trace import options"));
    setObjectName(QStringLiteral("TraceImportDialog"));
    m_scoreKind->addItem(tr("probabilities"), int(moe::ScoreKind::Probs));
    m_scoreKind->addItem(tr("logits (softmax taken)"), int(moe::ScoreKind::Logits));
    m_scoreKind->addItem(tr("sigmoid"), int(moe::ScoreKind::Sigmoid));
    m_scoreKind->setCurrentIndex(std::max(0, m_scoreKind->findData(int(current.options.scoreKind))));
    m_normTopk->setChecked(current.options.normTopkProb);
    m_model->setPlaceholderText(tr("from the file"));
    m_tokensPerRequest->setMinimum(1);
    m_skipBadLines->setChecked(current.options.skipBadLines);
    m_splitRuns->setChecked(current.options.splitRuns);
    m_keepWarmup->setChecked(current.options.keepUniformPasses);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Model's top-k (needed for .npy)"), m_topK);
    form->addRow(tr("Experts"), m_experts);
    form->addRow(tr("Recorded values are"), m_scoreKind);
    form->addRow(QString(), m_normTopk);
    form->addRow(tr("Model name"), m_model);
    form->addRow(tr("Tokens per request (.npy)"), m_tokensPerRequest);
    form->addRow(QString(), m_skipBadLines);
    form->addRow(QString(), m_splitRuns);
    form->addRow(QString(), m_keepWarmup);
    const auto& k = current.options.keys;
    const std::pair<QString, std::string> keys[6] = { { tr("JSONL request key"), k.request },
        { tr("JSONL layer key"), k.layer }, { tr("JSONL token key"), k.token }, { tr("JSONL experts key"), k.experts },
        { tr("JSONL scores key"), k.scores }, { tr("JSONL step key"), k.step } };
    for (int i = 0; i < 6; ++i) {
        m_keys[i] = new QLineEdit(QString::fromStdString(keys[i].second), this);
        m_keys[i]->setPlaceholderText(tr("default"));
        form->addRow(keys[i].first, m_keys[i]);
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

TraceImport TraceImportDialog::value() const
{
    TraceImport t;
    t.topK = m_topK->value();
    t.options.experts = m_experts->value();
    t.options.scoreKind = static_cast<moe::ScoreKind>(m_scoreKind->currentData().toInt());
    t.options.normTopkProb = m_normTopk->isChecked();
    t.options.model = m_model->text().trimmed().toStdString();
    t.options.tokensPerRequest = m_tokensPerRequest->value();
    t.options.skipBadLines = m_skipBadLines->isChecked();
    t.options.splitRuns = m_splitRuns->isChecked();
    t.options.keepUniformPasses = m_keepWarmup->isChecked();
    std::string* keys[6] = { &t.options.keys.request, &t.options.keys.layer, &t.options.keys.token,
        &t.options.keys.experts, &t.options.keys.scores, &t.options.keys.step };
    for (int i = 0; i < 6; ++i)
        *keys[i] = m_keys[i]->text().trimmed().toStdString();
    return t;
}

bool importOptionsCanHelp(const QString& path, const QString& error)
{
    const QString lower = path.toLower();
    const bool readByOptions = lower.endsWith(QStringLiteral(".jsonl")) || lower.endsWith(QStringLiteral(".json"))
        || lower.endsWith(QStringLiteral(".ndjson")) || lower.endsWith(QStringLiteral(".npy"));
    // A file that is there (not a folder, not missing), and not a whole JSON document, which no
    // option reads as records.
    return readByOptions && QFileInfo(path).isFile()
        && !error.contains(QStringLiteral("a JSON document written over several lines"));
}

} // namespace deltascope::ui
