// The studio's Labeling tab: one comparison at a time (the prompt, then two responses side by
// side in an order drawn per item), judged with the keyboard: 1 left better, 2 right better,
// 3 tie, 4 both bad, Enter to commit, arrows to move, Ctrl+Z to undo. A label is committed to
// the project database before the pane moves on. Around it: the queue bar that fills the queue,
// progress, export to preference JSONL, and the annotators' agreement.
#pragma once

#include "widgets/labeling/labelsession.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <optional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTextBrowser;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class AgreementPanel;
class LabelQueueBar;

class LabelingPane : public QWidget {
    Q_OBJECT
public:
    explicit LabelingPane(QWidget* parent = nullptr);
    ~LabelingPane() override;

    // Opens the project's database (its own connection) and starts a session for the
    // annotator. Throws rlhf::Error when the folder holds no project.
    void setProject(const QString& project);
    // Starts a new session for `name` (the queue of items that annotator has not labelled).
    void setAnnotator(const QString& name);
    QString annotator() const;

    // Writes the labelled pairs of every annotator (majority per item) as preference JSONL;
    // returns the number of pairs. Throws rlhf::Error when the file cannot be written.
    qint64 exportLabels(const QString& file);

    LabelSession* session() const { return m_session.get(); }
    std::optional<ScreenChoice> chosen() const { return m_choice; }
    QTextBrowser* promptView() const { return m_prompt; }
    QTextBrowser* leftView() const { return m_left; }
    QTextBrowser* rightView() const { return m_right; }
    QLineEdit* commentEdit() const { return m_comment; }
    QLineEdit* annotatorEdit() const { return m_annotator; }
    QPushButton* choiceButton(ScreenChoice choice) const;
    QPushButton* submitButton() const { return m_submit; }
    QLabel* progressLabel() const { return m_progressText; }
    QLabel* statusLabel() const { return m_status; }
    LabelQueueBar* queueBar() const { return m_queueBar; }
    AgreementPanel* agreementPanel() const { return m_agreement; }

public Q_SLOTS:
    void choose(rlhf::widgets::ScreenChoice choice);
    void submit(); // commits the chosen judgment and moves on
    void skip();
    void back();
    void forward();
    void undo();
    void reloadQueue();    // picks up newly queued items
    void refreshSources(); // re-reads the datasets and checkpoints the queue bar offers
    void exportDialog();

Q_SIGNALS:
    // After the label is committed (the acknowledgement the labeler sees).
    void labelCommitted(qint64 item, const QString& judgment);
    void labelUndone(qint64 item);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void showCurrent();
    void showProgress();
    void setStatus(const QString& text);

    std::unique_ptr<store::Database> m_database;
    std::unique_ptr<LabelSession> m_session;
    std::optional<ScreenChoice> m_choice;
    QString m_project;

    QLineEdit* m_annotator = nullptr;
    LabelQueueBar* m_queueBar = nullptr;
    QTextBrowser* m_prompt = nullptr;
    QTextBrowser* m_left = nullptr;
    QTextBrowser* m_right = nullptr;
    QPushButton* m_choices[4] = {};
    QLineEdit* m_comment = nullptr;
    QPushButton* m_submit = nullptr;
    QLabel* m_progressText = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    AgreementPanel* m_agreement = nullptr;
};

} // namespace rlhf::widgets
