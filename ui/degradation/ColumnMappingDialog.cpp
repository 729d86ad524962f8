// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/ColumnMappingDialog.h"

#include "eval/TableLoader.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLabel>
#include <QRegularExpression>
#include <QSet>

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

// The value at a dotted path of a JSON object ("metadata.subject").
QJsonValue valueAt(const QJsonObject& o, const QString& dotted)
{
    QJsonValue v(o);
    for (const auto& part : dotted.split(QLatin1Char('.')))
        v = v.toObject().value(part);
    return v;
}

// The cells of one CSV or TSV line, read as the table loader reads them.
QStringList cellsOf(const QByteArray& line, char sep)
{
    std::vector<std::string> fields;
    std::size_t pos = 0;
    std::int64_t lines = 0;
    eval::splitCsvRecord(
        std::string_view(line.constData(), static_cast<std::size_t>(line.size())), pos, fields, lines, sep);
    QStringList cells;
    for (const auto& f : fields)
        cells << QString::fromStdString(f).trimmed();
    return cells;
}

// The columns whose values in the first rows are all numbers (or true/false), with at least one
// value: those a score can be read from.
QSet<QString> numericColumns(const QString& path, const QStringList& names)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray header = f.readLine(1 << 20).trimmed();
    const bool json = header.startsWith('{');
    const char sep = header.count('\t') > header.count(',') ? '\t' : ',';
    std::vector<int> seen(static_cast<std::size_t>(names.size()), 0); // -1: a value that is not a number
    const auto note = [&](int column, const QString& text) {
        auto& s = seen[static_cast<std::size_t>(column)];
        if (text.isEmpty() || s < 0)
            return;
        bool number = false;
        text.toDouble(&number);
        number = number || text == QStringLiteral("true") || text == QStringLiteral("false");
        s = number ? s + 1 : -1;
    };
    QList<QByteArray> rows;
    if (json)
        rows << header;
    for (int n = 0; n < 50 && !f.atEnd(); ++n)
        rows << f.readLine(1 << 20).trimmed();
    for (const QByteArray& row : rows) {
        if (json) {
            const QJsonObject o = QJsonDocument::fromJson(row).object();
            for (int c = 0; c < names.size(); ++c) {
                const QJsonValue v = valueAt(o, names[c]);
                note(c, v.isDouble() ? QStringLiteral("0") : v.isBool() ? QStringLiteral("true") : v.toString());
            }
        } else if (!row.isEmpty()) {
            const QStringList cells = cellsOf(row, sep);
            for (int c = 0; c < names.size() && c < cells.size(); ++c)
                note(c, cells[c]);
        }
    }
    QSet<QString> out;
    for (int c = 0; c < names.size(); ++c)
        if (seen[static_cast<std::size_t>(c)] > 0)
            out.insert(names[c]);
    return out;
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
    return cellsOf(line, line.count('\t') > line.count(',') ? '\t' : ',');
}

bool ColumnMappingDialog::fits(const QString& path, const eval::TableColumns& c)
{
    const QStringList names = columnsOf(path);
    for (const std::string* col : { &c.id, &c.score, &c.task, &c.filter, &c.prompt, &c.response, &c.target })
        if (!col->empty() && !names.contains(QString::fromStdString(*col)))
            return false;
    return true;
}

