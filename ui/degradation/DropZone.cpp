// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/DropZone.h"

#include "common/AppSettings.h"

#include <QDir>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QSizePolicy>
#include <QToolButton>
#include <algorithm>

namespace deltascope::ui {

DropZone::DropZone(const QString& title, QWidget* parent)
    : QFrame(parent)
    , m_title(title)
    , m_emptyHint(tr("drop an lm-eval folder, an Inspect log or a score table here"))
    , m_fileFilter(tr("Evaluation files (*.json *.jsonl *.eval *.csv *.tsv);;All files (*)"))
    , m_label(new QLabel(this))
    , m_folder(new QToolButton(this))
    , m_file(new QToolButton(this))
{
    setAcceptDrops(true);
    setFrameShape(QFrame::StyledPanel);
    setFrameShadow(QFrame::Sunken);
    setMinimumHeight(56);
    m_label->setWordWrap(true);
    // The label takes the room the layout gives it: a long file name is cut to fit instead of
    // widening the zone (and the panel holding it) past the window.
    m_label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_folder->setText(tr("Folder…"));
    m_folder->setToolTip(tr("Choose an lm-eval output folder"));
    m_file->setText(tr("File…"));
    m_file->setToolTip(tr("Choose a results/samples file or an id/score table (CSV, TSV, JSONL)"));
    connect(m_folder, &QToolButton::clicked, this, [this] { browse(true); });
    connect(m_file, &QToolButton::clicked, this, [this] { browse(false); });
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(m_label, 1);
    m_label->installEventFilter(this);
    layout->addWidget(m_folder);
    layout->addWidget(m_file);
    setPath({});
}

void DropZone::setPrompts(
    const QString& emptyHint, const QString& folderTip, const QString& fileTip, const QString& fileFilter)
{
    m_emptyHint = emptyHint;
    m_fileFilter = fileFilter;
    m_folder->setToolTip(folderTip);
    m_file->setToolTip(fileTip);
    if (m_path.isEmpty())
        setPath({});
}

void DropZone::setPath(const QString& path, const QString& detail)
{
    m_path = path;
    m_detail = detail;
    m_label->setToolTip(path.isEmpty() || !detail.isEmpty() ? QString() : QDir::toNativeSeparators(path));
    updateLabel();
}

QString DropZone::shownFolder(const QString& path)
{
    QString folder = QFileInfo(path).absolutePath();
    const QString home = QDir::homePath();
    if (home.size() > 1 && (folder == home || folder.startsWith(home + QLatin1Char('/'))))
        folder = QLatin1Char('~') + folder.mid(home.size());
    return QDir::toNativeSeparators(folder);
}

void DropZone::updateLabel()
{
    if (m_path.isEmpty()) {
        m_label->setText(QStringLiteral("<b>%1</b><br><span style='color:gray'>%2</span>")
                             .arg(m_title, m_emptyHint.toHtmlEscaped()));
        return;
    }
    // A given detail may wrap; the folder stays on one line, cut in the middle to the label's width
    // (the whole path is the tooltip).
    QString second = m_detail;
    if (second.isEmpty()) {
        second = tr("in %1").arg(shownFolder(m_path));
        const int width = m_label->contentsRect().width();
        if (width > 40)
            second = m_label->fontMetrics().elidedText(second, Qt::ElideMiddle, width);
    }
    // The name follows the title while it fits there; else it takes a line of its own, cut in the
    // middle only when even that is too short.
    QString name = QFileInfo(m_path).fileName();
    QString separator = QStringLiteral(": ");
    if (const int width = m_label->contentsRect().width(); width > 40) {
        QFont bold = m_label->font();
        bold.setBold(true);
        const int title = QFontMetrics(bold).horizontalAdvance(m_title + separator);
        if (title + m_label->fontMetrics().horizontalAdvance(name) > width) {
            separator = QStringLiteral(":<br>");
            name = m_label->fontMetrics().elidedText(name, Qt::ElideMiddle, width);
        }
    }
    const QString text = QStringLiteral("<b>%1</b>%2%3<br><span style='color:gray'>%4</span>")
                             .arg(m_title, separator, name.toHtmlEscaped(), second.toHtmlEscaped());
    if (text != m_label->text())
        m_label->setText(text);
}

bool DropZone::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_label && event->type() == QEvent::Resize)
        updateLabel();
    return QFrame::eventFilter(watched, event);
}

void DropZone::browse(bool folder)
{
    AppSettings settings;
    const QString chosen = folder
        ? QFileDialog::getExistingDirectory(
            this, tr("%1: lm-eval output folder").arg(m_title), settings.lastDirectory())
        : QFileDialog::getOpenFileName(
            this, tr("%1: results, samples or score table").arg(m_title), settings.lastDirectory(), m_fileFilter);
    if (chosen.isEmpty())
        return;
    settings.setLastDirectory(QFileInfo(chosen).absolutePath());
    setPath(chosen);
    emit pathChosen(chosen);
}

void DropZone::setHighlighted(bool on)
{
    setFrameShadow(on ? QFrame::Raised : QFrame::Sunken);
    setBackgroundRole(on ? QPalette::Highlight : QPalette::Window);
    setAutoFillBackground(on);
}

void DropZone::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls() && event->mimeData()->urls().first().isLocalFile()) {
        setHighlighted(true);
        event->acceptProposedAction();
    }
}

void DropZone::dragLeaveEvent(QDragLeaveEvent*)
{
    setHighlighted(false);
}

void DropZone::dropEvent(QDropEvent* event)
{
    setHighlighted(false);
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    const QString path = urls.first().toLocalFile();
    setPath(path);
    event->acceptProposedAction();
    emit pathChosen(path);
}

} // namespace deltascope::ui
