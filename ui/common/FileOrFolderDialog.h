// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFileDialog>

namespace deltascope::ui {

/// An open dialog that takes a file or a folder: "Open" on a selected folder chooses it (a
/// double click still enters it). Runs are either (an lm-eval folder, or one results, samples or
/// score-table file), and a folder-only dialog hides the files.
class FileOrFolderDialog : public QFileDialog {
    Q_OBJECT
public:
    FileOrFolderDialog(QWidget* parent, const QString& title, const QString& directory, const QString& filter);

    QString chosen() const { return m_chosen; }
    /// Asks for a file or a folder; empty when cancelled.
    static QString getPath(QWidget* parent, const QString& title, const QString& directory, const QString& filter);

public slots:
    void accept() override;

private:
    QString m_chosen;
};

} // namespace deltascope::ui