ColumnMappingDialog::ColumnMappingDialog(
    const QString& path, QWidget* parent, const eval::TableColumns* preset, const QString& side)
    : QDialog(parent)
    , m_id(new QComboBox(this))
    , m_score(new QComboBox(this))
    , m_task(new QComboBox(this))
    , m_filter(new QComboBox(this))
    , m_prompt(new QComboBox(this))
    , m_response(new QComboBox(this))
    , m_target(new QComboBox(this))
    , m_both(new QCheckBox(tr("Use for both sides"), this))
    , m_heading(new QLabel(this))
{
    setWindowTitle(tr("Columns of %1").arg(QFileInfo(path).fileName()));
    const QStringList names = columnsOf(path);
    const QString none = tr("(none)");
    m_id->setObjectName(QStringLiteral("idColumn"));
    m_score->setObjectName(QStringLiteral("scoreColumn"));
    m_id->addItems(names);
    m_score->addItems(names);
    m_task->addItem(tr("(the file name)"));
    m_task->addItems(names);
    for (QComboBox* optional : { m_filter, m_prompt, m_response, m_target }) {
        optional->addItem(none);
        optional->addItems(names);
    }
    // The id: a usual name, else a name ending in "id", else the first column that is not numbers.
    const QSet<QString> numeric = numericColumns(path, names);
    int id = guess(names,
        { QStringLiteral("doc_id"), QStringLiteral("id"), QStringLiteral("example_id"), QStringLiteral("prompt_id") });
    // "qid", "question_id", "item-id", "sampleId" (not "valid" or "paid").
    static const QRegularExpression idName(
        QStringLiteral("^([qQ]|[uU]|[uU][uU])[iI][dD]$|[_\\-. ][iI][dD]$|[a-z]Id$|[a-z]ID$|^[kK]ey$"));
    for (int c = 0; c < names.size() && id < 0; ++c)
        if (idName.match(names[c]).hasMatch() && !numeric.contains(names[c]))
            id = c;
    for (int c = 0; c < names.size() && id < 0; ++c)
        if (!numeric.contains(names[c]))
            id = c;
    m_id->setCurrentIndex(qMax(0, id));
    // With no usual score name, the first column of numbers that is not the id's or the task's;
    // else never the id's column: the next one (a table is id, score, ... more often than not).
    const int task = guess(names, { QStringLiteral("task"), QStringLiteral("subject") });
    int score = guess(names,
        { QStringLiteral("score"), QStringLiteral("acc"), QStringLiteral("correct"), QStringLiteral("exact_match") });
    for (int c = 0; c < names.size() && score < 0; ++c)
        if (c != m_id->currentIndex() && c != task && numeric.contains(names[c]))
            score = c;
    if (score < 0)
        score = names.size() > 1 && m_id->currentIndex() == 0 ? 1 : 0;
    m_score->setCurrentIndex(score);
    m_task->setCurrentIndex(1 + task);
    m_filter->setCurrentIndex(1 + guess(names, { QStringLiteral("filter") }));
    m_prompt->setCurrentIndex(
        1 + guess(names, { QStringLiteral("prompt"), QStringLiteral("input"), QStringLiteral("question") }));
    m_response->setCurrentIndex(1
        + guess(names,
            { QStringLiteral("response"), QStringLiteral("output"), QStringLiteral("completion"),
                QStringLiteral("prediction") }));
    m_target->setCurrentIndex(1
        + guess(names,
            { QStringLiteral("target"), QStringLiteral("gold"), QStringLiteral("answer"), QStringLiteral("label") }));
    // The side and file this is about (a window manager may show no title), and why the other
    // side's columns are not simply taken.
    const QString file = QFileInfo(path).fileName().toHtmlEscaped();
    QString heading = side.isEmpty() ? tr("<b>%1</b> is a score table").arg(file)
                                     : tr("The %1, <b>%2</b>, is a score table").arg(side.toHtmlEscaped(), file);
    heading += tr(": one row per sample. Which column holds what?");
    const bool presetFits = preset && fits(path, *preset);
    if (preset && !presetFits) {
        QStringList wanted;
        for (const std::string* col : { &preset->id, &preset->score, &preset->task, &preset->filter, &preset->prompt,
                 &preset->response, &preset->target })
            if (!col->empty() && !names.contains(QString::fromStdString(*col)))
                wanted << QString::fromStdString(*col).toHtmlEscaped();
        heading += QStringLiteral("<br>")
            + (wanted.isEmpty() ? tr("The columns chosen for the other side are not all in this file.")
                                : tr("The other side's %1 %2 not in this file.")
                                      .arg(wanted.join(QStringLiteral(", ")),
                                          wanted.size() == 1 ? tr("column is") : tr("columns are")));
    }
    m_heading->setText(heading);
    m_heading->setWordWrap(true);
    m_heading->setObjectName(QStringLiteral("columnsHeading"));
    if (presetFits) {
        // The other side's mapping: the same task column above all, or the tasks would not pair.
        auto set = [](QComboBox* box, const std::string& name, int noneIndex) {
            const int i = name.empty() ? noneIndex : box->findText(QString::fromStdString(name));
            if (i >= 0)
                box->setCurrentIndex(i);
        };
        set(m_id, preset->id, -1);
        set(m_score, preset->score, -1);
        for (QComboBox* box : { m_task, m_filter, m_prompt, m_response, m_target })
            box->setCurrentIndex(0);
        set(m_task, preset->task, 0);
        set(m_filter, preset->filter, 0);
        set(m_prompt, preset->prompt, 0);
        set(m_response, preset->response, 0);
        set(m_target, preset->target, 0);
    }
    m_both->setChecked(true);
    m_both->setToolTip(tr("Read the other side's table with the same columns, without asking again"));
    auto* form = new QFormLayout(this);
    form->addRow(m_heading);
    form->addRow(tr("Sample id"), m_id);
    form->addRow(tr("Score"), m_score);
    form->addRow(tr("Task"), m_task);
    form->addRow(tr("Filter"), m_filter);
    form->addRow(new QLabel(tr("Shown beside each sample (optional):"), this));
    form->addRow(tr("Prompt"), m_prompt);
    form->addRow(tr("Response"), m_response);
    form->addRow(tr("Target"), m_target);
    form->addRow(m_both);
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
    auto optional = [](const QComboBox* box, std::string& out) {
        if (box->currentIndex() > 0)
            out = box->currentText().toStdString();
    };
    optional(m_task, c.task);
    optional(m_filter, c.filter);
    optional(m_prompt, c.prompt);
    optional(m_response, c.response);
    optional(m_target, c.target);
    return c;
}

QString ColumnMappingDialog::heading() const
{
    return m_heading->text();
}

bool ColumnMappingDialog::useForBothSides() const
{
    return m_both->isChecked();
}

} // namespace deltascope::ui
