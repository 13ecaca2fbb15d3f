// Labels as a stage's data: a reward model trained through runStage on the labelled pairs of
// the project (no dataset), its train loss falling; the split of the pairs by a hash of the
// item id; the "data" document with labels read strictly and written back; and bad documents
// refused with the field named, recording no run.
#include "core/eval/label_pairs.h"
#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/text/bpe_trainer.h"
#include "core/text/tokenizer_json.h"
#include "core/train/finetune_config.h"
#include "core/train/stage_data.h"
#include "core/train/stage_runner.h"
#include "core/util/error.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/error_of.h"

#include <QTemporaryDir>
#include <QTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <set>

using namespace rlhf;
namespace fs = std::filesystem;

using rlhf::testing::errorOf;

namespace {

const char* const checkpointPath = "checkpoints/1/step-000010";
constexpr int itemCount = 48;

// A project with a BPE tokenizer, a tiny Llama checkpoint and `itemCount` labelled items: the
// reply "yes, gladly" is always the better one, shown as A on even items and as B on odd ones.
// alice labels every item right; bob labels every item wrong, so a filter on alice is needed.
fs::path makeProject(const fs::path& root)
{
    store::Project project = store::Project::create(root);
    store::Database& database = project.database();

    fixtures::writeTinyLlama(
        project, checkpointPath,
        "please help me. yes, gladly. no, go away. please help me with task 12.", 5, 64);

    std::vector<store::ComparisonItem> items;
    for (int i = 0; i < itemCount; ++i) {
        const bool goodIsA = i % 2 == 0;
        items.push_back({.source = store::ItemSource::Sampled,
                         .origin = "item#" + std::to_string(i),
                         .promptJson = R"([{"role":"user","content":"please help me with task )" +
                                       std::to_string(i) + R"("}])",
                         .responseA = goodIsA ? "yes, gladly" : "no, go away",
                         .responseB = goodIsA ? "no, go away" : "yes, gladly"});
    }
    database.addComparisonItems(items);
    for (const store::ComparisonItem& item : database.comparisonItems()) {
        const bool goodIsA = item.responseA == "yes, gladly";
        database.setLabel({.item = item.id,
                           .annotator = "alice",
                           .judgment = goodIsA ? store::Judgment::A : store::Judgment::B});
        database.setLabel({.item = item.id,
                           .annotator = "bob",
                           .judgment = goodIsA ? store::Judgment::B : store::Judgment::A});
    }
    return root;
}

nlohmann::json rewardDocument(const nlohmann::json& data)
{
    return {{"stage", "reward"},
            {"name", "rm-from-labels"},
            {"init", checkpointPath},
            {"data", data},
            {"optimizer", {{"lr", 3e-3}, {"min_lr", 3e-4}, {"warmup_steps", 2}}},
            {"training",
             {{"steps", 30},
              {"batch_size", 8},
              {"device", "cpu"},
              {"log_every", 1},
              {"eval_every", 0},
              {"checkpoint_every", 0}}}};
}

double meanValue(const std::vector<store::MetricSample>& samples, size_t from, size_t to)
{
    double sum = 0;
    for (size_t i = from; i < to; ++i)
        sum += samples[i].value;
    return sum / double(to - from);
}

class Logs final : public train::StageObserver {
public:
    void onLog(const std::string& line) override { lines.push_back(line); }
    std::vector<std::string> lines;
};

} // namespace

