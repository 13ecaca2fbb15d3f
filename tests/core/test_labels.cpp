// Human judgment on real SQLite files: comparison items (idempotent per source and origin),
// labels (one per item and annotator, upserted, removable), the per-annotator queue, arena
// battles, the stored words, and a version 4 project migrating to version 5 with its rows.
// Then core/eval: the majority rule and the label filter, queueing a preference dataset and
// the battles, and the preference JSONL export read back by the real importer.
#include "core/data/importer.h"
#include "core/data/record.h"
#include "core/eval/label_pairs.h"
#include "core/eval/label_queue.h"
#include "core/store/database.h"
#include "core/store/label_records.h"
#include "core/store/project.h"
#include "core/store/schema.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <sqlite3.h>

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace rlhf::store;
using rlhf::eval::LabelFilter;
using rlhf::eval::LabelledPair;
namespace fs = std::filesystem;
namespace data = rlhf::data;

using rlhf::testing::errorOf;

namespace {

// Runs raw SQL on a file through SQLite directly, bypassing Database.
void rawSql(const fs::path& file, const std::string& sql)
{
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    const int result = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    const QString error = message ? QString::fromUtf8(message) : QString();
    sqlite3_free(message);
    sqlite3_close(db);
    QVERIFY2(result == SQLITE_OK, qPrintable(error));
}

// An imported pair whose texts all derive from `n`, so any mix-up shows.
ComparisonItem importedItem(int n)
{
    const std::string tag = std::to_string(n);
    return ComparisonItem{.source = ItemSource::Import,
                          .origin = "pairs#" + tag,
                          .promptJson = R"([{"role":"user","content":"q)" + tag + R"("}])",
                          .responseA = "good " + tag,
                          .responseB = "bad " + tag,
                          .modelA = "chosen",
                          .modelB = "rejected",
                          .created = 1700000000.0 + n};
}

std::vector<Id> idsOf(const std::vector<ComparisonItem>& items)
{
    std::vector<Id> ids;
    for (const ComparisonItem& item : items)
        ids.push_back(item.id);
    return ids;
}

// Stores `judgments` of `item`, one per annotator named "a0", "a1", ..., at times 100, 200, ...
void vote(Database& database, Id item, std::initializer_list<Judgment> judgments)
{
    int n = 0;
    for (Judgment judgment : judgments) {
        database.setLabel({.item = item,
                           .annotator = "a" + std::to_string(n),
                           .judgment = judgment,
                           .created = 100.0 * (n + 1)});
        ++n;
    }
}

std::vector<Id> pairItems(const std::vector<LabelledPair>& pairs)
{
    std::vector<Id> ids;
    for (const LabelledPair& pair : pairs)
        ids.push_back(pair.item);
    return ids;
}

data::Record preferenceRecord(std::vector<data::Message> prompt, std::string chosen,
                              std::string rejected)
{
    return data::Record{.kind = data::RecordKind::Preference,
                        .messages = std::move(prompt),
                        .chosen = std::move(chosen),
                        .rejected = std::move(rejected)};
}

// A two-turn battle whose replies name their side and round.
Battle sampleBattle(Judgment vote, std::string voter)
{
    return Battle{.modelA = "checkpoints/run-1/step-000400",
                  .modelB = "checkpoints/run-2/step-000100",
                  .conversationA = R"([{"role":"user","content":"hi"},)"
                                   R"({"role":"assistant","content":"A1"},)"
                                   R"({"role":"user","content":"2+2?"},)"
                                   R"({"role":"assistant","content":"A2"}])",
                  .conversationB = R"([{"role":"user","content":"hi"},)"
                                   R"({"role":"assistant","content":"B1"},)"
                                   R"({"role":"user","content":"2+2?"},)"
                                   R"({"role":"assistant","content":"B2"}])",
                  .vote = vote,
                  .voter = std::move(voter),
                  .created = 1700000500.0};
}

} // namespace

class TestLabels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void judgmentAndSourceWords();
    void itemsAreIdempotentBySourceAndOrigin();
    void setLabelUpsertsOnePerAnnotator();
    void removeLabelUndoes();
    void unlabelledItemsPerAnnotator();
    void labelsGoWithTheirItem();
    void battlesRoundTrip();
    void migratesFromVersion4();
    void majorityDecides();
    void tiesAndBothBadGiveNoPair();
    void minAgreementAndMinLabels();
    void annotatorAndDateFilters();
    void filterJson();
    void queueDatasetFromPreferenceDataset();
    void queueBattlesWithTheirVote();
    void battlePairOfTheWinner();
    void exportIsImportablePreferenceJsonl();

