#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace deltascope::ui {

/// Where one side of the comparison is chosen: drop a folder or file on it, or browse.
class DropZone : public QFrame {
    Q_OBJECT
public:
    DropZone(const QString& title, QWidget* parent = nullptr);

    QString path() const { return m_path; }
    void setPath(const QString& path, const QString& detail = {});

signals:
    void pathChosen(const QString& path);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void browse(bool folder);
    void setHighlighted(bool on);
    QString m_title;
    QString m_path;
    QLabel* m_label;
};

} // namespace deltascope::ui
