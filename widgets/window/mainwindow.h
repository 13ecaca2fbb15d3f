// The studio's main window: a welcome page until a project is open, then the project's tabs
// (Runs: the run history beside the run dashboard; Data; Labeling; Arena; Chat), a log pane, and
// the menus that create/open projects and start, pause, cancel and resume runs. Training happens
// on the TrainingWorker's thread (or in worker processes); this class only reacts to signals.
// Its members are spread over mainwindow.cpp (building, menus, dialogs), mainwindowproject.cpp
// (opening projects), mainwindowruns.cpp (runs and their metrics), mainwindowinspectors.cpp and
// mainwindowpanes.cpp.
#pragma once

#include "widgets/window/etaestimator.h"
#include "widgets/window/trainingworker.h"

#include <QElapsedTimer>

#include <QMainWindow>
#include <QThread>

class QDockWidget;
class QStackedWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QTableView;
class QTabWidget;
class QAction;

namespace rlhf::eval {
struct ImproveOptions;
}

namespace rlhf::widgets {

class DataView;
class FeedbackImprover;
class HealthPanel;
class ArenaPane;
class LabelingPane;
class SingleChatPane;
class MetricPlot;
class ProcessRunner;
class RunDashboard;
class SystemPanel;
class WelcomePage;
class RankStatusPanel;
class RolloutView;
class RunListModel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens the project folder; false (after a message box) when it is no project.
    bool openProject(const QString& folder);
    QString projectFolder() const { return m_project; }
    // Reopens the most recent project when its folder is still there (the studio's start).
    bool openLastProject();
    // Creates the demo project in `folder` (or completes it) and opens it; false after a message.
    bool openDemoProject(const QString& folder);

    // Starts a stage document in the current project (what the wizard's Finish does).
    void startRun(const QString& documentJson);
    // A stage document file run by `processes` worker processes (ProcessRunner).
    void startProcessRun(const QString& document, int processes, qint64 steps);
    bool isTraining() const { return m_training; }
    // Improve from feedback without the dialog (mainwindowfeedback.cpp): plans it and starts its
    // first run; "" when it started, else why not (also in the log).
    QString startImprovement(const eval::ImproveOptions& options);
    FeedbackImprover* improver() const { return m_improver; }

    RunListModel* runModel() const { return m_runs; }
    RunDashboard* dashboard() const { return m_dashboard; }
    // The dashboard's chart of `metric` (null when it has none): "train/loss" by default.
    MetricPlot* plot(const QString& metric = "train/loss") const;
    SystemPanel* systemPanel() const { return m_system; }
    WelcomePage* welcomePage() const { return m_welcome; }
    QTabWidget* tabs() const { return m_tabs; }
    DataView* dataView() const { return m_data; }
    QTableView* runTable() const { return m_runTable; }
    RolloutView* rolloutView() const { return m_rollouts; }
    HealthPanel* healthPanel() const { return m_health; }
    // Beside the log while a multi-process run goes, and after it until the next run.
    RankStatusPanel* rankPanel() const { return m_rankPanel; }
    LabelingPane* labelingPane() const { return m_labeling; }
    ArenaPane* arenaPane() const { return m_arena; }    // null before a project is open
    SingleChatPane* chatPane() const { return m_chat; } // null before a project is open

public Q_SLOTS:
    void newProject();
    void openProjectDialog();
    void newRun();
    void togglePause();
    void cancelRun();
    void resumeSelectedRun();
    void compareSelectedConfigs();
    void openCheckpointsFolder();
    void openDemoProjectDialog(); // asks for a folder, then openDemoProject
    // View > Refresh (F5): runs, data sets, checkpoints and the dashboard read again from the
    // project, for what the CLI or a wizard wrote meanwhile.
    void refreshViews();
    void importData(); // File > Import data…: the ImportWizard, then its dataset in the Data tab
    void addModel();   // File > Add Model…: a Hugging Face model folder as a base model
    void exportCheckpoint(); // Run > Export Checkpoint…: GGUF or a Hugging Face folder
    void mergeAdapter();     // Run > Merge LoRA Adapter…: base + adapter as one HF folder
    // Run > Improve from Feedback… and the Chat tab's button: ImproveDialog, then the reward
    // model and DPO / PPO runs; `checkpoint` is the dialog's first choice.
    void improveFromFeedback(const QString& checkpoint = {});

Q_SIGNALS:
    void runFinished(qint64 runId, const QString& status);

protected:
    void closeEvent(QCloseEvent* event) override;
    bool event(QEvent* event) override; // coming back to the window refreshes the lists

private:
    template <typename Runner> void connectRunner(Runner* runner); // its signals to the window
    void buildMenus();
    void buildCentral();
    void updateActions();
    void rememberProject(const QString& folder);
    void rebuildRecentMenu();
    void showSelectedRuns();
    void showAbout();
    QWidget* buildInspectors(QWidget* plotPane); // plot over rollouts; run table over health
    void buildHumanPanes();                      // mainwindowpanes.cpp: Labeling, Arena, Chat
    void connectImprover();                      // mainwindowfeedback.cpp
    void openHumanPanes(const QString& folder);
    void refreshHumanPanes(); // after a run or an import: new checkpoints and datasets
    void showInspectors();    // follow the run selection
    void appendLog(const QString& line);
    void onMetrics(qint64 runId, const QList<MetricValue>& values);
    void onProgress(qint64 step, qint64 total);
    void onFinished(qint64 runId, const QString& status);
    QList<int> selectedRows() const;