private:
    QTemporaryDir m_dir;
    fs::path path(const char* name) const { return fs::path(m_dir.path().toStdString()) / name; }
};

void TestLabels::judgmentAndSourceWords()
{
    QCOMPARE(judgmentName(Judgment::A), std::string_view("a"));
    QCOMPARE(judgmentName(Judgment::B), std::string_view("b"));
    QCOMPARE(judgmentName(Judgment::Tie), std::string_view("tie"));
    QCOMPARE(judgmentName(Judgment::BothBad), std::string_view("both_bad"));
    for (Judgment judgment : {Judgment::A, Judgment::B, Judgment::Tie, Judgment::BothBad})
        QCOMPARE(parseJudgment(judgmentName(judgment)), judgment);
    QCOMPARE(itemSourceName(ItemSource::Import), std::string_view("import"));
    QCOMPARE(itemSourceName(ItemSource::Sampled), std::string_view("sampled"));
    QCOMPARE(itemSourceName(ItemSource::Arena), std::string_view("arena"));
    for (ItemSource source : {ItemSource::Import, ItemSource::Sampled, ItemSource::Arena})
        QCOMPARE(parseItemSource(itemSourceName(source)), source);
    QCOMPARE(errorOf([] { parseJudgment("A"); }), QString("unknown judgment 'A'"));
    QCOMPARE(errorOf([] { parseItemSource("web"); }), QString("unknown item source 'web'"));
}

void TestLabels::itemsAreIdempotentBySourceAndOrigin()
{
    Database database(path("items.sqlite"));
    QCOMPARE(database.addComparisonItems(std::vector{importedItem(1), importedItem(2)}),
             int64_t(2));
    // The same origin again adds nothing; the same origin from another source is another item.
    ComparisonItem sampled = importedItem(1);
    sampled.source = ItemSource::Sampled;
    sampled.responseA = "other";
    QCOMPARE(database.addComparisonItems(std::vector{importedItem(2), sampled, importedItem(3)}),
             int64_t(2));
    QCOMPARE(database.comparisonItemCount(), int64_t(4));

    const std::vector<ComparisonItem> items = database.comparisonItems();
    QCOMPARE(items.size(), size_t(4));
    QCOMPARE(items[1].origin, std::string("pairs#2"));
    QCOMPARE(items[2].source, ItemSource::Sampled);
    QCOMPARE(items[2].responseA, std::string("other"));
    const std::optional<ComparisonItem> first = database.comparisonItem(items[0].id);
    QVERIFY(first);
    QCOMPARE(first->source, ItemSource::Import);
    QCOMPARE(first->origin, std::string("pairs#1"));
    QCOMPARE(first->promptJson, std::string(R"([{"role":"user","content":"q1"}])"));
    QCOMPARE(first->responseA, std::string("good 1"));
    QCOMPARE(first->responseB, std::string("bad 1"));
    QCOMPARE(first->modelA, std::string("chosen"));
    QCOMPARE(first->modelB, std::string("rejected"));
    QCOMPARE(first->created, 1700000001.0);
    QVERIFY(!database.comparisonItem(999));

    // A batch with a broken prompt is refused whole: one transaction.
    ComparisonItem broken = importedItem(9);
    broken.promptJson = "[{";
    const QString error = errorOf([&] {
        database.addComparisonItems(std::vector{importedItem(8), broken});
    });
    QVERIFY2(error.contains("item 'pairs#9': the prompt is not valid JSON"), qPrintable(error));
    QCOMPARE(database.comparisonItemCount(), int64_t(4));
}

