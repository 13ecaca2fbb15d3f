// core/data/token_splits: trainProjectTokenizer reports counting then merging progress, refuses
// a taken name before any work, and a cancel in either phase records and writes nothing; then
// writeTokenSplits tokenizes every document into the train and validation files.
#include "core/data/record.h"
#include "core/data/token_splits.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"

#include "core/store/project.h"
#include "tests/support/error_of.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <string>
#include <vector>

using namespace rlhf;

using rlhf::testing::errorOf;

namespace {

constexpr int kDocuments = 400;

store::Project makeProject(const QTemporaryDir& dir, store::Id& dataset)
{
    auto project = store::Project::create(dir.filePath("project").toStdString());
    dataset = project.database().addDataset("notes", store::DatasetKind::Text, "notes.txt");
    std::vector<store::Document> documents(kDocuments);
    for (int i = 0; i < kDocuments; ++i)
        documents[size_t(i)].text = "document " + std::to_string(i) + " says the same words " +
                                    std::to_string(i * 7919 % 1000) + " again and again";
    project.database().addDocuments(dataset, documents);
    return project;
}

} // namespace

class TestTokenSplits : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void progressRunsThroughBothPhases()
    {
        QTemporaryDir dir;
        store::Id dataset = 0;
        auto project = makeProject(dir, dataset);
        text::TrainConfig config;
        config.vocabSize = 400;
        std::vector<int64_t> counted, merged;
        int64_t countTotal = 0, mergeTotal = 0;
        bool countedAfterMerging = false;
        const std::string path = data::trainProjectTokenizer(
            project, dataset, "bpe", config,
            [&](data::TokenizerPhase phase, int64_t done, int64_t total) {
                if (phase == data::TokenizerPhase::CountingWords) {
                    countedAfterMerging |= !merged.empty();
                    counted.push_back(done);
                    countTotal = total;
                } else {
                    merged.push_back(done);
                    mergeTotal = total;
                }
                return true;
            });
        QCOMPARE(path, std::string("tokenizers/bpe.json"));
        QVERIFY(!countedAfterMerging); // counting comes first
        QCOMPARE(countTotal, int64_t(kDocuments));
        QCOMPARE(int64_t(counted.size()), int64_t(kDocuments));
        QCOMPARE(counted.back(), int64_t(kDocuments));
        QVERIFY(!merged.empty());
        QCOMPARE(merged.front(), int64_t(1));
        QVERIFY(merged.back() <= mergeTotal);
        QCOMPARE(mergeTotal, int64_t(400 - 256 - 7)); // merges wanted: vocab minus fixed ids
        QVERIFY(project.database().tokenizer("bpe").has_value());

        // A taken name is refused before any document is read.
        bool called = false;
        const QString taken = errorOf([&] {
            data::trainProjectTokenizer(project, dataset, "bpe", config,
                                        [&](data::TokenizerPhase, int64_t, int64_t) {
                                            called = true;
                                            return true;
                                        });
        });
        QVERIFY2(taken.contains("a tokenizer named 'bpe' already exists"), qPrintable(taken));
        QVERIFY(!called);

        // Tokenizing reports every document and writes both splits.
        int64_t last = 0;
        const auto splits =
            data::writeTokenSplits(project, dataset, "bpe", {}, [&](int64_t done, int64_t total) {
                last = done;
                return total == kDocuments;
            });
        QCOMPARE(last, int64_t(kDocuments));
        QCOMPARE(splits.trainDocuments + splits.valDocuments, int64_t(kDocuments));
        QVERIFY(splits.trainTokens > 0 && splits.valTokens > 0);
    }

    // A chat dataset imported with a split: its documents are JSON, yet the tokenizer learns
    // the messages (never the JSON punctuation), val documents go to val, test ones nowhere.
    void chatDatasetFollowsItsStoredSplit()
    {
        QTemporaryDir dir;
        auto project = store::Project::create(dir.filePath("project").toStdString());
        auto& database = project.database();
        const store::Id dataset = database.addDataset("chat", store::DatasetKind::Chat, "c.jsonl");
        std::vector<store::Document> documents;
        const char* splits[] = {"train", "train", "val", "test"};
        for (int i = 0; i < 200; ++i) {
            data::Record record{
                .kind = data::RecordKind::Chat,
                .messages = {{"user", "what is " + std::to_string(i) + "?"},
                             {"assistant", "it is the number " + std::to_string(i)}}};
            documents.push_back({.text = data::toDocumentText(record), .split = splits[i % 4]});
        }
        database.addDocuments(dataset, documents);
        text::TrainConfig config;
        config.vocabSize = 300;
        data::trainProjectTokenizer(project, dataset, "bpe", config);
        const text::Tokenizer tokenizer =
            text::loadTokenizerJson(project.paths().absolute(database.tokenizer("bpe")->path));
        // "content" and "role" appear in every JSON document: learnt only if JSON leaked in.
        QVERIFY(tokenizer.encode("content").size() > 1);
        QCOMPARE(tokenizer.encode(" number").size(), size_t(1));

        const auto result = data::writeTokenSplits(project, dataset, "bpe");
        QCOMPARE(result.trainDocuments, int64_t(100));
        QCOMPARE(result.valDocuments, int64_t(50));
        QCOMPARE(result.testDocuments, int64_t(50));
    }

    void cancelInEitherPhaseLeavesNothing()
    {
        QTemporaryDir dir;
        store::Id dataset = 0;
        auto project = makeProject(dir, dataset);
        text::TrainConfig config;
        config.vocabSize = 400;
        for (auto stopIn : {data::TokenizerPhase::CountingWords, data::TokenizerPhase::Merging}) {
            const std::string name =
                stopIn == data::TokenizerPhase::CountingWords ? "counting" : "merging";
            int calls = 0;
            const QString error = errorOf([&] {
                data::trainProjectTokenizer(project, dataset, name, config,
                                            [&](data::TokenizerPhase phase, int64_t done, int64_t) {
                                                ++calls;
                                                return !(phase == stopIn && done == 3);
                                            });
            });
            QVERIFY2(error.contains("tokenizer training cancelled"), qPrintable(error));
            QVERIFY(!project.database().tokenizer(name).has_value());
            QVERIFY(!std::filesystem::exists(project.paths().tokenizers() / (name + ".json")));
            const int expected = stopIn == data::TokenizerPhase::CountingWords ? 3 : kDocuments + 3;
            QCOMPARE(calls, expected); // stopped at once
        }
    }
};

QTEST_MAIN(TestTokenSplits)
#include "test_token_splits.moc"
