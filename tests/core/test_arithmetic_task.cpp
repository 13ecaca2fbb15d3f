// The arithmetic task: the problems and their answers, determinism, splits shared by the three
// datasets, the SFT error rate, the mistakes (checked over every problem), the ground-truth rule,
// and writing the datasets into a real project folder.
#include "core/data/tasks/arithmetic_task.h"
#include "core/store/project.h"
#include "tests/support/error_of.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

using namespace rlhf::data;
using rlhf::testing::errorOf;

namespace {

bool isDecimal(const std::string& text)
{
    if (text.empty() || (text.size() > 1 && text.front() == '0')) return false;
    return text.find_first_not_of("0123456789") == std::string::npos;
}

// SplitRecord has no operator==: records and splits, compared in order.
bool sameRecords(const std::vector<SplitRecord>& left, const std::vector<SplitRecord>& right)
{
    if (left.size() != right.size()) return false;
    for (size_t i = 0; i < left.size(); ++i) {
        if (left[i].record != right[i].record || left[i].split != right[i].split) return false;
    }
    return true;
}

std::string assistantAnswer(const Record& record)
{
    return record.messages.at(1).content;
}

std::map<std::string, std::string> splitByQuestion(const std::vector<SplitRecord>& records)
{
    std::map<std::string, std::string> splits;
    for (const SplitRecord& record : records) {
        const std::string& question = record.record.messages.at(0).content;
        auto [at, inserted] = splits.emplace(question, record.split);
        if (!inserted && at->second != record.split) splits[question] = "conflict";
    }
    return splits;
}

// Every distinct mistake that many draws produce for a + b.
std::set<std::string> mistakesSeen(int a, int b)
{
    ArithmeticProblem problem{a, b, "", std::to_string(a + b), "train"};
    std::set<std::string> seen;
    uint64_t state = 12345;
    for (int draw = 0; draw < 400; ++draw)
        seen.insert(arithmeticMistake(problem, state));
    return seen;
}

} // namespace

