// The Chat tab's feedback on real SQLite files: thumbs stored, changed and removed (bad rows
// refused with the field named); a version 7 project opens and gains the feedback table, its
// battles kept; preference pairs from thumbs (a liked and a disliked reply to one prompt, the
// regenerated one as its own row) and from arena votes with a winner, with every row that made
// no pair counted in the report ("... have no counterpart: regenerate and rate the other one");
// the dataset split by prompt so no prompt straddles train and val; the improve options read
// strictly and written back.
#include "core/eval/feedback_improve.h"
#include "core/eval/feedback_pairs.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/store/schema.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <filesystem>
#include <map>

using namespace rlhf;
using rlhf::testing::errorOf;
namespace fs = std::filesystem;

namespace {

// The prompt as feedback rows and pairs spell it: role before content.
std::string prompt(const std::string& user)
{
    const std::vector<data::Message> messages{{"user", user}};
    return eval::messagesJson(messages);
}

store::Feedback rated(const std::string& user, const std::string& reply, store::Rating rating)
{
    return {.promptJson = prompt(user),
            .reply = reply,
            .checkpoint = "checkpoints/1/step-000010",
            .rating = rating};
}

store::Battle battle(store::Judgment vote, const std::string& a, const std::string& b)
{
    const auto side = [](const std::string& reply) {
        return nlohmann::json::array({{{"role", "user"}, {"content", "pick one"}},
                                      {{"role", "assistant"}, {"content", reply}}})
            .dump();
    };
    return {.modelA = "checkpoints/1/step-000010",
            .modelB = "checkpoints/2/step-000020",
            .conversationA = side(a),
            .conversationB = side(b),
            .vote = vote};
}

bool hasLine(const std::vector<std::string>& lines, const std::string& text)
{
    return std::find(lines.begin(), lines.end(), text) != lines.end();
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string text;
    for (const std::string& line : lines)
        text += line + "\n";
    return text;
}

using store::Rating;

} // namespace

class TestFeedback : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_projects = 0;

    fs::path freshProject()
    {
        const fs::path root =
            fs::path(m_dir.path().toStdString()) / ("p" + std::to_string(++m_projects));
        store::Project::create(root);
        return root;
    }