void TestLabels::setLabelUpsertsOnePerAnnotator()
{
    Database database(path("upsert.sqlite"));
    database.addComparisonItems(std::vector{importedItem(1), importedItem(2)});
    const Id item = database.comparisonItems()[0].id;

    const Id first = database.setLabel(
        {.item = item, .annotator = "alice", .judgment = Judgment::A, .created = 10.0});
    const Id again = database.setLabel({.item = item,
                                        .annotator = "alice",
                                        .judgment = Judgment::BothBad,
                                        .swapped = true,
                                        .comment = "both wrong",
                                        .created = 20.0});
    QCOMPARE(again, first); // replaced in place, not a second row
    const Id bob = database.setLabel({.item = item, .annotator = "bob", .judgment = Judgment::Tie});
    QVERIFY(bob != first);

    const std::vector<Label> labels = database.labels();
    QCOMPARE(labels.size(), size_t(2));
    QCOMPARE(labels[0].annotator, std::string("alice"));
    QCOMPARE(labels[0].id, first);
    QCOMPARE(labels[0].item, item);
    QCOMPARE(labels[0].judgment, Judgment::BothBad);
    QCOMPARE(labels[0].swapped, true);
    QCOMPARE(labels[0].comment, std::string("both wrong"));
    QCOMPARE(labels[0].created, 20.0);
    QCOMPARE(labels[1].annotator, std::string("bob"));
    QCOMPARE(labels[1].judgment, Judgment::Tie);
    QCOMPARE(labels[1].swapped, false);
    QCOMPARE(database.label(item, "bob")->id, bob);
    QVERIFY(!database.label(item, "carol"));

    QVERIFY(errorOf([&] {
                database.setLabel({.item = 999, .annotator = "alice"});
            }).contains("no comparison item 999"));
    QVERIFY(errorOf([&] {
                database.setLabel({.item = item, .annotator = ""});
            }).contains("the annotator is empty"));
    QCOMPARE(database.labels().size(), size_t(2));
}

void TestLabels::removeLabelUndoes()
{
    Database database(path("remove.sqlite"));
    database.addComparisonItems(std::vector{importedItem(1)});
    const Id item = database.comparisonItems()[0].id;
    database.setLabel({.item = item, .annotator = "alice", .judgment = Judgment::B});
    database.setLabel({.item = item, .annotator = "bob", .judgment = Judgment::A});

    QVERIFY(database.removeLabel(item, "alice"));
    QVERIFY(!database.removeLabel(item, "alice")); // nothing left to remove
    QVERIFY(!database.label(item, "alice"));
    QCOMPARE(database.label(item, "bob")->judgment, Judgment::A);
    QCOMPARE(database.annotators(), (std::vector<std::string>{"bob"}));
}

void TestLabels::unlabelledItemsPerAnnotator()
{
    Database database(path("queue.sqlite"));
    database.addComparisonItems(
        std::vector{importedItem(1), importedItem(2), importedItem(3), importedItem(4)});
    const std::vector<Id> ids = idsOf(database.comparisonItems());
    QVERIFY(database.annotators().empty());

    database.setLabel({.item = ids[0], .annotator = "zoe", .judgment = Judgment::A});
    database.setLabel({.item = ids[2], .annotator = "zoe", .judgment = Judgment::B});
    database.setLabel({.item = ids[1], .annotator = "adam", .judgment = Judgment::Tie});

    QCOMPARE(idsOf(database.unlabelledItems("zoe")), (std::vector<Id>{ids[1], ids[3]}));
    QCOMPARE(database.unlabelledCount("zoe"), int64_t(2));
    QCOMPARE(idsOf(database.unlabelledItems("adam")), (std::vector<Id>{ids[0], ids[2], ids[3]}));
    QCOMPARE(idsOf(database.unlabelledItems("adam", 2)), (std::vector<Id>{ids[0], ids[2]}));
    QCOMPARE(database.unlabelledItems("adam", 0).size(), size_t(0));
    QCOMPARE(database.unlabelledCount("adam"), int64_t(3));
    QCOMPARE(database.unlabelledCount("nobody"), int64_t(4));
    QCOMPARE(database.unlabelledItems("nobody")[3].responseA, std::string("good 4"));
    QCOMPARE(database.annotators(), (std::vector<std::string>{"adam", "zoe"}));
}

void TestLabels::labelsGoWithTheirItem()
{
    const fs::path file = path("cascade.sqlite");
    {
        Database database(file);
        database.addComparisonItems(std::vector{importedItem(1), importedItem(2)});
        for (const ComparisonItem& item : database.comparisonItems())
            database.setLabel({.item = item.id, .annotator = "alice", .judgment = Judgment::A});
    }
    // Without the cascade, this DELETE would fail the foreign key and rawSql would fail the test.
    rawSql(file, "PRAGMA foreign_keys = ON; DELETE FROM comparison_items WHERE origin = 'pairs#1'");
    Database database(file, OpenMode::ExistingOnly);
    const std::vector<Label> labels = database.labels();
    QCOMPARE(labels.size(), size_t(1));
    QCOMPARE(labels[0].item, database.comparisonItems().at(0).id);
}

