// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/SampleView.h"

#include "common/Format.h"
#include "common/TextDiff.h"
#include "eval/SampleDetail.h"

#include <QFontMetrics>
#include <QLabel>
#include <QRegularExpression>
#include <QResizeEvent>
#include <QSplitter>
#include <QStyle>
#include <QTextBrowser>
#include <QTextDocument>
#include <QVBoxLayout>

namespace deltascope::ui {

namespace {

QString esc(const std::string& s)
{
    return QString::fromStdString(s).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
}

QString section(const QString& title, const QString& body)
{
    return QStringLiteral("<h4 style='margin:8px 0 2px 0'>%1</h4><div style='white-space:pre-wrap'>%2</div>")
        .arg(title, body.isEmpty() ? QStringLiteral("<i>-</i>") : body);
}

QString metricsHtml(const eval::SampleDetail& d)
{
    QString rows;
    for (const auto& [k, v] : d.metrics)
        rows += QStringLiteral("<tr><td>%1</td><td align='right'>%2</td></tr>").arg(esc(k), esc(v));
    return rows.isEmpty() ? QString() : QStringLiteral("<table cellspacing='0' cellpadding='2'>%1</table>").arg(rows);
}

QString hashesHtml(const eval::SampleDetail& d)
{
    QStringList parts;
    if (!d.docHash.empty())
        parts << QStringLiteral("doc %1").arg(esc(d.docHash.substr(0, 12)));
    if (!d.promptHash.empty())
        parts << QStringLiteral("prompt %1").arg(esc(d.promptHash.substr(0, 12)));
    if (!d.targetHash.empty())
        parts << QStringLiteral("target %1").arg(esc(d.targetHash.substr(0, 12)));
    return parts.join(QStringLiteral(" · "));
}

// One scored choice of a log-likelihood response ("[2] log-likelihood -4.27  <- picked").
struct ScoredChoice {
    int index = -1;
    double logLikelihood = 0;
    bool picked = false;
};

// The choices of a log-likelihood response, or none when the response is text.
std::vector<ScoredChoice> scoredChoices(const std::string& response)
{
    std::vector<ScoredChoice> out;
    static const QRegularExpression line(
        QStringLiteral("^\\[(\\d+)\\] log-likelihood (\\S+?)(, greedy)?(\\s+<- picked)?$"));
    const QStringList lines = QString::fromStdString(response).split(QLatin1Char('\n'));
    for (const QString& l : lines) {
        const auto m = line.match(l);
        if (!m.hasMatch())
            return {};
        ScoredChoice c;
        c.index = m.captured(1).toInt();
        bool ok = false;
        c.logLikelihood = m.captured(2).toDouble(&ok);
        c.picked = m.hasCaptured(4) && !m.captured(4).isEmpty();
        out.push_back(c);
    }
    return out;
}

int pickedOf(const std::vector<ScoredChoice>& choices)
{
    for (const auto& c : choices)
        if (c.picked)
            return c.index;
    return -1;
}

bool isNumber(const std::string& text)
{
    bool ok = false;
    QString::fromStdString(text).trimmed().toDouble(&ok);
    return ok;
}

// The log-likelihood of every choice as a table: the picked one in bold, marked when the other run
// picked another; each value beside the other run's, since the numbers themselves differ on
// every line and a character diff of them says nothing.
QString choicesHtml(const std::vector<ScoredChoice>& mine, const std::vector<ScoredChoice>& theirs, const QColor& mark)
{
    const bool differ = pickedOf(mine) != pickedOf(theirs);
    QString rows;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        const auto& c = mine[i];
        const QString change = i < theirs.size()
            ? QStringLiteral("<span style='color:gray'>(%1)</span>")
                  .arg(QString::number(c.logLikelihood - theirs[i].logLikelihood, 'f', 2))
            : QString();
        const QString value = QString::number(c.logLikelihood, 'f', 2);
        const QString style
            = c.picked && differ ? QStringLiteral(" style='background-color:%1'").arg(mark.name()) : QString();
        rows += QStringLiteral("<tr%1><td nowrap>[%2] %3 %4</td><td nowrap>%5</td></tr>")
                    .arg(style)
                    .arg(c.index)
                    .arg(c.picked ? QStringLiteral("<b>%1</b>").arg(value) : value, change,
                        c.picked ? QObject::tr("← picked") : QString());
    }
    return QStringLiteral("<table cellspacing='0' cellpadding='1'>%1</table><p style='color:gray'>%2</p>")
        .arg(rows,
            QObject::tr("log-likelihood of each choice (in brackets: minus the other run's); the highest is picked"));
}

} // namespace

