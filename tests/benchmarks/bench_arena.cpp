// Time to first token in the chat arena, as the user sees it: the real ArenaPane on a project,
// two checkpoints, each prompt sent to both sides; for each side the time from send() to the
// first streamed piece arriving on the GUI thread, and the worker's decode rate. The first
// prompt also loads both checkpoints (reported apart). Prints one JSON line; with --screenshot
// saves the pane after the last reply and a vote.
// Usage: QT_QPA_PLATFORM=offscreen bench_arena PROJECT CHECKPOINT_A CHECKPOINT_B
//        [--prompt TEXT]... [--greedy] [--multi-turn] [--screenshot FILE.png]
// --multi-turn keeps one conversation across the prompts (else each prompt is a new round).
// The vote of --screenshot is stored in the project: use a copy.
#include "widgets/chat/arenapane.h"
#include "widgets/chat/chatsettingseditor.h"
#include "widgets/chat/chatside.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QLabel>
#include <QLineEdit>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> values)
{
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    if (argc < 4) {
        std::cerr << "usage: bench_arena PROJECT CHECKPOINT_A CHECKPOINT_B [--prompt TEXT]... "
                     "[--greedy] [--multi-turn] [--screenshot FILE.png]\n";
        return 2;
    }
    std::vector<QString> prompts;
    QString screenshot;
    bool greedy = false, multiTurn = false;
    for (int i = 4; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--prompt" && i + 1 < argc)
            prompts.push_back(QString::fromUtf8(argv[++i]));
        else if (flag == "--screenshot" && i + 1 < argc)
            screenshot = argv[++i];
        else if (flag == "--greedy")
            greedy = true;
        else if (flag == "--multi-turn")
            multiTurn = true;
    }
    if (prompts.empty()) prompts = {"What is 12 + 30?", "What is 47 + 38?", "What is 9 + 64?"};

    rlhf::widgets::ArenaPane arena(argv[1]);
    arena.resize(1100, 640);
    arena.show();
    if (!arena.choose(argv[2], argv[3])) {
        std::cerr << "both checkpoints must be checkpoints of the project\n";
        return 2;
    }
    for (auto* side : {arena.sideA(), arena.sideB()}) {
        auto settings = side->settings();
        if (greedy) settings.temperature = 0;
        settings.maxNewTokens = 32;
        side->setSettings(settings);
    }

    nlohmann::json result = {{"bench", "arena"}, {"prompts", prompts.size()}};
    std::vector<double> firstPiece[2];
    QStringList status[2];
    for (const QString& prompt : prompts) {
        if (!multiTurn) arena.newRound();
        arena.promptBox()->setText(prompt);
        QElapsedTimer clock;
        double seen[2] = {-1, -1};
        rlhf::widgets::ChatSide* sides[2] = {arena.sideA(), arena.sideB()};
        std::vector<QMetaObject::Connection> connections;
        for (int s = 0; s < 2; ++s) {
            connections.push_back(
                QObject::connect(sides[s], &rlhf::widgets::ChatSide::pieceReceived, [&, s] {
                    if (seen[s] < 0) seen[s] = double(clock.nsecsElapsed()) / 1e6;
                }));
        }
        clock.start();
        if (!arena.send()) {
            std::cerr << "send refused\n";
            return 1;
        }
        // A real event loop, not QTest::qWaitFor: its 10 ms naps would delay the pieces.
        QEventLoop loop;
        for (auto* side : sides) {
            connections.push_back(
                QObject::connect(side, &rlhf::widgets::ChatSide::busyChanged, [&] {
                    if (arena.canVote()) loop.quit();
                }));
        }
        QTimer::singleShot(120000, &loop, &QEventLoop::quit);
        loop.exec();
        if (!arena.canVote()) {
            std::cerr << "no replies within 2 minutes\n";
            return 1;
        }
        for (auto& connection : connections)
            QObject::disconnect(connection);
        for (int s = 0; s < 2; ++s) {
            firstPiece[s].push_back(seen[s]);
            status[s] << sides[s]->statusLabel()->text();
        }
    }
    for (int s = 0; s < 2; ++s) {
        const char* key = s == 0 ? "a" : "b";
        std::vector<double> warm(firstPiece[s].begin() + 1, firstPiece[s].end());
        result[key] = {{"checkpoint", argv[2 + s]},
                       {"first_prompt_ttft_ms_with_loading", firstPiece[s].front()},
                       {"ttft_ms_median_after_loading", median(warm)},
                       {"ttft_ms", firstPiece[s]},
                       {"status_lines", status[s].join(" | ").toStdString()}};
    }
    if (!screenshot.isEmpty()) {
        arena.vote(rlhf::store::Judgment::B);
        QTest::qWait(200);
        arena.grab().save(screenshot);
    }
    std::cout << result.dump() << std::endl;
    return 0;
}