void TestLabels::battlesRoundTrip()
{
    Database database(path("battles.sqlite"));
    QVERIFY(database.battles().empty());
    const Battle battle{.modelA = "checkpoints/run-1/step-000400",
                        .modelB = "checkpoints/run-2/step-000100",
                        .conversationA = R"([{"role":"user","content":"hi"},)"
                                         R"({"role":"assistant","content":"hello"}])",
                        .conversationB = R"([{"role":"user","content":"hi"},)"
                                         R"({"role":"assistant","content":"hey"}])",
                        .settingsA = R"({"temperature":0.7})",
                        .settingsB = R"({"temperature":1})",
                        .vote = Judgment::BothBad,
                        .voter = "alice",
                        .created = 1700000123.5};
    const Id first = database.addBattle(battle);
    Battle second = battle;
    second.vote = Judgment::B;
    second.voter = "";
    const Id next = database.addBattle(second);
    QVERIFY(next > first);

    const std::optional<Battle> stored = database.battle(first);
    QVERIFY(stored);
    QCOMPARE(stored->id, first);
    QCOMPARE(stored->modelA, battle.modelA);
    QCOMPARE(stored->modelB, battle.modelB);
    QCOMPARE(stored->conversationA, battle.conversationA);
    QCOMPARE(stored->conversationB, battle.conversationB);
    QCOMPARE(stored->settingsA, battle.settingsA);
    QCOMPARE(stored->settingsB, battle.settingsB);
    QCOMPARE(stored->vote, Judgment::BothBad);
    QCOMPARE(stored->voter, std::string("alice"));
    QCOMPARE(stored->created, 1700000123.5);
    const std::vector<Battle> all = database.battles();
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[1].id, next);
    QCOMPARE(all[1].vote, Judgment::B);
    QCOMPARE(all[1].voter, std::string());
    QVERIFY(!database.battle(next + 1));

    Battle broken = battle;
    broken.settingsB = "{temperature";
    QVERIFY(errorOf([&] { database.addBattle(broken); }).contains("settings B is not valid JSON"));
    QCOMPARE(database.battles().size(), size_t(2));
}

void TestLabels::migratesFromVersion4()
{
    // A version 4 file made by this build's own first four migrations, with rows in it.
    const fs::path file = path("v4.sqlite");
    std::string script;
    for (const Migration& migration : migrations().first(4))
        script += std::string(migration.sql) + ";\n";
    script += "INSERT INTO datasets VALUES (1, 'old', 'preference', 'p.jsonl', 1700000000, '{}');\n"
              "INSERT INTO runs VALUES (1, 'dpo', 'old dpo', '{}', 'completed', 1700000000, "
              "1700000100, NULL);\n"
              "PRAGMA user_version = 4;";
    rawSql(file, script);

    Database database(file, OpenMode::ExistingOnly);
    QCOMPARE(database.schemaVersion(), currentSchemaVersion());
    QCOMPARE(currentSchemaVersion(), 8);
    QCOMPARE(database.datasetByName("old")->kind, DatasetKind::Preference);
    QCOMPARE(database.run(1)->name, std::string("old dpo"));
    QCOMPARE(database.comparisonItemCount(), int64_t(0));
    QCOMPARE(database.addComparisonItems(std::vector{importedItem(1)}), int64_t(1));
    database.setLabel(
        {.item = database.comparisonItems()[0].id, .annotator = "a", .judgment = Judgment::B});
    QCOMPARE(database.labels().size(), size_t(1));
    database.addBattle({.modelA = "x", .modelB = "y"});
    QCOMPARE(database.battles().size(), size_t(1));
}

void TestLabels::majorityDecides()
{
    Database database(path("majority.sqlite"));
    database.addComparisonItems(std::vector{importedItem(1), importedItem(2), importedItem(3)});
    const std::vector<Id> ids = idsOf(database.comparisonItems());
    vote(database, ids[0], {Judgment::A, Judgment::B, Judgment::A});
    vote(database, ids[1], {Judgment::B, Judgment::B, Judgment::Tie, Judgment::A});
    // ids[2] has no labels: no pair.

    const std::vector<LabelledPair> pairs = rlhf::eval::labelledPairs(database, {});
    QCOMPARE(pairItems(pairs), (std::vector<Id>{ids[0], ids[1]}));
    QCOMPARE(pairs[0].promptJson, std::string(R"([{"role":"user","content":"q1"}])"));
    QCOMPARE(pairs[0].chosen, std::string("good 1"));
    QCOMPARE(pairs[0].rejected, std::string("bad 1"));
    QCOMPARE(pairs[0].labels, int64_t(3));
    QCOMPARE(pairs[0].agreement, 2.0 / 3.0);
    // B wins: the stored B is chosen.
    QCOMPARE(pairs[1].chosen, std::string("bad 2"));
    QCOMPARE(pairs[1].rejected, std::string("good 2"));
    QCOMPARE(pairs[1].labels, int64_t(4));
    QCOMPARE(pairs[1].agreement, 0.5);
}

