// Human judgment on real SQLite files: comparison items (idempotent per source and origin),
// labels (one per item and annotator, upserted, removable), the per-annotator queue, arena
// battles, the stored words, and a version 4 project migrating to version 5 with its rows.
#include "core/store/database.h"
#include "core/store/label_records.h"
#include "core/store/schema.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <sqlite3.h>

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <string>
#include <vector>

using namespace rlhf::store;
namespace fs = std::filesystem;

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
    QCOMPARE(database.schemaVersion(), 5);
    QCOMPARE(currentSchemaVersion(), 5);
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

QTEST_GUILESS_MAIN(TestLabels)
#include "test_labels.moc"
