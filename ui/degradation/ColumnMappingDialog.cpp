#include "degradation/ColumnMappingDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>

namespace deltascope::ui {

namespace {

void keysOf(const QJsonObject& o, const QString& prefix, QStringList& out)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString key = prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key();
        if (it.value().isObject())
            keysOf(it.value().toObject(), key, out);
        else
            out << key;
    }
}

int guess(const QStringList& names, const QStringList& wanted)
{
    for (const auto& w : wanted) {
        const int i = static_cast<int>(names.indexOf(w));
        if (i >= 0)
            return i;
    }
    return -1;
}

} // namespace

QStringList ColumnMappingDialog::columnsOf(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray line = f.readLine(1 << 20).trimmed();
    if (line.startsWith('{')) {
        QStringList keys;
        keysOf(QJsonDocument::fromJson(line).object(), {}, keys);
        return keys;
    }
    const char sep = line.count('\t') > line.count(',') ? '\t' : ',';
    QStringList names;
    for (const QByteArray& part : line.split(sep)) {
        QString name = QString::fromUtf8(part).trimmed();
        if (name.size() >= 2 && name.startsWith(QLatin1Char('"')) && name.endsWith(QLatin1Char('"')))
            name = name.mid(1, name.size() - 2);
        names << name;
    }
    return names;
}

ColumnMappingDialog::ColumnMappingDialog(const QString& path, QWidget* parent)
    : QDialog(parent)
    , m_id(new QComboBox(this))
    , m_score(new QComboBox(this))
    , m_task(new QComboBox(this))
    , m_filter(new QComboBox(this))
{
    setWindowTitle(tr("Columns of %1").arg(QFileInfo(path).fileName()));
    const QStringList names = columnsOf(path);
    const QString none = tr("(none)");
    m_id->addItems(names);
    m_score->addItems(names);
    m_task->addItem(tr("(the file name)"));
    m_task->addItems(names);
    m_filter->addItem(none);
    m_filter->addItems(names);
    m_id->setCurrentIndex(qMax(0,
        guess(names,
            { QStringLiteral("doc_id"), QStringLiteral("id"), QStringLiteral("example_id"),
                QStringLiteral("prompt_id") })));
    m_score->setCurrentIndex(qMax(0,
        guess(names,
            { QStringLiteral("score"), QStringLiteral("acc"), QStringLiteral("correct"),
                QStringLiteral("exact_match") })));
    m_task->setCurrentIndex(1 + guess(names, { QStringLiteral("task"), QStringLiteral("subject") }));
    m_filter->setCurrentIndex(1 + guess(names, { QStringLiteral("filter") }));
    auto* form = new QFormLayout(this);
    form->addRow(new QLabel(tr("A score table: one row per sample. Which column holds what?"), this));
    form->addRow(tr("Sample id"), m_id);
    form->addRow(tr("Score"), m_score);
    form->addRow(tr("Task"), m_task);
    form->addRow(tr("Filter"), m_filter);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

eval::TableColumns ColumnMappingDialog::columns() const
{
    eval::TableColumns c;
    c.id = m_id->currentText().toStdString();
    c.score = m_score->currentText().toStdString();
    if (m_task->currentIndex() > 0)
        c.task = m_task->currentText().toStdString();
    if (m_filter->currentIndex() > 0)
        c.filter = m_filter->currentText().toStdString();
    return c;
}

} // namespace deltascope::ui