QString markedHtml(const std::string& text, const std::vector<DiffSpan>& spans, const QColor& mark)
{
    QString out;
    for (const auto& s : spans) {
        const QString piece = esc(text.substr(s.begin, s.length));
        if (s.changed)
            out += QStringLiteral("<span style='background-color:%1'>%2</span>").arg(mark.name(), piece);
        else
            out += piece;
    }
    return out;
}

SampleView::SampleView(QWidget* parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_sides(new QSplitter(Qt::Horizontal, this))
    , m_prompt(new QTextBrowser(this))
    , m_base(new QTextBrowser(this))
    , m_cand(new QTextBrowser(this))
{
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_sides->addWidget(m_base);
    m_sides->addWidget(m_cand);
    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(m_prompt);
    vertical->addWidget(m_sides);
    vertical->setStretchFactor(0, 1);
    vertical->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_header);
    layout->addWidget(vertical, 1);
    clear();
}

int SampleView::sideBySideWidth() const
{
    // Each side's heading (a larger bold "Candidate") with the pane's margins and scroll bar.
    QFont heading = font();
    heading.setBold(true);
    heading.setPointSizeF(heading.pointSizeF() * 1.4);
    const int word = QFontMetrics(heading).horizontalAdvance(tr("Candidate"));
    const int chrome = 2 * m_base->frameWidth() + 2 * static_cast<int>(m_base->document()->documentMargin())
        + style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 8;
    return 2 * (word + chrome) + m_sides->handleWidth();
}

bool SampleView::sidesSideBySide() const
{
    return m_sides->orientation() == Qt::Horizontal;
}

void SampleView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    const Qt::Orientation want = width() < sideBySideWidth() ? Qt::Vertical : Qt::Horizontal;
    if (m_sides->orientation() != want)
        m_sides->setOrientation(want);
}

void SampleView::clear()
{
    m_header->setText(tr("Select a row of the disagreement table to read the sample."));
    m_prompt->clear();
    m_base->clear();
    m_cand->clear();
}