    QString m_project;
    RunListModel* m_runs = nullptr;
    QTableView* m_runTable = nullptr;
    RunDashboard* m_dashboard = nullptr; // the Runs tab's charts
    SystemPanel* m_system = nullptr;     // above the charts
    QStackedWidget* m_pages = nullptr;   // the welcome page, then the project's tabs
    WelcomePage* m_welcome = nullptr;
    QElapsedTimer m_lastRefresh; // activation refreshes at most every few seconds
    EtaEstimator m_eta;
    RolloutView* m_rollouts = nullptr; // below the plot; shown for PPO / GRPO runs
    HealthPanel* m_health = nullptr;   // below the run table
    QPlainTextEdit* m_log = nullptr;
    QLabel* m_jobLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QMenu* m_recentMenu = nullptr;
    QAction *m_newRun = nullptr, *m_pause = nullptr, *m_cancel = nullptr, *m_resume = nullptr,
            *m_compare = nullptr, *m_openCheckpoints = nullptr, *m_refresh = nullptr;

    DataView* m_data = nullptr;         // the Data tab
    LabelingPane* m_labeling = nullptr; // the Labeling tab
    ArenaPane* m_arena = nullptr;       // the Arena tab, built per project
    SingleChatPane* m_chat = nullptr;   // the Chat tab, built per project
    QTabWidget* m_tabs = nullptr;
    QAction* m_importData = nullptr;
    QAction* m_addModel = nullptr;
    QAction* m_export = nullptr;
    QAction* m_merge = nullptr;
    QAction* m_improve = nullptr;
    FeedbackImprover* m_improver = nullptr;   // improve from feedback: its runs in sequence
    ProcessRunner* m_processRunner = nullptr; // several worker processes, when a run has them
    bool m_processRun = false;                // the live run is the process runner's
    RankStatusPanel* m_rankPanel = nullptr;   // the ranks of the last multi-process run
    QDockWidget* m_rankDock = nullptr;        // holds m_rankPanel, beside the log dock

    QThread m_thread;
    TrainingWorker* m_worker = nullptr; // lives on m_thread
    bool m_training = false;
    bool m_paused = false;
    qint64 m_liveRun = 0;
    QElapsedTimer m_runClock; // since the live run started, for the ETA
};

} // namespace rlhf::widgets