class TestArithmeticTask : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void problems()
    {
        const auto problems = arithmeticProblems({});
        QCOMPARE(problems.size(), size_t(50 * 50));
        QCOMPARE(problems.front().question, std::string("What is 0 + 0?"));
        QCOMPARE(problems.front().answer, std::string("0"));
        const ArithmeticProblem& problem = problems[23 * 50 + 45];
        QCOMPARE(problem.question, std::string("What is 23 + 45?"));
        QCOMPARE(problem.answer, std::string("68"));
        QCOMPARE(problems.back().answer, std::string("98"));
    }

    void deterministic()
    {
        ArithmeticTaskOptions options;
        QVERIFY(sameRecords(arithmeticSftRecords(options), arithmeticSftRecords(options)));
        QVERIFY(sameRecords(arithmeticPreferenceRecords(options),
                            arithmeticPreferenceRecords(options)));
        QVERIFY(sameRecords(arithmeticPromptRecords(options), arithmeticPromptRecords(options)));

        // The seed moves the mistakes, never the problems or their splits.
        ArithmeticTaskOptions reseeded = options;
        reseeded.seed = 8;
        const auto sft = arithmeticSftRecords(options);
        const auto sftReseeded = arithmeticSftRecords(reseeded);
        QVERIFY(!sameRecords(sft, sftReseeded));
        QCOMPARE(splitByQuestion(sft), splitByQuestion(sftReseeded));
    }

    void splitsSharedAndDisjoint()
    {
        const ArithmeticTaskOptions options;
        const auto prompts = splitByQuestion(arithmeticPromptRecords(options));
        QCOMPARE(prompts.size(), size_t(2500)); // one split per question, no conflicts
        QCOMPARE(splitByQuestion(arithmeticSftRecords(options)), prompts);
        QCOMPARE(splitByQuestion(arithmeticPreferenceRecords(options)), prompts);

        std::map<std::string, int> counts;
        for (const auto& [question, split] : prompts)
            ++counts[split];
        QCOMPARE(counts.size(), size_t(3)); // train, val and test, nothing else
        QVERIFY2(std::abs(counts["test"] / 2500.0 - 0.10) < 0.03,
                 qPrintable(QString::number(counts["test"])));
        QVERIFY2(std::abs(counts["val"] / 2500.0 - 0.05) < 0.02,
                 qPrintable(QString::number(counts["val"])));

        // Preference pairs in every split, so the reward model has held-out pairs.
        std::set<std::string> pairSplits;
        for (const SplitRecord& record : arithmeticPreferenceRecords(options))
            pairSplits.insert(record.split);
        QCOMPARE(pairSplits, (std::set<std::string>{"test", "train", "val"}));
    }

    void sftErrorRate()
    {
        for (const double rate : {0.0, 0.4, 1.0}) {
            ArithmeticTaskOptions options;
            options.errorRate = rate;
            const auto problems = arithmeticProblems(options);
            const auto records = arithmeticSftRecords(options);
            QCOMPARE(records.size(), problems.size());
            int wrong = 0;
            for (size_t i = 0; i < records.size(); ++i) {
                QCOMPARE(records[i].record.kind, RecordKind::Chat);
                QCOMPARE(records[i].record.messages.at(0).content, problems[i].question);
                const std::string answer = assistantAnswer(records[i].record);
                QVERIFY(isDecimal(answer));
                if (answer != problems[i].answer) ++wrong;
            }
            // Binomial standard deviation at 0.4 over 2,500: about 0.0098; 3 of them.
            QVERIFY2(std::abs(wrong / 2500.0 - rate) < 0.03, qPrintable(QString::number(wrong)));
        }
    }

    void mistakesOverAllProblems()
    {
        ArithmeticTaskOptions options;
        options.maxOperand = 120; // three-digit sums too
        uint64_t state = 99;
        for (const ArithmeticProblem& problem : arithmeticProblems(options)) {
            for (int draw = 0; draw < 4; ++draw) {
                const std::string mistake = arithmeticMistake(problem, state);
                QVERIFY2(isDecimal(mistake) && mistake != problem.answer,
                         qPrintable(QString::fromStdString(problem.question + " " + mistake)));
            }
        }
    }

    void mistakesAreThePlausibleOnes()
    {
        // 27 + 35 = 62: 63, 61, 72, 52 (off by 1, 10; also the forgotten carry), 26 (swapped).
        QCOMPARE(mistakesSeen(27, 35), (std::set<std::string>{"26", "52", "61", "63", "72"}));
        // 0 + 0 = 0: nothing below zero, nothing to swap or carry.
        QCOMPARE(mistakesSeen(0, 0), (std::set<std::string>{"1", "10"}));
        // 5 + 5 = 10: 11, 9, 20, 0 (10 - 10 and the forgotten carry); "01" is no answer.
        QCOMPARE(mistakesSeen(5, 5), (std::set<std::string>{"0", "11", "20", "9"}));
    }

    void preferencePairs()
    {
        const ArithmeticTaskOptions options; // 2 pairs per problem
        const auto problems = arithmeticProblems(options);
        const auto pairs = arithmeticPreferenceRecords(options);
        QCOMPARE(pairs.size(), problems.size() * 2);
        for (size_t i = 0; i < problems.size(); ++i) {
            const Record& first = pairs[2 * i].record;
            const Record& second = pairs[2 * i + 1].record;
            QCOMPARE(first.kind, RecordKind::Preference);
            QCOMPARE(first.messages, (std::vector<Message>{{"user", problems[i].question}}));
            QCOMPARE(first.chosen, problems[i].answer);
            QCOMPARE(second.chosen, problems[i].answer);
            QVERIFY(first.rejected != first.chosen && isDecimal(first.rejected));
            QVERIFY(first.rejected != second.rejected); // two different mistakes
        }
        const auto prompts = arithmeticPromptRecords(options);
        QCOMPARE(assistantAnswer(prompts[23 * 50 + 45].record), std::string("68"));
    }

    void rule()
    {
        QVERIFY(arithmeticAnswerIsCorrect(" 68\n", "68"));
        QVERIFY(arithmeticAnswerIsCorrect("68 ", "68"));
        QVERIFY(arithmeticAnswerIsCorrect("\t68\r\n", "68"));
        QVERIFY(!arithmeticAnswerIsCorrect("6 8", "68"));
        QVERIFY(!arithmeticAnswerIsCorrect("068", "68"));
        QVERIFY(!arithmeticAnswerIsCorrect("68.", "68"));
        QVERIFY(!arithmeticAnswerIsCorrect("  ", "68"));
    }

    void badOptions()
    {
        ArithmeticTaskOptions options;
        options.errorRate = 1.5;
        QVERIFY(errorOf([&] { arithmeticProblems(options); }).contains("errorRate"));
        options = {};
        options.testShare = 0.7;
        options.valShare = 0.4;
        QVERIFY(errorOf([&] { arithmeticProblems(options); }).contains("testShare"));
    }

    void writesIntoAProject()
    {
        QTemporaryDir dir;
        const std::filesystem::path folder = dir.filePath("project").toStdString(); // not there yet
        const ArithmeticTaskOptions options;
        const ArithmeticDatasets written = writeArithmeticTask(folder, "arith", options);
        QCOMPARE(written.sft, std::string("arith-sft"));
        QCOMPARE(written.pairs, std::string("arith-pairs"));
        QCOMPARE(written.prompts, std::string("arith-prompts"));
        QCOMPARE(written.sftDocuments, int64_t(2500));
        QCOMPARE(written.pairDocuments, int64_t(5000));
        QCOMPARE(written.promptDocuments, int64_t(2500));

        std::map<std::string, int64_t> promptSplits;
        for (const SplitRecord& record : arithmeticPromptRecords(options))
            ++promptSplits[record.split];

        rlhf::store::Project project = rlhf::store::Project::open(folder);
        auto& database = project.database();
        const auto sft = database.datasetByName("arith-sft");
        const auto pairs = database.datasetByName("arith-pairs");
        const auto prompts = database.datasetByName("arith-prompts");
        QVERIFY(sft && pairs && prompts);
        QCOMPARE(sft->kind, rlhf::store::DatasetKind::Chat);
        QCOMPARE(pairs->kind, rlhf::store::DatasetKind::Preference);
        QCOMPARE(prompts->kind, rlhf::store::DatasetKind::Chat);
        QCOMPARE(database.documentCount(sft->id), int64_t(2500));
        QCOMPARE(database.documentCount(pairs->id), int64_t(5000));
        for (const char* split : {"train", "val", "test"}) {
            QVERIFY(promptSplits[split] > 0);
            QCOMPARE(database.documentCount(prompts->id, split), promptSplits[split]);
            QCOMPARE(database.documentCount(sft->id, split), promptSplits[split]);
            QCOMPARE(database.documentCount(pairs->id, split), 2 * promptSplits[split]);
        }

        // The stored documents read back as the records, in order.
        const auto stored = database.documents(pairs->id, 0, 2);
        const auto records = arithmeticPreferenceRecords(options);
        QCOMPARE(fromDocumentText(RecordKind::Preference, stored.at(1).text), records.at(1).record);
        QCOMPARE(stored.at(1).split, records.at(1).split);

        // Never over an existing dataset; another prefix goes into the same project.
        const QString refused = errorOf([&] { writeArithmeticTask(folder, "arith", options); });
        QVERIFY2(refused.contains("'arith-sft' already exists"), qPrintable(refused));
        QCOMPARE(database.datasets().size(), size_t(3));
        ArithmeticTaskOptions small;
        small.maxOperand = 9;
        QCOMPARE(writeArithmeticTask(folder, "small", small).sftDocuments, int64_t(100));
    }
};

QTEST_APPLESS_MAIN(TestArithmeticTask)
#include "test_arithmetic_task.moc"
