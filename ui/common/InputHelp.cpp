// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/InputHelp.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace deltascope::ui {

QString inputHelpHtml()
{
    const auto code
        = [](const char* text) { return QStringLiteral("<pre>%1</pre>").arg(QString::fromUtf8(text).toHtmlEscaped()); };
    return QObject::tr("<h2>How to produce these files</h2>"
                       "<p>A comparison needs the <b>per-sample</b> results of two runs over the same samples: the "
                       "baseline and the candidate (the quantized model, the new kernel, the serving change). "
                       "Summary scores alone cannot be paired.</p>"
                       "<h3>LM Evaluation Harness</h3><p>Run each model with <code>--log_samples</code>:</p>")
        + code("lm_eval --model hf --model_args pretrained=MODEL --tasks arc_easy,mmlu,gsm8k \\\n"
               "    --log_samples --output_path runs/baseline\n"
               "lm_eval --model hf --model_args pretrained=MODEL-W4A16 --tasks arc_easy,mmlu,gsm8k \\\n"
               "    --log_samples --output_path runs/candidate")
        + QObject::tr("<p>Drop each output folder (or its <code>results_*.json</code> or a "
                      "<code>samples_*.jsonl</code>) on its box. A folder with several runs opens a picker.</p>"
                      "<h3>Inspect</h3><p>Each <code>inspect eval</code> writes a log (<code>.eval</code>, or "
                      "<code>.json</code> with <code>--log-format json</code>):</p>")
        + code("inspect eval TASK --model openai/gpt-4o --log-dir logs/baseline\n"
               "inspect eval TASK --model openai/gpt-4o-mini --log-dir logs/candidate")
        + QObject::tr("<p>Drop one log per side, or the folders.</p>"
                      "<h3>HELM</h3><p><code>helm-run</code> writes one folder per run under "
                      "<code>benchmark_output/runs/SUITE/</code>; drop a run folder (it holds "
                      "<code>per_instance_stats.json</code>) per side.</p>"
                      "<h3>Any other harness: a score table</h3><p>A CSV, TSV or JSONL file per model with an id "
                      "column and a score column (1/0, or any number), optionally a task column:</p>")
        + code("prompt_id,score\nq-0001,1\nq-0002,0")
        + QObject::tr("<p>A small dialog maps the columns when their names are not obvious.</p>"
                      "<h3>Router traces (expert sharing)</h3><p>Record the router of a Hugging Face MoE model "
                      "with the exporter shipped with Deltascope:</p>")
        + code("python3 export_hf_router_trace.py --model allenai/OLMoE-1B-7B-0924 \\\n"
               "    --prompts prompts.txt --max-new-tokens 128 --output olmoe.safetensors")
        + QObject::tr("<p>Also read: per-token JSONL router records (request, layer, token, expert ids, scores), "
                      "Megatron-Core <code>router_trace_rank*.jsonl</code> folders, vLLM routing logs, dense "
                      "<code>.npy</code> arrays; and expert load counts (SGLang's "
                      "<code>layer_id,expert_id,count</code> CSV, or JSON <code>logical_count</code>) for load "
                      "heatmaps and placement.</p>"
                      "<p>The command line converts and inspects them too: <code>deltascope-cli formats</code> "
                      "lists every format.</p>");
}

void showInputHelp(QWidget* parent)
{
    static QPointer<QDialog> open;
    if (open) {
        open->raise();
        open->activateWindow();
        return;
    }
    auto* dialog = new QDialog(parent);
    dialog->setObjectName(QStringLiteral("inputHelp"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QObject::tr("How to produce these files"));
    auto* browser = new QTextBrowser(dialog);
    browser->setOpenExternalLinks(true);
    browser->setHtml(inputHelpHtml());
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(browser, 1);
    layout->addWidget(buttons);
    dialog->resize(720, 600);
    open = dialog;
    dialog->show();
}

WelcomePanel::WelcomePanel(const QString& title, const QString& body, QWidget* parent)
    : QWidget(parent)
    , m_text(new QLabel(this))
{
    setObjectName(QStringLiteral("welcome"));
    m_text->setObjectName(QStringLiteral("welcomeText"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_text->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_text->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_text->setText(QStringLiteral("<h2>%1</h2>%2").arg(title, body));
    m_text->setMaximumWidth(760);
    connect(m_text, &QLabel::linkActivated, this, [this](const QString& link) {
        if (link == QStringLiteral("#demo"))
            emit demoRequested();
        else if (link == QStringLiteral("#help"))
            showInputHelp(this);
    });
    // In a scroll area: on a small screen the text scrolls rather than setting the window's size.
    auto* inner = new QWidget;
    auto* innerLayout = new QVBoxLayout(inner);
    innerLayout->setContentsMargins(24, 12, 24, 12);
    innerLayout->addWidget(m_text); // no alignment flag: a wrapped label then gets the height it needs
    innerLayout->addStretch(1);
    auto* scroll = new QScrollArea(this);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setWidget(inner);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
}

QString WelcomePanel::text() const
{
    return m_text->text();
}

} // namespace deltascope::ui
