// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/FileOrFolderDialog.h"

#include <QFileInfo>

namespace deltascope::ui {

FileOrFolderDialog::FileOrFolderDialog(
    QWidget* parent, const QString& title, const QString& directory, const QString& filter)
    : QFileDialog(parent, title, directory, filter)
{
    setObjectName(QStringLiteral("FileOrFolderDialog"));
    // The platform dialogs choose files or folders, never either.
    setOption(QFileDialog::DontUseNativeDialog, true);
    setFileMode(QFileDialog::ExistingFile);
    setAcceptMode(QFileDialog::AcceptOpen);
}

void FileOrFolderDialog::accept()
{
    const QStringList files = selectedFiles();
    const QString path = files.isEmpty() ? QString() : files.front();
    if (!path.isEmpty() && QFileInfo(path).isDir()) {
        m_chosen = path;
        QDialog::accept();
        return;
    }
    QFileDialog::accept();
    if (result() == QDialog::Accepted)
        m_chosen = path;
}

QString FileOrFolderDialog::getPath(
    QWidget* parent, const QString& title, const QString& directory, const QString& filter)
{
    FileOrFolderDialog dialog(parent, title, directory, filter);
    return dialog.exec() == QDialog::Accepted ? dialog.chosen() : QString();
}

} // namespace deltascope::ui