private Q_SLOTS:
    void ratingsAreStoredChangedAndRemoved()
    {
        store::Project project = store::Project::open(freshProject());
        store::Database& database = project.database();
        store::Feedback row = rated("hi", "hello there", Rating::Up);
        row.rater = "alice";
        row.settings = R"({"temperature":0.7})";
        row.rated = 1700000000.5;
        const store::Id id = database.addFeedback(row);
        const auto stored = database.feedbackRow(id);
        QVERIFY(stored);
        QCOMPARE(stored->promptJson, row.promptJson);
        QCOMPARE(stored->reply, std::string("hello there"));
        QCOMPARE(stored->checkpoint, std::string("checkpoints/1/step-000010"));
        QCOMPARE(stored->settings, row.settings);
        QCOMPARE(stored->rating, Rating::Up);
        QCOMPARE(stored->rater, std::string("alice"));
        QCOMPARE(stored->rated, 1700000000.5);

        database.setFeedbackRating(id, Rating::Down, 1700000100.0);
        QCOMPARE(database.feedbackRow(id)->rating, Rating::Down);
        QCOMPARE(database.feedbackRow(id)->rated, 1700000100.0);
        // A regenerated reply to the same prompt is a row of its own.
        const store::Id second = database.addFeedback(rated("hi", "hello", Rating::Up));
        QCOMPARE(database.feedback().size(), size_t(2));
        QVERIFY(database.removeFeedback(id));
        QVERIFY(!database.removeFeedback(id));
        QCOMPARE(database.feedback().size(), size_t(1));
        QCOMPARE(database.feedback().front().id, second);

        // Bad rows are refused, naming the field; nothing is stored.
        const QString file = QString::fromStdString(database.file().string());
        QVERIFY(errorOf([&] {
                    database.addFeedback(rated("hi", "", Rating::Up));
                }).endsWith("reply: empty"));
        store::Feedback badPrompt = rated("hi", "x", Rating::Up);
        badPrompt.promptJson = "{not json";
        QVERIFY(errorOf([&] {
                    database.addFeedback(badPrompt);
                }).endsWith("prompt: not a JSON array of messages"));
        store::Feedback badSettings = rated("hi", "x", Rating::Up);
        badSettings.settings = "[";
        QVERIFY(errorOf([&] { database.addFeedback(badSettings); }).startsWith(file));
        QCOMPARE(errorOf([&] { database.setFeedbackRating(999, Rating::Up); }),
                 file + ": rating feedback row 999 up: no such row");
        QCOMPARE(database.feedback().size(), size_t(1));
    }

    void version7ProjectGainsTheFeedbackTable()
    {
        // A version 7 file made by this build's first seven migrations, with a battle in it.
        const fs::path root = fs::path(m_dir.path().toStdString()) / "v7";
        fs::create_directories(root);
        const fs::path file = root / "project.sqlite";
        std::string script;
        for (const store::Migration& migration : store::migrations().first(7))
            script += std::string(migration.sql) + ";\n";
        script += "INSERT INTO battles VALUES (1, 'a', 'b', '[]', '[]', '{}', '{}', 'a', 'bob', "
                  "1700000000);\nPRAGMA user_version = 7;";
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, script.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);

        store::Project project = store::Project::open(root);
        store::Database& database = project.database();
        QCOMPARE(database.schemaVersion(), 8);
        QCOMPARE(store::currentSchemaVersion(), 8);
        QCOMPARE(database.battles().size(), size_t(1));
        QCOMPARE(database.battles().front().voter, std::string("bob"));
        QVERIFY(database.feedback().empty());
        database.addFeedback(rated("hi", "hello", Rating::Down));
        QCOMPARE(database.feedback().size(), size_t(1));
    }

    void pairsFromThumbsAndVotesWithAReport()
    {
        store::Project project = store::Project::open(freshProject());
        store::Database& database = project.database();
        // "hi": a liked reply, a disliked one, and a regenerated reply liked: two pairs.
        const store::Id liked = database.addFeedback(rated("hi", "hello there", Rating::Up));
        const store::Id disliked = database.addFeedback(rated("hi", "go away", Rating::Down));
        database.addFeedback(rated("hi", "hi, how can I help?", Rating::Up));
        // No counterpart: one liked alone, two disliked alone.
        database.addFeedback(rated("what is 2 + 3?", "5", Rating::Up));
        database.addFeedback(rated("tell me a joke", "no", Rating::Down));
        database.addFeedback(rated("tell me a joke", "no.", Rating::Down));
        // Keys in another order are the same prompt.
        store::Feedback sorted = rated("hi", "hey", Rating::Down);
        sorted.promptJson = R"([{"content":"hi","role":"user"}])";
        database.addFeedback(sorted);
        // The same text liked and disliked (rated twice, two minds): no pair.
        database.addFeedback(rated("bye", "bye", Rating::Up));
        database.addFeedback(rated("bye", "bye", Rating::Down));
        // A prompt that ends with the assistant: reported by row, not fatal.
        store::Feedback bad = rated("x", "y", Rating::Up);
        bad.promptJson = R"([{"role":"user","content":"x"},{"role":"assistant","content":"y"}])";
        const store::Id badId = database.addFeedback(bad);
        // Arena: a winner, a tie, both bad, and the winner repeated (the same pair again).
        database.addBattle(battle(store::Judgment::B, "red", "blue"));
        database.addBattle(battle(store::Judgment::Tie, "red", "blue"));
        database.addBattle(battle(store::Judgment::BothBad, "red", "blue"));
        database.addBattle(battle(store::Judgment::A, "blue", "red"));

        const eval::FeedbackPairs result = eval::feedbackPairs(database);
        const eval::FeedbackReport& report = result.report;
        QCOMPARE(result.pairs.size(), size_t(5));
        QCOMPARE(result.pairs[0].promptJson, prompt("hi"));
        QCOMPARE(result.pairs[0].chosen, std::string("hello there"));
        QCOMPARE(result.pairs[0].rejected, std::string("go away"));
        QCOMPARE(result.pairs[0].origin,
                 "feedback#" + std::to_string(liked) + ">feedback#" + std::to_string(disliked));
        QCOMPARE(result.pairs[1].rejected, std::string("hey"));
        QCOMPARE(result.pairs[2].chosen, std::string("hi, how can I help?"));
        QCOMPARE(result.pairs[2].rejected, std::string("go away"));
        QCOMPARE(result.pairs[4].promptJson, prompt("pick one"));
        QCOMPARE(result.pairs[4].chosen, std::string("blue"));
        QCOMPARE(result.pairs[4].rejected, std::string("red"));
        QCOMPARE(result.pairs[4].origin, std::string("battle#1"));

        QCOMPARE(report.ratedReplies, int64_t(10));
        QCOMPARE(report.battles, int64_t(4));
        QCOMPARE(report.thumbPairs, int64_t(4));
        QCOMPARE(report.battlePairs, int64_t(1));
        QCOMPARE(report.likedWithoutCounterpart, int64_t(1));
        QCOMPARE(report.dislikedWithoutCounterpart, int64_t(2));
        QCOMPARE(report.sameText, int64_t(1));
        QCOMPARE(report.duplicates, int64_t(1));
        QCOMPARE(report.noWinner, int64_t(2));
        const std::vector<std::string> lines = report.lines();
        QVERIFY2(hasLine(lines, "5 preference pairs: 4 from thumbs (10 rated replies), 1 from "
                                "arena votes (4 battles)"),
                 joined(lines).c_str());
        QVERIFY2(hasLine(lines, "3 rated replies have no counterpart: regenerate and rate the "
                                "other one (1 liked without a disliked reply to the same prompt, "
                                "2 disliked without a liked one)"),
                 joined(lines).c_str());
        QVERIFY(hasLine(lines, "1 liked and disliked reply pair has the same text: no pair"));
        QVERIFY(hasLine(lines, "1 pair repeats another's prompt, chosen and rejected reply: kept "
                               "once"));
        QVERIFY(hasLine(lines, "2 arena votes are a tie or both bad: no winner, no pair"));
        QVERIFY(hasLine(lines, "not read: feedback " + std::to_string(badId) +
                                   ": prompt: does not end with a user turn"));

        // Thumbs only.
        const eval::FeedbackPairs thumbs =
            eval::feedbackPairs(database, eval::BattleVotes::Exclude);
        QCOMPARE(thumbs.pairs.size(), size_t(4));
        QCOMPARE(thumbs.report.battles, int64_t(0));
    }

    void datasetKeepsEachPromptInOneSplit()
    {
        store::Project project = store::Project::open(freshProject());
        store::Database& database = project.database();
        // 40 prompts with two liked replies and one disliked each: two pairs per prompt.
        for (int i = 0; i < 40; ++i) {
            const std::string user = "question " + std::to_string(i);
            database.addFeedback(rated(user, "good " + std::to_string(i), Rating::Up));
            database.addFeedback(rated(user, "fine " + std::to_string(i), Rating::Up));
            database.addFeedback(rated(user, "bad " + std::to_string(i), Rating::Down));
        }
        const eval::FeedbackPairs pairs = eval::feedbackPairs(database);
        QCOMPARE(pairs.pairs.size(), size_t(80));
        QCOMPARE(eval::nextDatasetName(database, "feedback"), std::string("feedback-1"));
        const eval::FeedbackDataset written =
            eval::writeFeedbackDataset(database, pairs, "feedback-1", 0.3);
        QCOMPARE(eval::nextDatasetName(database, "feedback"), std::string("feedback-2"));
        QCOMPARE(written.train + written.val, int64_t(80));
        QVERIFY2(written.val >= 10 && written.val <= 40, std::to_string(written.val).c_str());
        const auto dataset = database.datasetByName("feedback-1");
        QVERIFY(dataset);
        QCOMPARE(dataset->kind, store::DatasetKind::Preference);
        QCOMPARE(database.documentCount(dataset->id, "val"), written.val);

        std::map<std::string, std::string> splitOfPrompt;
        database.forEachDocument(dataset->id, [&](const store::Document& document) {
            const data::Record record =
                data::fromDocumentText(data::RecordKind::Preference, document.text);
            QCOMPARE(document.sourceFile, std::string("feedback"));
            QVERIFY(document.sourceLine > 0);
            QVERIFY(record.chosen.starts_with("good") || record.chosen.starts_with("fine"));
            QVERIFY(record.rejected.starts_with("bad"));
            const auto [at, added] =
                splitOfPrompt.try_emplace(record.messages.front().content, document.split);
            QCOMPARE(at->second, document.split); // both pairs of a prompt in one split
            QCOMPARE(document.split == "val",
                     eval::promptInValSplit(eval::messagesJson(record.messages), 0.3));
        });
        QCOMPARE(splitOfPrompt.size(), size_t(40));

        // A taken name, no pair, and everything in val are refused; nothing is written.
        QVERIFY(errorOf([&] {
                    eval::writeFeedbackDataset(database, pairs, "feedback-1", 0.3);
                }).endsWith("the project has a dataset of this name"));
        QVERIFY(errorOf([&] {
                    eval::writeFeedbackDataset(database, {}, "empty", 0.3);
                }).contains("no preference pair"));
        const eval::FeedbackPairs one{{pairs.pairs.front()}, {}};
        const bool firstInVal = eval::promptInValSplit(one.pairs.front().promptJson, 0.3);
        QVERIFY(errorOf([&] {
                    eval::writeFeedbackDataset(database, one, "all-val", firstInVal ? 0.3 : 0.999);
                }).contains("fell in the val split"));
        QCOMPARE(database.datasets().size(), size_t(1));
    }

    void improveOptionsAreReadStrictly()
    {
        const nlohmann::json document = {{"name", "fb"},
                                         {"from", "checkpoints/1/step-000010"},
                                         {"method", "ppo"},
                                         {"val_fraction", 0.2},
                                         {"batch_size", 4},
                                         {"reward", {{"steps", 5}, {"lr", 1e-4}}},
                                         {"policy", {{"steps", 7}, {"beta", 0.2}}},
                                         {"training", {{"threads", 1}, {"precision", "fp32"}}}};
        const eval::ImproveOptions options = eval::improveOptionsFromJson(document, "i.json");
        QCOMPARE(options.name, std::string("fb"));
        QCOMPARE(options.method, eval::ImproveMethod::Ppo);
        QCOMPARE(options.rewardSteps, int64_t(5));
        QCOMPARE(options.policySteps, int64_t(7));
        QCOMPARE(options.beta, 0.2);
        QCOMPARE(options.policyLr, 1e-5); // the default kept
        QCOMPARE(options.training.at("threads").get<int>(), 1);
        // Written back, it reads as the same options.
        const eval::ImproveOptions again =
            eval::improveOptionsFromJson(eval::toJson(options), "again");
        QVERIFY(eval::toJson(again) == eval::toJson(options));

        const auto refusal = [](nlohmann::json changed) {
            return errorOf([&] { eval::improveOptionsFromJson(changed, "i.json"); });
        };
        nlohmann::json changed = document;
        changed["metod"] = "dpo";
        QCOMPARE(refusal(changed), QString("i.json: metod: unknown field"));
        changed = document;
        changed["method"] = "sft";
        QCOMPARE(refusal(changed), QString("i.json: method: expected dpo or ppo, got \"sft\""));
        changed = document;
        changed["policy"]["lr"] = 0;
        QVERIFY(refusal(changed).startsWith("i.json: policy.lr: 0 is out of range"));
        changed = document;
        changed["training"]["steps"] = 3;
        QVERIFY(refusal(changed).startsWith("i.json: training.steps: set by the plan"));
        changed = document;
        changed["val_fraction"] = 1;
        QVERIFY(refusal(changed).startsWith("i.json: val_fraction: 1 is out of range"));
    }
};

QTEST_GUILESS_MAIN(TestFeedback)
#include "test_feedback.moc"