void TestLabels::tiesAndBothBadGiveNoPair()
{
    Database database(path("ties.sqlite"));
    std::vector<ComparisonItem> items;
    for (int n = 1; n <= 6; ++n)
        items.push_back(importedItem(n));
    database.addComparisonItems(items);
    const std::vector<Id> ids = idsOf(database.comparisonItems());
    vote(database, ids[0], {Judgment::A, Judgment::B});                                 // A = B
    vote(database, ids[1], {Judgment::Tie, Judgment::Tie, Judgment::A});                // tie wins
    vote(database, ids[2], {Judgment::BothBad, Judgment::B, Judgment::BothBad});        // both bad
    vote(database, ids[3], {Judgment::A, Judgment::Tie, Judgment::A, Judgment::Tie});   // A = tie
    vote(database, ids[4], {Judgment::B, Judgment::BothBad, Judgment::B, Judgment::A}); // B
    vote(database, ids[5], {Judgment::Tie});

    const std::vector<LabelledPair> pairs = rlhf::eval::labelledPairs(database, {});
    QCOMPARE(pairItems(pairs), (std::vector<Id>{ids[4]}));
    QCOMPARE(pairs[0].chosen, std::string("bad 5"));
    QCOMPARE(pairs[0].agreement, 0.5);
}

void TestLabels::minAgreementAndMinLabels()
{
    Database database(path("thresholds.sqlite"));
    database.addComparisonItems(std::vector{importedItem(1), importedItem(2), importedItem(3)});
    const std::vector<Id> ids = idsOf(database.comparisonItems());
    vote(database, ids[0], {Judgment::A, Judgment::A, Judgment::B}); // 2/3, 3 labels
    vote(database, ids[1], {Judgment::B, Judgment::B});              // 1.0, 2 labels
    vote(database, ids[2], {Judgment::A});                           // 1.0, 1 label

    const auto pairsWith = [&](double minAgreement, int64_t minLabels) {
        return pairItems(rlhf::eval::labelledPairs(
            database, {.minAgreement = minAgreement, .minLabels = minLabels}));
    };
    QCOMPARE(pairsWith(0.0, 1), (std::vector<Id>{ids[0], ids[1], ids[2]}));
    QCOMPARE(pairsWith(0.66, 1), (std::vector<Id>{ids[0], ids[1], ids[2]}));
    QCOMPARE(pairsWith(2.0 / 3.0, 1), (std::vector<Id>{ids[0], ids[1], ids[2]}));
    QCOMPARE(pairsWith(0.67, 1), (std::vector<Id>{ids[1], ids[2]}));
    QCOMPARE(pairsWith(1.0, 1), (std::vector<Id>{ids[1], ids[2]}));
    QCOMPARE(pairsWith(0.0, 2), (std::vector<Id>{ids[0], ids[1]}));
    QCOMPARE(pairsWith(0.0, 3), (std::vector<Id>{ids[0]}));
    QCOMPARE(pairsWith(1.0, 2), (std::vector<Id>{ids[1]}));
    QCOMPARE(pairsWith(0.0, 4), (std::vector<Id>{}));
}

