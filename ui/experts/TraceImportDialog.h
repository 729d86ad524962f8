// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/TraceImport.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace deltascope::ui {

/// How a router trace is read, for the formats that do not say everything themselves: the model's
/// k (.npy), the number of experts, how recorded values become scores, whether the model
/// renormalises its top-k weights, the model's name, tokens per request (.npy), the JSONL key
/// names, and whether malformed records are skipped.
struct TraceImport {
    std::int64_t topK = 0; ///< 0: the file's own
    moe::TraceImportOptions options;
};

/// Whether the import options can change how this file is read after this error: JSONL records
/// (keys, malformed lines) and .npy arrays (the model's top-k) that exist as files.
bool importOptionsCanHelp(const QString& path, const QString& error);

/// The dialog that edits a TraceImport (the command line's trace import options).
class TraceImportDialog : public QDialog {
    Q_OBJECT
public:
    TraceImportDialog(const TraceImport& current, QWidget* parent = nullptr);
    TraceImport value() const;

private:
    QSpinBox* m_topK;
    QSpinBox* m_experts;
    QComboBox* m_scoreKind;
    QCheckBox* m_normTopk;
    QLineEdit* m_model;
    QSpinBox* m_tokensPerRequest;
    QCheckBox* m_skipBadLines;
    QCheckBox* m_splitRuns;
    QCheckBox* m_keepWarmup;
    QLineEdit* m_keys[6];
};

} // namespace deltascope::ui