void SampleView::showPair(const ComparisonPtr& c, std::uint32_t task, std::uint32_t pair)
{
    const auto& pt = c->paired->tasks[task];
    const auto& bs = c->base->tasks[static_cast<std::size_t>(pt.baseTask)].samples[pt.baseIndex[pair]];
    const auto& cs = c->cand->tasks[static_cast<std::size_t>(pt.candTask)].samples[pt.candIndex[pair]];
    const auto b = eval::readSampleDetail(*c->base, bs);
    const auto d = eval::readSampleDetail(*c->cand, cs);
    const double diff = pt.difference(pair);
    m_header->setText(
        tr("<b>%1</b> · doc %2 · baseline %3, candidate %4 · <span style='color:%5'>%6</span>")
            .arg(visibleText(QString::fromStdString(pt.filter == "none" ? pt.task : pt.task + " [" + pt.filter + "]"))
                     .toHtmlEscaped(),
                visibleText(QString::fromStdString(bs.docId)).toHtmlEscaped(), number(pt.base[pair]),
                number(pt.cand[pair]), (diff > 0 ? regressionColor() : improvementColor()).name(),
                diff > 0 ? tr("regression") : (diff < 0 ? tr("improvement") : tr("same score"))));
    if (!b.ok() || !d.ok()) {
        const QString why = QString::fromStdString((!b.ok() ? b.error : d.error)->toString());
        m_prompt->setPlainText(why);
        m_base->clear();
        m_cand->clear();
        return;
    }
    const auto& bd = *b.value;
    const auto& cd = *d.value;
    // A row with nothing else to show (a score table's): both sides' records, each with its place.
    auto records = [&] {
        QString html;
        const bool both = !cd.raw.empty();
        html += section((both ? tr("Baseline record (%1:%2)") : tr("Record (%1:%2)"))
                            .arg(QString::fromStdString(bd.file).toHtmlEscaped())
                            .arg(bd.line),
            esc(bd.raw));
        if (both)
            html += section(
                tr("Candidate record (%1:%2)").arg(QString::fromStdString(cd.file).toHtmlEscaped()).arg(cd.line),
                esc(cd.raw));
        return html;
    };
    QString top;
    if (bd.prompt.empty() && bd.target.empty()) {
        top = records();
    } else {
        if (!bd.prompt.empty() || bd.raw.empty())
            top = section(tr("Prompt"), esc(bd.prompt));
        if (!bd.choices.empty()) {
            QString list;
            for (std::size_t i = 0; i < bd.choices.size(); ++i)
                list += QStringLiteral("[%1] %2<br>").arg(i).arg(esc(bd.choices[i]));
            top += section(tr("Choices"), list);
        }
        top += section(tr("Target"), esc(bd.target));
        if (bd.target != cd.target && !cd.target.empty())
            top += section(tr("Target (candidate)"), esc(cd.target));
        if (bd.prompt.empty() && !bd.raw.empty()) // a table without a prompt column: its row says the rest
            top += records();
        if (bd.promptHash != cd.promptHash && !bd.promptHash.empty() && !cd.promptHash.empty())
            top += QStringLiteral("<p style='color:%1'>%2</p>")
                       .arg(warningColor().name(), tr("The two runs saw different prompts (prompt hashes differ)."));
    }
    m_prompt->setHtml(top);

    const QColor mark = warningColor().lighter(diff == 0 ? 100 : 160);
    // Log-likelihood responses are compared choice by choice; numbers are shown as they are (a
    // character diff of two numbers marks digits, not meaning); text gets a word diff.
    const auto baseChoices = scoredChoices(bd.response);
    const auto candChoices = scoredChoices(cd.response);
    const bool scored = !baseChoices.empty() && !candChoices.empty();
    const bool numbers = isNumber(bd.response) && isNumber(cd.response);
    const bool plainFiltered = scored || (isNumber(bd.filtered) && isNumber(cd.filtered));
    const auto respDiff = diffWords(bd.response, cd.response);
    const auto filtDiff = diffWords(bd.filtered, cd.filtered);
    auto side = [&](const eval::SampleDetail& s, const std::vector<DiffSpan>& resp, const std::vector<DiffSpan>& filt,
                    const QString& who, const eval::RunInfo& info, bool candidate) {
        QString html = QStringLiteral("<h3 style='margin:2px 0'>%1 <small>%2</small></h3>")
                           .arg(who, QString::fromStdString(info.model).toHtmlEscaped());
        if (scored)
            html += section(tr("Response"),
                choicesHtml(candidate ? candChoices : baseChoices, candidate ? baseChoices : candChoices, mark));
        else
            html += section(tr("Response"), numbers ? esc(s.response) : markedHtml(s.response, resp, mark));
        QString filtered = plainFiltered ? esc(s.filtered) : markedHtml(s.filtered, filt, mark);
        if (scored && s.filtered == s.response)
            filtered = tr("<i>as the response</i>");
        else if (const auto mine = scoredChoices(s.filtered); scored && !mine.empty())
            filtered = choicesHtml(mine, scoredChoices(candidate ? bd.filtered : cd.filtered), mark);
        html += section(tr("Filtered answer"), filtered);
        html += section(tr("Metrics"), metricsHtml(s));
        const QString hashes = hashesHtml(s);
        if (!hashes.isEmpty())
            html += QStringLiteral("<p style='color:gray;font-size:small'>%1<br>%2:%3</p>")
                        .arg(hashes, QString::fromStdString(s.file).toHtmlEscaped())
                        .arg(s.line);
        return html;
    };
    m_base->setHtml(side(bd, respDiff.left, filtDiff.left, tr("Baseline"), c->base->info, false));
    m_cand->setHtml(side(cd, respDiff.right, filtDiff.right, tr("Candidate"), c->cand->info, true));
}

} // namespace deltascope::ui