void TestLabels::annotatorAndDateFilters()
{
    Database database(path("filters.sqlite"));
    database.addComparisonItems(std::vector{importedItem(1), importedItem(2)});
    const std::vector<Id> ids = idsOf(database.comparisonItems());
    // a0 at t=100, a1 at 200, a2 at 300.
    vote(database, ids[0], {Judgment::A, Judgment::B, Judgment::B});
    vote(database, ids[1], {Judgment::Tie, Judgment::A});

    std::vector<LabelledPair> pairs = rlhf::eval::labelledPairs(database, {});
    QCOMPARE(pairItems(pairs), (std::vector<Id>{ids[0]}));
    QCOMPARE(pairs[0].chosen, std::string("bad 1")); // B by 2 to 1

    // Only a0: A wins item 1, and item 2's tie is a0's alone.
    pairs = rlhf::eval::labelledPairs(database, {.annotators = {"a0"}});
    QCOMPARE(pairItems(pairs), (std::vector<Id>{ids[0]}));
    QCOMPARE(pairs[0].chosen, std::string("good 1"));
    QCOMPARE(pairs[0].labels, int64_t(1));
    // a1 and a0... in any order: item 1 is A = B, item 2 is tie = A.
    QVERIFY(rlhf::eval::labelledPairs(database, {.annotators = {"a1", "a0"}}).empty());
    pairs = rlhf::eval::labelledPairs(database, {.annotators = {"a1"}});
    QCOMPARE(pairItems(pairs), (std::vector<Id>{ids[0], ids[1]}));
    QCOMPARE(pairs[1].chosen, std::string("good 2"));

    // Dates are inclusive at both ends: [200, 300] keeps a1 and a2.
    pairs = rlhf::eval::labelledPairs(database, {.since = 200.0, .until = 300.0});
    QCOMPARE(pairItems(pairs), (std::vector<Id>{ids[0], ids[1]}));
    QCOMPARE(pairs[0].labels, int64_t(2));
    QCOMPARE(pairs[0].agreement, 1.0);
    pairs = rlhf::eval::labelledPairs(database, {.until = 199.0}); // a0 only
    QCOMPARE(pairs[0].chosen, std::string("good 1"));
    QCOMPARE(pairs.size(), size_t(1));
    QVERIFY(rlhf::eval::labelledPairs(database, {.since = 300.5}).empty());
}

void TestLabels::filterJson()
{
    const LabelFilter filter = rlhf::eval::labelFilterFromJson(
        R"({"annotators":["alice","bob"],"since":1.7e9,"min_agreement":0.75,"min_labels":2})",
        "stage.json: data.labels");
    QCOMPARE(filter.annotators, (std::vector<std::string>{"alice", "bob"}));
    QCOMPARE(filter.since, std::optional<double>(1.7e9));
    QVERIFY(!filter.until);
    QCOMPARE(filter.minAgreement, 0.75);
    QCOMPARE(filter.minLabels, int64_t(2));
    QCOMPARE(rlhf::eval::labelFilterToJson(filter),
             std::string(R"({"annotators":["alice","bob"],"since":1700000000.0,)"
                         R"("min_agreement":0.75,"min_labels":2})"));

    const LabelFilter defaults = rlhf::eval::labelFilterFromJson("{}", "x.json: data.labels");
    QVERIFY(defaults.annotators.empty() && !defaults.since && !defaults.until);
    QCOMPARE(defaults.minAgreement, 0.0);
    QCOMPARE(defaults.minLabels, int64_t(1));
    const LabelFilter back = rlhf::eval::labelFilterFromJson(
        rlhf::eval::labelFilterToJson({.until = 5.0, .minLabels = 3}), "x");
    QCOMPARE(back.until, std::optional<double>(5.0));
    QCOMPARE(back.minLabels, int64_t(3));

    const auto error = [](const char* json) {
        return errorOf([&] { rlhf::eval::labelFilterFromJson(json, "stage.json: data.labels"); });
    };
    QCOMPARE(error(R"({"min_agrement":1})"),
             QString("stage.json: data.labels.min_agrement: unknown field"));
    QCOMPARE(error(R"({"min_agreement":1.5})"),
             QString("stage.json: data.labels.min_agreement: expected a share between 0 and 1"));
    QCOMPARE(error(R"({"min_labels":0})"),
             QString("stage.json: data.labels.min_labels: expected at least 1"));
    QVERIFY(error(R"({"annotators":"alice"})").startsWith("stage.json: data.labels.annotators: "));
    QVERIFY(error(R"({"since":"2024-01-01"})").startsWith("stage.json: data.labels.since: "));
}

