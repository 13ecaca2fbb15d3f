// File > Add Model…: a Hugging Face model folder (or a Hugging Face cache folder) described
// before it is added, from its config.json and file sizes alone: architecture, parameters,
// dtype and size on disk, context length, tokenizer, the memory that chatting with it and fully
// fine-tuning it take, and its own chat template with a preview. Add records it in the project
// as a base model (core/train/base_model.h; the CLI twin is `rlhf model add`): a start for
// fine-tuning in the stage wizard and a contestant in chat and the arena.
#pragma once

#include <QDialog>
#include <QString>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace rlhf::widgets {

class AddModelDialog : public QDialog {
    Q_OBJECT
public:
    explicit AddModelDialog(const QString& project, QWidget* parent = nullptr);
    ~AddModelDialog() override;

    // Describes `folder` as if the user had chosen it (also what Browse… ends in).
    void setFolder(const QString& folder);
    // The name the model was added as; empty until Add succeeded.
    const QString& addedName() const { return m_addedName; }

    QLineEdit* folderEdit() const { return m_folder; }
    QLineEdit* nameEdit() const { return m_name; }
    QPushButton* addButton() const { return m_add; }
    QLabel* summary() const { return m_summary; }
    QLabel* problem() const { return m_problem; }
    QPlainTextEdit* templatePreview() const { return m_preview; }

private:
    void describe(); // the folder edit's folder, into the summary and preview
    void add();

    QString m_project;
    QString m_addedName;
    QString m_suggestedName; // what describe() last put in the name field
    QLineEdit* m_folder = nullptr;
    QLineEdit* m_name = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_problem = nullptr;
    QPlainTextEdit* m_preview = nullptr;
    QPushButton* m_add = nullptr;
};

} // namespace rlhf::widgets
