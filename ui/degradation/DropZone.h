// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFrame>

class QLabel;
class QPushButton;
class QToolButton;

namespace deltascope::ui {

/// Where one side of the comparison is chosen: drop a folder or file on it, or browse.
class DropZone : public QFrame {
    Q_OBJECT
public:
    DropZone(const QString& title, QWidget* parent = nullptr);

    QString path() const { return m_path; }
    /// The folder of a chosen path as the zone shows it: absolute, the home folder as "~".
    static QString shownFolder(const QString& path);
    void setPath(const QString& path, const QString& detail = {});
    /// What the zone asks for (by default an lm-eval run or a score table): the hint shown while
    /// it is empty, the buttons' tooltips and the file dialog's filter.
    void setPrompts(
        const QString& emptyHint, const QString& folderTip, const QString& fileTip, const QString& fileFilter);

signals:
    void pathChosen(const QString& path);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void browse(bool folder);
    void setHighlighted(bool on);
    void updateLabel();
    QString m_detail;
    QString m_title;
    QString m_path;
    QString m_emptyHint;
    QString m_fileFilter;
    QLabel* m_label;
    QToolButton* m_folder;
    QToolButton* m_file;
};

} // namespace deltascope::ui
