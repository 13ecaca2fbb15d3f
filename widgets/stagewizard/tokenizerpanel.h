// The tokenizer box of the stage wizard's data page: name, vocabulary size and pre-tokenizer
// pattern for a new tokenizer on the page's dataset and a Train button; or one of the project's
// tokenizers and a Tokenize button that writes the dataset's token files with it. Either runs a
// TokenizerJob (never on the GUI thread) with a progress bar and Cancel, then shows the outcome
// (and a vocabulary smaller than asked for) or the core's error message.
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
struct TokenizerRequest;
struct TokenizerResult;

class TokenizerPanel : public QGroupBox {
    Q_OBJECT

public:
    explicit TokenizerPanel(const QString& projectPath, QWidget* parent = nullptr);

    // The dataset the next tokenizer learns from; empty disables training.
    void setDataset(const QString& dataset);
    // The project's tokenizers: offered to tokenize with, and names a new one may not take
    // (a free default name, "bpe", "bpe-2", ..., is proposed when needed).
    void setExistingTokenizers(const QStringList& names);
    bool isRunning() const;

Q_SIGNALS:
    void runningChanged(bool running);
    // The tokenizer is recorded in the project and the dataset's token files are written with
    // it: after training a new one, or after tokenizing with an existing one.
    void trained(const QString& tokenizer);

private:
    void train();
    void tokenizeWithExisting();
    void start(const TokenizerRequest& request, const QString& status);
    void showResult(const TokenizerResult& result);
    void updateButtons();

    QString m_projectPath;
    QString m_dataset;
    QStringList m_existing;
    TokenizerJob* m_job = nullptr; // owned by the panel (Qt parent), like the widgets below
    QLineEdit* m_name = nullptr;
    QSpinBox* m_vocab = nullptr;
    QComboBox* m_pattern = nullptr;
    QPushButton* m_train = nullptr;
    QComboBox* m_existingTokenizer = nullptr;
    QPushButton* m_tokenize = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
};

} // namespace rlhf::widgets
