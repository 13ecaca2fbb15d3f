// The "Train a tokenizer" box of the stage wizard's data page: name, vocabulary size and
// pre-tokenizer pattern for a new tokenizer on the page's dataset, a Train button that runs a
// TokenizerJob (never on the GUI thread), its progress bar, Cancel, and the outcome or the core's
// error message.
#pragma once

#include <QGroupBox>
#include <QStringList>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace rlhf::widgets {

class TokenizerJob;

class TokenizerPanel : public QGroupBox {
    Q_OBJECT

public:
    explicit TokenizerPanel(const QString& projectPath, QWidget* parent = nullptr);

    // The dataset the next tokenizer learns from; empty disables training.
    void setDataset(const QString& dataset);
    // Names already taken; proposes a free default name ("bpe", "bpe-2", ...) when needed.
    void setExistingTokenizers(const QStringList& names);
    bool isRunning() const;

Q_SIGNALS:
    void runningChanged(bool running);
    // The tokenizer is recorded in the project and its token files are written.
    void trained(const QString& tokenizer);

private:
    void train();
    void updateButtons();

    QString m_projectPath;
    QString m_dataset;
    QStringList m_existing;
    TokenizerJob* m_job = nullptr; // owned by the panel (Qt parent), like the widgets below
    QLineEdit* m_name = nullptr;
    QSpinBox* m_vocab = nullptr;
    QComboBox* m_pattern = nullptr;
    QPushButton* m_train = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
};

} // namespace rlhf::widgets
