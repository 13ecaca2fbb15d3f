// The arithmetic task: problem generation, mistakes, splits and the three datasets. Everything
// random comes from splitmix64 on an explicit state, never from <random>'s distributions, whose
// output differs between standard libraries: the same options give the same bytes everywhere.
#include "core/data/tasks/arithmetic_task.h"

#include "core/store/project.h"
#include "core/util/error.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace rlhf::data {

namespace {

constexpr int kMaxOperandLimit = 999; // (999 + 1)^2 = one million problems, held in memory
constexpr std::string_view kSourcePath = "generated:arithmetic";

// Independent random streams per dataset, so adding draws to one never shifts another.
enum class Stream : uint64_t { Sft = 1, Pairs = 2 };

// splitmix64's finaliser: a good 64-bit mix of `z`.
uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// splitmix64: advances `state` and returns the next 64 random bits.
uint64_t nextRandom(uint64_t& state)
{
    state += 0x9E3779B97F4A7C15ULL;
    return mix64(state);
}

double unitInterval(uint64_t bits)
{
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// A draw in [0, n); the modulo bias is below 1e-17 for the small n used here.
uint64_t below(uint64_t& state, uint64_t n)
{
    return nextRandom(state) % n;
}

// The starting state of problem `index` in `stream`: problems draw independently of each other.
uint64_t problemState(uint64_t seed, Stream stream, size_t index)
{
    return mix64(mix64(seed ^ (static_cast<uint64_t>(stream) << 56)) + index);
}

// FNV-1a of the question, mixed so that its top bits (the ones mapped to [0, 1)) are uniform.
double questionHash(std::string_view question)
{
    uint64_t hash = 0xCBF29CE484222325ULL;
    for (const char byte : question) {
        hash ^= static_cast<unsigned char>(byte);
        hash *= 0x100000001B3ULL;
    }
    return unitInterval(mix64(hash));
}

std::string splitOf(std::string_view question, const ArithmeticTaskOptions& options)
{
    const double unit = questionHash(question);
    if (unit < options.testShare) return "test";
    if (unit < options.testShare + options.valShare) return "val";
    return "train";
}

bool isShare(double value)
{
    return value >= 0 && value <= 1;
} // false for NaN

void checkOptions(const ArithmeticTaskOptions& options)
{
    auto fail = [](const std::string& message) { throw Error("arithmetic task: " + message); };
    if (options.maxOperand < 0 || options.maxOperand > kMaxOperandLimit)
        fail("maxOperand must be in 0.." + std::to_string(kMaxOperandLimit) + ", got " +
             std::to_string(options.maxOperand));
    if (!isShare(options.errorRate))
        fail("errorRate must be in [0, 1], got " + std::to_string(options.errorRate));
    if (options.pairsPerProblem < 1)
        fail("pairsPerProblem must be at least 1, got " + std::to_string(options.pairsPerProblem));
    if (!isShare(options.valShare) || !isShare(options.testShare) ||
        options.valShare + options.testShare > 1)
        fail("valShare and testShare must be in [0, 1] with a sum of at most 1, got " +
             std::to_string(options.valShare) + " and " + std::to_string(options.testShare));
}

// a + b with the carries forgotten: each decimal digit is (digit of a + digit of b) mod 10.
int64_t sumWithoutCarry(int64_t a, int64_t b)
{
    int64_t result = 0;
    for (int64_t place = 1; a > 0 || b > 0; place *= 10, a /= 10, b /= 10)
        result += ((a % 10 + b % 10) % 10) * place;
    return result;
}

// Every distinct plausible wrong answer, in a fixed order: off by one, off by ten, a forgotten
// carry, the last two digits swapped. Never empty: sum + 1 is always there.
std::vector<std::string> mistakeCandidates(const ArithmeticProblem& problem)
{
    const int64_t sum = static_cast<int64_t>(problem.a) + problem.b;
    const std::string answer = std::to_string(sum);
    std::vector<std::string> candidates;
    auto add = [&](std::string candidate) {
        if (candidate != answer &&
            std::find(candidates.begin(), candidates.end(), candidate) == candidates.end())
            candidates.push_back(std::move(candidate));
    };
    add(std::to_string(sum + 1));
    if (sum >= 1) add(std::to_string(sum - 1));
    add(std::to_string(sum + 10));
    if (sum >= 10) add(std::to_string(sum - 10));
    add(std::to_string(sumWithoutCarry(problem.a, problem.b)));
    if (answer.size() >= 2) {
        std::string swapped = answer;
        std::swap(swapped[swapped.size() - 2], swapped[swapped.size() - 1]);
        if (swapped.front() != '0') add(swapped); // "10" -> "01" is no decimal answer
    }
    return candidates;
}

// `count` mistakes drawn without repetition (a partial Fisher-Yates shuffle); once the distinct
// ones run out, further draws repeat them.
std::vector<std::string> drawMistakes(const ArithmeticProblem& problem, int count, uint64_t& state)
{
    std::vector<std::string> candidates = mistakeCandidates(problem);
    std::vector<std::string> drawn;
    for (int i = 0; i < count; ++i) {
        const size_t left = candidates.size() - std::min<size_t>(i, candidates.size());
        if (left > 0) {
            const size_t pick = i + below(state, left);
            std::swap(candidates[i], candidates[pick]);
            drawn.push_back(candidates[i]);
        } else {
            drawn.push_back(candidates[below(state, candidates.size())]);
        }
    }
    return drawn;
}

Record chatRecord(const std::string& question, const std::string& answer)
{
    Record record;
    record.kind = RecordKind::Chat;
    record.messages = {{"user", question}, {"assistant", answer}};
    return record;
}

std::vector<store::Document> documentsOf(const std::vector<SplitRecord>& records)
{
    std::vector<store::Document> documents;
    documents.reserve(records.size());
    for (const SplitRecord& record : records) {
        store::Document document;
        document.text = toDocumentText(record.record);
        document.split = record.split;
        documents.push_back(std::move(document));
    }
    return documents;
}

store::Project openOrCreate(const std::filesystem::path& folder)
{
    if (std::filesystem::exists(store::ProjectPaths(folder).database()))
        return store::Project::open(folder);
    return store::Project::create(folder);
}

} // namespace

std::vector<ArithmeticProblem> arithmeticProblems(const ArithmeticTaskOptions& options)
{
    checkOptions(options);
    std::vector<ArithmeticProblem> problems;
    problems.reserve(static_cast<size_t>(options.maxOperand + 1) * (options.maxOperand + 1));
    for (int a = 0; a <= options.maxOperand; ++a) {
        for (int b = 0; b <= options.maxOperand; ++b) {
            ArithmeticProblem problem;
            problem.a = a;
            problem.b = b;
            problem.question = "What is " + std::to_string(a) + " + " + std::to_string(b) + "?";
            problem.answer = std::to_string(a + b);
            problem.split = splitOf(problem.question, options);
            problems.push_back(std::move(problem));
        }
    }
    return problems;
}

std::string arithmeticMistake(const ArithmeticProblem& problem, uint64_t& state)
{
    return drawMistakes(problem, 1, state).front();
}

bool arithmeticAnswerIsCorrect(std::string_view response, std::string_view answer)
{
    constexpr std::string_view kWhiteSpace = " \t\n\r\f\v";
    const size_t first = response.find_first_not_of(kWhiteSpace);
    if (first == std::string_view::npos) return answer.empty();
    const size_t last = response.find_last_not_of(kWhiteSpace);
    return response.substr(first, last - first + 1) == answer;
}

std::vector<SplitRecord> arithmeticSftRecords(const ArithmeticTaskOptions& options)
{
    const std::vector<ArithmeticProblem> problems = arithmeticProblems(options);
    std::vector<SplitRecord> records;
    records.reserve(problems.size());
    for (size_t i = 0; i < problems.size(); ++i) {
        const ArithmeticProblem& problem = problems[i];
        uint64_t state = problemState(options.seed, Stream::Sft, i);
        const bool wrong = unitInterval(nextRandom(state)) < options.errorRate;
        const std::string answer = wrong ? arithmeticMistake(problem, state) : problem.answer;
        records.push_back({chatRecord(problem.question, answer), problem.split});
    }
    return records;
}

std::vector<SplitRecord> arithmeticPreferenceRecords(const ArithmeticTaskOptions& options)
{
    const std::vector<ArithmeticProblem> problems = arithmeticProblems(options);
    std::vector<SplitRecord> records;
    records.reserve(problems.size() * options.pairsPerProblem);
    for (size_t i = 0; i < problems.size(); ++i) {
        const ArithmeticProblem& problem = problems[i];
        uint64_t state = problemState(options.seed, Stream::Pairs, i);
        for (const std::string& mistake : drawMistakes(problem, options.pairsPerProblem, state)) {
            Record record;
            record.kind = RecordKind::Preference;
            record.messages = {{"user", problem.question}};
            record.chosen = problem.answer;
            record.rejected = mistake;
            records.push_back({std::move(record), problem.split});
        }
    }
    return records;
}

std::vector<SplitRecord> arithmeticPromptRecords(const ArithmeticTaskOptions& options)
{
    std::vector<SplitRecord> records;
    for (const ArithmeticProblem& problem : arithmeticProblems(options))
        records.push_back({chatRecord(problem.question, problem.answer), problem.split});
    return records;
}

ArithmeticDatasets writeArithmeticTask(const std::filesystem::path& projectFolder,
                                       const std::string& prefix,
                                       const ArithmeticTaskOptions& options)
{
    return withContext("writing the arithmetic task into " + projectFolder.string(), [&] {
        if (prefix.empty()) throw Error("the dataset name prefix is empty");
        checkOptions(options);
        ArithmeticDatasets result{prefix + "-sft", prefix + "-pairs", prefix + "-prompts"};
        store::Project project = openOrCreate(projectFolder);
        store::Database& database = project.database();
        // All three names are checked before anything is written: no half-written task.
        for (const std::string* name : {&result.sft, &result.pairs, &result.prompts}) {
            if (database.datasetByName(*name))
                throw Error("a dataset named '" + *name + "' already exists");
        }
        auto write = [&](const std::string& name, store::DatasetKind kind,
                         const std::vector<SplitRecord>& records) {
            const std::vector<store::Document> documents = documentsOf(records);
            const store::Id id = database.addDataset(name, kind, kSourcePath);
            database.addDocuments(id, documents); // one transaction per dataset
            return static_cast<int64_t>(documents.size());
        };
        result.sftDocuments =
            write(result.sft, store::DatasetKind::Chat, arithmeticSftRecords(options));
        result.pairDocuments = write(result.pairs, store::DatasetKind::Preference,
                                     arithmeticPreferenceRecords(options));
        result.promptDocuments =
            write(result.prompts, store::DatasetKind::Chat, arithmeticPromptRecords(options));
        return result;
    });
}

} // namespace rlhf::data