void TestLabels::queueDatasetFromPreferenceDataset()
{
    Database database(path("queue-dataset.sqlite"));
    const Id prefs = database.addDataset("prefs", DatasetKind::Preference, "p.jsonl");
    std::vector<Document> documents;
    const std::vector<data::Record> records{
        preferenceRecord({{"system", "be brief"}, {"user", "2+2?"}}, "4", "5"),
        preferenceRecord({{"user", "capital of France?"}}, "Paris", "Rome"),
        preferenceRecord({{"user", "hi"}, {"assistant", "hello"}, {"user", "bye"}}, "bye!", "no"),
    };
    for (size_t i = 0; i < records.size(); ++i) {
        documents.push_back({.text = data::toDocumentText(records[i]),
                             .sourceFile = "p.jsonl",
                             .sourceLine = int64_t(i) + 1,
                             .split = i == 1 ? "val" : "train"});
    }
    database.addDocuments(prefs, documents);
    database.addDataset("chat", DatasetKind::Chat, "c.jsonl");

    QCOMPARE(rlhf::eval::queueDataset(database, "prefs", "val"), int64_t(1));
    QCOMPARE(database.comparisonItems()[0].origin, std::string("prefs#1"));
    QCOMPARE(rlhf::eval::queueDataset(database, "prefs"), int64_t(2)); // prefs#1 is queued
    QCOMPARE(rlhf::eval::queueDataset(database, "prefs"), int64_t(0));
    QCOMPARE(rlhf::eval::queueDataset(database, "prefs", "test"), int64_t(0));

    const std::vector<ComparisonItem> items = database.comparisonItems();
    QCOMPARE(items.size(), size_t(3));
    QCOMPARE(items[1].origin, std::string("prefs#0"));
    QCOMPARE(items[1].source, ItemSource::Import);
    QCOMPARE(items[1].promptJson, std::string(R"([{"role":"system","content":"be brief"},)"
                                              R"({"role":"user","content":"2+2?"}])"));
    QCOMPARE(items[1].responseA, std::string("4"));
    QCOMPARE(items[1].responseB, std::string("5"));
    QCOMPARE(items[1].modelA, std::string("chosen"));
    QCOMPARE(items[1].modelB, std::string("rejected"));
    QCOMPARE(items[2].origin, std::string("prefs#2"));
    QCOMPARE(
        items[2].promptJson,
        std::string(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},)"
                    R"({"role":"user","content":"bye"}])"));

    QCOMPARE(errorOf([&] { rlhf::eval::queueDataset(database, "nope"); }),
             QString("queueing dataset 'nope' for labeling: no such dataset"));
    QCOMPARE(errorOf([&] { rlhf::eval::queueDataset(database, "chat"); }),
             QString("queueing dataset 'chat' for labeling: a chat dataset, not a preference "
                     "dataset"));
}

void TestLabels::queueBattlesWithTheirVote()
{
    Database database(path("queue-battles.sqlite"));
    const Id first = database.addBattle(sampleBattle(Judgment::B, "alice"));
    const Id second = database.addBattle(sampleBattle(Judgment::Tie, ""));
    QCOMPARE(rlhf::eval::queueBattles(database), int64_t(2));

    const std::vector<ComparisonItem> items = database.comparisonItems();
    QCOMPARE(items.size(), size_t(2));
    QCOMPARE(items[0].source, ItemSource::Arena);
    QCOMPARE(items[0].origin, "battle#" + std::to_string(first));
    QCOMPARE(items[0].promptJson,
             std::string(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"A1"},)"
                         R"({"role":"user","content":"2+2?"}])"));
    QCOMPARE(items[0].responseA, std::string("A2"));
    QCOMPARE(items[0].responseB, std::string("B2"));
    QCOMPARE(items[0].modelA, std::string("checkpoints/run-1/step-000400"));
    QCOMPARE(items[0].modelB, std::string("checkpoints/run-2/step-000100"));
    QCOMPARE(items[1].origin, "battle#" + std::to_string(second));

    const std::vector<Label> labels = database.labels();
    QCOMPARE(labels.size(), size_t(2));
    QCOMPARE(labels[0].item, items[0].id);
    QCOMPARE(labels[0].annotator, std::string("arena:alice"));
    QCOMPARE(labels[0].judgment, Judgment::B);
    QCOMPARE(labels[0].created, 1700000500.0);
    QCOMPARE(labels[1].annotator, std::string("arena:"));
    QCOMPARE(labels[1].judgment, Judgment::Tie);

    // Queued once, and a vote label missing from a queued battle (a process killed between the
    // two writes) is put back; a new battle is added.
    database.removeLabel(items[1].id, "arena:");
    QCOMPARE(rlhf::eval::queueBattles(database), int64_t(0));
    QCOMPARE(database.labels().size(), size_t(2));
    QCOMPARE(database.label(items[1].id, "arena:")->judgment, Judgment::Tie);
    database.addBattle(sampleBattle(Judgment::A, "bob"));
    QCOMPARE(rlhf::eval::queueBattles(database), int64_t(1));
    QCOMPARE(database.label(database.comparisonItems()[2].id, "arena:bob")->judgment, Judgment::A);
    // The vote counts: the exported pair of battle 1 prefers B's reply.
    const std::vector<LabelledPair> pairs = rlhf::eval::labelledPairs(database, {});
    QCOMPARE(pairs.size(), size_t(2));
    QCOMPARE(pairs[0].chosen, std::string("B2"));

    // A battle whose side B never answered is refused before anything is written.
    Battle unanswered = sampleBattle(Judgment::A, "carol");
    unanswered.conversationB = R"([{"role":"user","content":"hi"}])";
    const Id broken = database.addBattle(unanswered);
    const QString error = errorOf([&] { rlhf::eval::queueBattles(database); });
    QCOMPARE(error, "battle " + QString::number(broken) +
                        ": conversation B: does not end with a user turn answered by the "
                        "assistant");
    QCOMPARE(database.comparisonItemCount(), int64_t(3));
}

