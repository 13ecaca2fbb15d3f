// How responsive the studio stays while it trains: opens a real project in the main window,
// starts a pretraining run on the worker thread, and measures for N seconds how late a 5 ms
// timer on the GUI thread fires (a stall is the lateness). Prints one JSON line with the p50,
// p99 and max stall. Goal: p99 < 20 ms.
// Usage: QT_QPA_PLATFORM=offscreen bench_gui_stall [seconds]
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "widgets/window/mainwindow.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <iostream>
#include <vector>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    const double seconds = argc > 1 ? std::atof(argv[1]) : 20.0;

    QTemporaryDir dir;
    const QString folder = dir.filePath("bench");
    {
        auto project = rlhf::store::Project::create(folder.toStdString());
        for (const char* split : {"train", "val"}) {
            rlhf::store::TokenFileWriter writer(project.paths().tokens() /
                                                (std::string("d-t-") + split + ".u32"));
            for (uint32_t i = 0; i < 200000; ++i)
                writer.append((i * 7 + i / 3) % 512);
            writer.commit();
        }
    }
    const nlohmann::json document = {
        {"stage", "pretrain"},
        {"name", "stall-bench"},
        {"data", {{"train", "tokens/d-t-train.u32"}, {"val", "tokens/d-t-val.u32"}}},
        {"model",
         {{"vocab_size", 512}, {"context_length", 128}, {"layers", 4}, {"heads", 4}, {"dim", 256}}},
        {"training",
         {{"steps", 100000}, {"batch_size", 8}, {"eval_every", 20}, {"checkpoint_every", 0}}}};

    rlhf::widgets::MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.openProject(folder);
    window.startRun(QString::fromStdString(document.dump()));

    std::vector<double> stalls; // ms late of each 5 ms tick
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        stalls.push_back(std::max(0.0, double(now - last) / 1e6 - 5.0));
        last = now;
        if (double(now) / 1e9 > seconds + 2.0) { // 2 s of start-up, then `seconds` measured
            tick.stop();
            window.cancelRun();
        }
    });
    QObject::connect(&window, &rlhf::widgets::MainWindow::runFinished, &app, &QApplication::quit);
    QTimer::singleShot(2000, [&] { // after start-up, measure the steady state
        last = clock.nsecsElapsed();
        tick.start(5);
    });
    app.exec();

    std::sort(stalls.begin(), stalls.end());
    auto at = [&](double q) {
        return stalls.empty() ? 0.0 : stalls[size_t(q * double(stalls.size() - 1))];
    };
    std::cout << nlohmann::json{{"seconds", seconds},
                                {"ticks", stalls.size()},
                                {"stall_ms_p50", at(0.5)},
                                {"stall_ms_p99", at(0.99)},
                                {"stall_ms_max", stalls.empty() ? 0.0 : stalls.back()}}
                     .dump()
              << std::endl;
    return 0;
}
