// A new user's journey through the studio at 1024x640 and at 1600x1000: the welcome page (a
// recent project that is gone is shown as such), the demo project opened from it, the Data tab,
// a run started from the stage wizard (Finish goes to the Runs tab), its dashboard while it trains,
// paused (the run list says so), resumed and cancelled, a chart maximised, a data set written
// behind the studio's back shown after View > Refresh (F5), and the Labeling, Arena and Chat tabs.
// After every step the window keeps the size it was given: nothing in it asks for more room than
// the screen has. Screenshots: build/screenshots/journey-*.png (the README's dashboard picture).
#include "core/store/project.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/rundashboard.h"
#include "tests/support/walk_stage_wizard.h"
#include "widgets/window/dataview.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/runlistmodel.h"
#include "widgets/window/systempanel.h"
#include "widgets/window/welcomepage.h"

#include <QApplication>
#include <QDir>
#include <QListWidget>
#include <QSettings>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QtTest>

using namespace rlhf;
using widgets::MainWindow;
using widgets::RunListModel;

Q_DECLARE_METATYPE(QSize)

class TestStudioJourney : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    static void screenshot(QWidget& window, const QString& name)
    {
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
        const QString prefix =
            QGuiApplication::platformName() == QLatin1String("xcb") ? "xvfb-" : QString();
        QVERIFY(window.grab().save(RLHF_BINARY_DIR "/screenshots/" + prefix + name + ".png"));
    }

    // The window kept its size, and its content fits in it (a label that does not wrap, a long
    // path or a wide table would raise the minimum and, on a real screen, grow the window).
    static void fits(MainWindow& window, QSize size, const char* where)
    {
        QApplication::processEvents();
        const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
        QVERIFY2(
            window.size() == size,
            qPrintable(
                QString("%1: window %2x%3").arg(where).arg(window.width()).arg(window.height())));
        QVERIFY2(minimum.width() <= size.width() && minimum.height() <= size.height(),
                 qPrintable(QString("%1: content needs %2x%3")
                                .arg(where)
                                .arg(minimum.width())
                                .arg(minimum.height())));
    }

    static QString status(MainWindow& window, int row)
    {
        RunListModel* model = window.runModel();
        return model->data(model->index(row, RunListModel::Status), Qt::DisplayRole).toString();
    }

    static qsizetype lossPoints(MainWindow& window)
    {
        const widgets::MetricPlot* plot = window.plot("train/loss");
        return plot ? plot->allRows().size() : 0;
    }

private Q_SLOTS:
    void journey_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x640") << QSize(1024, 640);
        QTest::newRow("1600x1000") << QSize(1600, 1000);
    }

    void journey()
    {
        QFETCH(QSize, size);
        const QString tag = QString("%1x%2").arg(size.width()).arg(size.height());
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        const QString gone = m_dir.filePath("deleted-project-" + tag);
        QSettings().setValue("recentProjects", QStringList{gone});

        MainWindow window;
        window.resize(size);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.welcomePage()->isVisible());
        QListWidget* recent = window.welcomePage()->recentList();
        QCOMPARE(recent->count(), 1);
        QVERIFY(recent->item(0)->text().endsWith("(missing)"));
        QVERIFY(!(recent->item(0)->flags() & Qt::ItemIsEnabled));
        QVERIFY(!window.openLastProject()); // the last project is gone: the welcome page stays
        fits(window, size, "welcome page");
        screenshot(window, "journey-welcome-" + tag);

        const QString folder = m_dir.filePath("demo-" + tag);
        QVERIFY(window.openDemoProject(folder));
        QVERIFY(window.tabs()->isVisible());
        QStringList datasets;
        for (int row = 0; row < window.dataView()->datasetList()->count(); ++row)
            datasets.append(window.dataView()->datasetList()->item(row)->text());
        QVERIFY2(datasets.join(" ").contains("arith-sft") &&
                     datasets.join(" ").contains("arith-pairs"),
                 qPrintable(datasets.join(", ")));
        window.tabs()->setCurrentWidget(window.dataView());
        fits(window, size, "Data tab");
        screenshot(window, "journey-data-" + tag);

        // New Run… from the Data tab: the wizard's defaults for the demo project (its SFT text,
        // its tokenizer), a small model, and Finish, which starts the run and shows its dashboard.
        bool walked = false;
        QTimer::singleShot(0, [&] {
            auto* wizard = qobject_cast<widgets::StageWizard*>(QApplication::activeModalWidget());
            QVERIFY(wizard);
            QVERIFY(test_support::walkToTinyRun(*wizard, "journey"));
            fits(window, size, "stage wizard");
            wizard->accept();
            walked = true;
        });
        window.newRun();
        QVERIFY(walked);
        QVERIFY(window.isTraining());
        QCOMPARE(window.tabs()->currentIndex(), 0); // the Runs tab, with the new run's dashboard
        QTRY_VERIFY_WITH_TIMEOUT(window.runModel()->rowCount() == 1, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(lossPoints(window) >= 10, 60000);
        widgets::RunDashboard* dashboard = window.dashboard();
        QCOMPARE(dashboard->chartMetrics().mid(0, 3),
                 QStringList({"train/loss", "val/loss", "val/perplexity"}));
        QTRY_VERIFY_WITH_TIMEOUT(window.plot("val/perplexity")->allRows().size() >= 1, 60000);
        QVERIFY(window.systemPanel()->text().startsWith("CPU"));

        window.togglePause();
        QCOMPARE(status(window, 0), QString("paused"));
        dashboard->redrawNow();
        fits(window, size, "dashboard");
        screenshot(window, "journey-dashboard-" + tag);
        window.togglePause();
        QCOMPARE(status(window, 0), QString("running"));
        const qsizetype resumedAt = lossPoints(window);
        QTRY_VERIFY_WITH_TIMEOUT(lossPoints(window) > resumedAt, 30000);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        window.cancelRun();
        QVERIFY(finished.wait(60000));
        QCOMPARE(status(window, 0), QString("stopped"));

        dashboard->maximise("train/loss");
        QTRY_VERIFY(!window.plot("train/lr")->isVisible());
        fits(window, size, "maximised chart");
        screenshot(window, "journey-chart-" + tag);
        dashboard->maximise({});

        // The CLI adds a data set while the studio is open: F5 shows it.
        store::Project::open(folder.toStdString())
            .database()
            .addDataset("written-by-the-cli", store::DatasetKind::Text, "cli");
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_F5);
        bool listed = false;
        for (int row = 0; row < window.dataView()->datasetList()->count(); ++row)
            listed = listed ||
                     window.dataView()->datasetList()->item(row)->text().contains("written-by");
        QVERIFY(listed);

        for (const char* tab : {"Labeling", "Arena", "Chat"}) {
            for (int index = 0; index < window.tabs()->count(); ++index)
                if (window.tabs()->tabText(index) == tab) window.tabs()->setCurrentIndex(index);
            fits(window, size, tab);
            screenshot(window, QString("journey-%1-%2").arg(tab).arg(tag).toLower());
        }
    }
};

QTEST_MAIN(TestStudioJourney)
#include "test_studio_journey.moc"