void TestLabels::battlePairOfTheWinner()
{
    const std::optional<rlhf::eval::BattlePair> a =
        rlhf::eval::battlePair(sampleBattle(Judgment::A, "x"));
    QVERIFY(a);
    QCOMPARE(a->promptJson,
             std::string(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"A1"},)"
                         R"({"role":"user","content":"2+2?"}])"));
    QCOMPARE(a->chosen, std::string("A2"));
    QCOMPARE(a->rejected, std::string("B2"));
    // B wins: B's own history is the prompt.
    const std::optional<rlhf::eval::BattlePair> b =
        rlhf::eval::battlePair(sampleBattle(Judgment::B, "x"));
    QVERIFY(b);
    QCOMPARE(b->promptJson,
             std::string(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"B1"},)"
                         R"({"role":"user","content":"2+2?"}])"));
    QCOMPARE(b->chosen, std::string("B2"));
    QCOMPARE(b->rejected, std::string("A2"));
    QVERIFY(!rlhf::eval::battlePair(sampleBattle(Judgment::Tie, "x")));
    QVERIFY(!rlhf::eval::battlePair(sampleBattle(Judgment::BothBad, "x")));
}

void TestLabels::exportIsImportablePreferenceJsonl()
{
    const fs::path root = path("export-project");
    rlhf::store::Project project = rlhf::store::Project::create(root);
    Database& database = project.database();
    ComparisonItem multi = importedItem(2);
    multi.promptJson = R"([{"role":"system","content":"be \"brief\""},)"
                       R"({"role":"user","content":"q2\nline"}])";
    database.addComparisonItems(std::vector{importedItem(1), multi});
    const std::vector<Id> ids = idsOf(database.comparisonItems());
    vote(database, ids[0], {Judgment::A});
    vote(database, ids[1], {Judgment::B});

    std::ostringstream out;
    QCOMPARE(rlhf::eval::writePreferenceJsonl(out, rlhf::eval::labelledPairs(database, {})),
             int64_t(2));
    const std::string expected =
        std::string(R"({"prompt":[{"role":"user","content":"q1"}],)"
                    R"("chosen":"good 1","rejected":"bad 1"})") +
        "\n" + R"({"prompt":[{"role":"system","content":"be \"brief\""},)" +
        R"({"role":"user","content":"q2\nline"}],"chosen":"bad 2","rejected":"good 2"})" + "\n";
    QCOMPARE(out.str(), expected);

    // The importer reads the file back as a preference dataset of the same pairs.
    const fs::path file = root / "labels.jsonl";
    std::ofstream(file) << out.str();
    data::ImportRecipe recipe;
    recipe.dataset = "relabelled";
    recipe.files = {file};
    recipe.cleaning.steps.clear();
    recipe.split = {.valFraction = 0.0};
    const data::ImportReport report = data::importDataset(project, recipe);
    QCOMPARE(report.kind, data::RecordKind::Preference);
    QCOMPARE(report.imported, int64_t(2));
    const Id dataset = database.datasetByName("relabelled")->id;
    const std::vector<Document> documents = database.documents(dataset, 0, 10);
    QCOMPARE(documents.size(), size_t(2));
    QCOMPARE(data::fromDocumentText(data::RecordKind::Preference, documents[0].text),
             preferenceRecord({{"user", "q1"}}, "good 1", "bad 1"));
    QCOMPARE(
        data::fromDocumentText(data::RecordKind::Preference, documents[1].text),
        preferenceRecord({{"system", "be \"brief\""}, {"user", "q2\nline"}}, "bad 2", "good 2"));
}

QTEST_GUILESS_MAIN(TestLabels)
#include "test_labels.moc"