class TestLabelTraining : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_root = makeProject(fs::path(m_dir.path().toStdString()) / "project");
    }

    void labelRecordsAreSplitByItem()
    {
        store::Project project = store::Project::open(m_root);
        const store::Database& database = project.database();
        const eval::LabelFilter alice{.annotators = {"alice"}};
        const auto train = train::loadLabelRecords(database, alice, 0.25, "train", "s.json");
        const auto val = train::loadLabelRecords(database, alice, 0.25, "val", "s.json");
        QCOMPARE(int(train.size() + val.size()), itemCount);
        // About a quarter held out (the hash is fixed, so this is exact for these ids).
        QVERIFY2(val.size() >= 6 && val.size() <= 18, std::to_string(val.size()).c_str());
        std::set<int64_t> items;
        for (const auto* split : {&train, &val}) {
            for (const data::Record& record : *split) {
                QCOMPARE(record.kind, data::RecordKind::Preference);
                QCOMPARE(record.chosen, std::string("yes, gladly")); // alice's majority
                QCOMPARE(record.rejected, std::string("no, go away"));
                QCOMPARE(record.messages.size(), size_t(1));
                QCOMPARE(record.messages[0].role, std::string("user"));
                QVERIFY(items.insert(record.source.line).second); // each item in one split
            }
        }
        // The same call gives the same split; more val_fraction only moves items into val.
        QCOMPARE(train::loadLabelRecords(database, alice, 0.25, "val", "s.json"), val);
        const auto moreVal = train::loadLabelRecords(database, alice, 0.5, "val", "s.json");
        QVERIFY(moreVal.size() > val.size());
        for (const data::Record& record : val)
            QVERIFY(std::find(moreVal.begin(), moreVal.end(), record) != moreVal.end());
        QVERIFY(train::loadLabelRecords(database, alice, 0.0, "val", "s.json").empty());

        // alice and bob together: every item is A = B, so no pair at all.
        QCOMPARE(errorOf([&] { train::loadLabelRecords(database, {}, 0.1, "train", "s.json"); }),
                 QString("s.json: data.labels: no labelled pair passes the filter (96 labels of "
                         "48 items stored)"));
    }

    void rewardModelTrainsOnLabels()
    {
        const nlohmann::json document =
            rewardDocument({{"labels", {{"annotators", {"alice"}}}}, {"val_fraction", 0.25}});
        Logs logs;
        train::StopToken stop;
        const train::StageRunReport report =
            train::runStage(m_root, document, "rm.json", logs, stop);
        QCOMPARE(report.status, std::string("completed"));

        store::Project project = store::Project::open(m_root);
        const store::Database& database = project.database();
        const eval::LabelFilter alice{.annotators = {"alice"}};
        const size_t valPairs =
            train::loadLabelRecords(database, alice, 0.25, "val", "s.json").size();
        const std::string counts = std::to_string(itemCount - valPairs) + " training pairs, " +
                                   std::to_string(valPairs) + " held-out pairs";
        QVERIFY2(std::find(logs.lines.begin(), logs.lines.end(), counts) != logs.lines.end(),
                 counts.c_str());

        const auto loss = database.metricSeries(report.runId, "train/loss");
        QCOMPARE(loss.size(), size_t(30));
        const double early = meanValue(loss, 0, 5), late = meanValue(loss, 25, 30);
        QVERIFY2(late < 0.5 * early,
                 (std::to_string(early) + " -> " + std::to_string(late)).c_str());
        QVERIFY(!database.metricSeries(report.runId, "val/accuracy").empty());

        // The recorded document names the labels, and parses again as the same filter.
        const auto stored = nlohmann::json::parse(database.run(report.runId)->configJson);
        QCOMPARE(stored["data"]["labels"]["annotators"][0].get<std::string>(),
                 std::string("alice"));
        train::validateStageDocument(stored, "stored");
    }

    void dataDocumentWithLabelsRoundTrips()
    {
        const nlohmann::json document = rewardDocument(
            {{"labels", {{"annotators", {"alice", "carol"}}, {"since", 1.5e9}, {"min_labels", 2}}},
             {"val_fraction", 0.2}});
        const train::FineTuneConfig config =
            train::fineTuneConfigFromJson(document, store::RunStage::Reward, "rm.json");
        QVERIFY(config.data.labels);
        QVERIFY(config.data.dataset.empty());
        QCOMPARE(config.data.labels->annotators, (std::vector<std::string>{"alice", "carol"}));
        QCOMPARE(config.data.labels->since, std::optional<double>(1.5e9));
        QCOMPARE(config.data.labels->minLabels, int64_t(2));
        QCOMPARE(config.data.valFraction, 0.2);

        const nlohmann::json written = train::fineTuneJson(config);
        QCOMPARE(written["data"].dump(),
                 std::string(R"({"labels":{"annotators":["alice","carol"],"min_agreement":0.0,)"
                             R"("min_labels":2,"since":1500000000.0},"val_fraction":0.2})"));
        const train::FineTuneConfig back =
            train::fineTuneConfigFromJson(written, store::RunStage::Reward, "w");
        QCOMPARE(back.data.labels->annotators, config.data.labels->annotators);
        QCOMPARE(back.data.valFraction, 0.2);

        // A dataset document is written as before, without labels.
        const train::FineTuneConfig plain =
            train::fineTuneConfigFromJson(rewardDocument({{"dataset", "pairs"}, {"val", ""}}),
                                          store::RunStage::Reward, "rm.json");
        QVERIFY(!plain.data.labels);
        QCOMPARE(train::fineTuneJson(plain)["data"].dump(),
                 std::string(R"({"dataset":"pairs","train":"train","val":""})"));
    }

    void badLabelDocumentsAreRefused()
    {
        const auto error = [&](const nlohmann::json& document) {
            return errorOf([&] {
                Logs logs;
                train::StopToken stop;
                train::runStage(m_root, document, "bad.json", logs, stop);
            });
        };
        store::Project project = store::Project::open(m_root);
        const size_t runsBefore = project.database().runs().size();

        QCOMPARE(error(rewardDocument({{"labels", {{"min_agrement", 0.5}}}})),
                 QString("bad.json: data.labels.min_agrement: unknown field"));
        QCOMPARE(error(rewardDocument({{"labels", {{"min_labels", 0}}}})),
                 QString("bad.json: data.labels.min_labels: expected at least 1"));
        QCOMPARE(
            error(rewardDocument({{"labels", {{"annotators", {"alice"}}}}, {"val_fraction", 1.0}})),
            QString("bad.json: data.val_fraction: 1.0 is out of range (0 to below 1)"));
        QCOMPARE(
            error(rewardDocument({{"labels", nlohmann::json::object()}, {"dataset", "pairs"}})),
            QString("bad.json: data.labels: give either dataset or labels, not both"));
        QCOMPARE(error(rewardDocument({{"labels", nlohmann::json::object()}, {"train", "train"}})),
                 QString("bad.json: data.train: unknown field"));
        QCOMPARE(error(rewardDocument({{"val_fraction", 0.1}})),
                 QString("bad.json: data.dataset: missing required field"));
        QCOMPARE(error(rewardDocument({{"dataset", "pairs"}, {"val_fraction", 0.1}})),
                 QString("bad.json: data.val_fraction: unknown field"));
        nlohmann::json sft = rewardDocument({{"labels", nlohmann::json::object()}});
        sft["stage"] = "sft";
        QCOMPARE(error(sft),
                 QString("bad.json: data.labels: labels train only the reward and dpo stages, "
                         "not sft"));
        // A filter no pair passes (alice and bob disagree everywhere) is refused before a run.
        QCOMPARE(error(rewardDocument({{"labels", nlohmann::json::object()}})),
                 QString("bad.json: data.labels: no labelled pair passes the filter (96 labels "
                         "of 48 items stored)"));
        QCOMPARE(project.database().runs().size(), runsBefore);
    }

private:
    QTemporaryDir m_dir;
    fs::path m_root;
};

QTEST_GUILESS_MAIN(TestLabelTraining)
#include "test_label_training.moc"
