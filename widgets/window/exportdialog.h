// Run > Export Checkpoint…: a checkpoint (or base model) written as a file other tools run, on a
// worker thread with a progress bar: GGUF for llama.cpp, Ollama and LM Studio (f16, q8_0, bf16
// or f32, with the tokenizer and the chat template: core/model/gguf_export.h), or a plain
// Hugging Face folder in another dtype without the training state (a checkpoint already is a
// Hugging Face folder; this one is for sharing). Written into the project's exports/ folder
// unless the user picks another place: a typed path is taken relative to the project, a GGUF file
// gets ".gguf" when it has no extension, a folder typed for either format receives the suggested
// name. An existing target is replaced only after the user confirms, and only once the new one is
// complete (written beside it as <target>.partial). The result says where it went and its size.
// The CLI twin is `rlhf export`. A LoRA adapter checkpoint is exported merged into its base;
// Run > Merge LoRA Adapter… opens the dialog for just that (adapters only, a Hugging Face
// folder: a standalone model).
#pragma once

#include <QDialog>
#include <QFutureWatcher>
#include <QString>

#include "widgets/chat/checkpointchoices.h"

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace rlhf::widgets {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    enum class Purpose { Export, MergeAdapter };
    // `checkpoint`: the project-relative (or absolute) folder chosen first; empty: the newest.
    ExportDialog(const QString& project, const QString& checkpoint, QWidget* parent = nullptr,
                 Purpose purpose = Purpose::Export);
    ~ExportDialog() override;

    QComboBox* checkpointCombo() const { return m_checkpoint; }
    QComboBox* formatCombo() const { return m_format; }
    QComboBox* typeCombo() const { return m_type; }
    QLineEdit* outputEdit() const { return m_output; }
    QPushButton* exportButton() const { return m_export; }
    QProgressBar* progressBar() const { return m_progress; }
    QLabel* resultLabel() const { return m_result; }
    QLabel* adapterLabel() const { return m_adapter; } // what an adapter export writes
    bool isExporting() const { return m_watcher.isRunning(); }

    void reject() override; // not while an export is being written

    // Where an export of `format` ("gguf" or "hf") typed as `typed` goes: absolute (relative to
    // `project`), a GGUF file with ".gguf" when it had no extension, a Hugging Face folder without
    // a typed ".gguf", and `suggestedName` inside a folder (one ending in '/', or an existing
    // folder for GGUF). Empty for an empty `typed`.
    static QString resolveOutput(const QString& typed, const QString& format,
                                 const QString& project, const QString& suggestedName);

Q_SIGNALS:
    void finished(bool ok); // an export ended; the result label says how

private:
    void suggestOutput();          // exports/<checkpoint>-<type>.gguf (or a folder) in the project
    QString suggestedName() const; // <checkpoint>-<type>.gguf, or the folder's name
    // Asks before an existing `output` is replaced; true when it may be.
    bool confirmReplace(const QString& output);
    void describeAdapter(); // the adapter label, for the chosen checkpoint
    void start();
    void onProgress(qint64 done, qint64 total);
    void onDone();

    QString m_project;
    Purpose m_purpose;
    std::vector<CheckpointChoice> m_choices;
    QComboBox* m_checkpoint = nullptr;
    QLabel* m_adapter = nullptr;
    QComboBox* m_format = nullptr;
    QComboBox* m_type = nullptr;
    QLineEdit* m_output = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_close = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_result = nullptr;
    QFutureWatcher<QString> m_watcher; // the export's summary, or "error: ..."
};

} // namespace rlhf::widgets
