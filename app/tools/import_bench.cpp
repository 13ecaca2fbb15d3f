#include "app/tools/import_bench.h"

#include "core/data/cleaning/cleaning.h"
#include "core/data/importer.h"
#include "core/data/readers/reader.h"
#include "core/store/project.h"
#include "core/util/error.h"

#include <array>
#include <chrono>
#include <fstream>
#include <random>

#include <sys/resource.h>

namespace rlhf::tools {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Pseudo-English words from syllables: a stable vocabulary of a few thousand words, so the
// text has the word-length and repetition statistics that hashing and shingling care about.
class WordSource {
public:
    explicit WordSource(uint64_t seed) : m_random(seed)
    {
        static constexpr std::array<const char*, 24> syllables = {
            "the", "an", "ing", "er", "on", "re", "al", "ti", "ver", "co", "lo",  "pre",
            "ma",  "st", "ed",  "or", "de", "ri", "ne", "ha", "son", "li", "ble", "men"};
        std::uniform_int_distribution<int> pick(0, int(syllables.size()) - 1), length(1, 3);
        for (int i = 0; i < 4000; ++i) {
            std::string word;
            for (int n = length(m_random); n > 0; --n)
                word += syllables[pick(m_random)];
            m_words.push_back(std::move(word));
        }
    }

    // Zipf-like: low indexes much more often, as in real text.
    const std::string& word()
    {
        const double u = m_unit(m_random);
        return m_words[size_t(double(m_words.size() - 1) * u * u * u)];
    }

    std::mt19937_64& random() { return m_random; }

private:
    std::mt19937_64 m_random;
    std::uniform_real_distribution<double> m_unit{0.0, 1.0};
    std::vector<std::string> m_words;
};

constexpr std::array<const char*, 6> exotic = {"café",   "naïve", "ﬁnance",
                                               "１２３", "東京",  "Ünïcödé"};

std::string prose(WordSource& words)
{
    std::uniform_int_distribution<int> count(30, 400), coin(0, 99);
    const int n = count(words.random());
    const bool fancy = coin(words.random()) < 3;
    std::string text;
    for (int i = 0; i < n; ++i) {
        if (i) text += (coin(words.random()) < 8) ? ". " : " ";
        text +=
            (fancy && coin(words.random()) < 5) ? exotic[size_t(i) % exotic.size()] : words.word();
    }
    return text + ".";
}

std::string perturbedCase(std::string text)
{
    for (size_t i = 0; i < text.size(); i += 7) {
        if (text[i] >= 'a' && text[i] <= 'z') text[i] = char(text[i] - 'a' + 'A');
    }
    return "  " + text + "  ";
}

std::string nearCopy(const std::string& text, WordSource& words)
{
    std::string result;
    std::uniform_int_distribution<int> coin(0, 99);
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        if (!result.empty()) result += ' ';
        result += coin(words.random()) < 3 ? words.word() : text.substr(start, end - start);
        start = end + 1;
    }
    return result;
}

void appendJsonString(std::string& out, const std::string& text)
{
    out += '"';
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

uint64_t peakRss()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

// CPU seconds used so far by every thread of the process (user + system).
double processCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return double(t.tv_sec) + double(t.tv_usec) * 1e-6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void setCpu(ImportBenchPhase& phase, double cpuStart, uint64_t bytes)
{
    phase.cpuSeconds = processCpuSeconds() - cpuStart;
    phase.megabytesPerCpuSecond = phase.cpuSeconds > 0 ? double(bytes) / 1e6 / phase.cpuSeconds : 0;
}

// Starts a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM).
void resetPeakRss()
{
    std::ofstream("/proc/self/clear_refs") << "5";
}

class CountingSink : public data::RecordSink {
public:
    explicit CountingSink(data::CleaningPipeline* pipeline) : m_pipeline(pipeline) {}
    bool record(data::Record&& record) override
    {
        if (!m_pipeline || m_pipeline->process(record, m_records).keep) ++m_kept;
        ++m_records;
        return true;
    }
    void problem(data::ReadProblem&&) override { ++m_problems; }
    int64_t records() const { return m_records; }
    int64_t kept() const { return m_kept; }

private:
    data::CleaningPipeline* m_pipeline;
    int64_t m_records = 0, m_kept = 0, m_problems = 0;
};

ImportBenchPhase readPhase(const std::string& name, const fs::path& file,
                           const data::CleaningConfig* cleaning, uint64_t bytes)
{
    resetPeakRss();
    const double cpuStart = processCpuSeconds();
    const auto start = Clock::now();
    std::optional<data::CleaningPipeline> pipeline;
    if (cleaning) pipeline.emplace(*cleaning);
    CountingSink sink(pipeline ? &*pipeline : nullptr);
    data::ReadOptions options;
    options.format = data::FileFormat::Jsonl;
    data::readRecords(file, options, sink);
    ImportBenchPhase phase;
    phase.name = name;
    phase.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    phase.megabytesPerSecond = double(bytes) / 1e6 / phase.seconds;
    phase.records = sink.records();
    phase.kept = sink.kept();
    phase.peakRssBytes = peakRss();
    phase.indexBytes = pipeline ? pipeline->indexBytes() : 0;
    setCpu(phase, cpuStart, bytes);
    return phase;
}

} // namespace

void generateBenchCorpus(const fs::path& file, uint64_t bytes, uint64_t seed)
{
    std::ofstream out(file, std::ios::binary);
    if (!out) throw Error(file.string() + ": cannot create");
    WordSource words(seed);
    std::uniform_int_distribution<int> coin(0, 99);
    std::vector<std::string> recent; // earlier records that duplicates copy from
    std::string line;
    uint64_t written = 0;
    while (written < bytes) {
        const int roll = coin(words.random());
        std::string text;
        if (roll < 10 && !recent.empty()) {
            text = perturbedCase(recent[words.random()() % recent.size()]);
        } else if (roll < 15 && !recent.empty()) {
            text = nearCopy(recent[words.random()() % recent.size()], words);
        } else {
            text = prose(words);
            if (recent.size() < 4096) {
                recent.push_back(text);
            } else {
                recent[words.random()() % recent.size()] = text;
            }
        }
        line = "{\"id\":" + std::to_string(written) + ",\"text\":";
        appendJsonString(line, text);
        line += "}\n";
        out << line;
        written += line.size();
    }
    if (!out.flush()) throw Error(file.string() + ": write failed");
}

ImportBenchResult benchImport(const ImportBenchOptions& options)
{
    ImportBenchResult result;
    if (!fs::exists(options.file)) {
        const auto start = Clock::now();
        generateBenchCorpus(options.file, options.bytes);
        result.generateSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    result.bytes = fs::file_size(options.file);
    result.phases.push_back(readPhase("parse", options.file, nullptr, result.bytes));
    const data::CleaningConfig defaults = data::CleaningConfig::defaults();
    result.phases.push_back(readPhase("clean+exact", options.file, &defaults, result.bytes));
    if (options.nearDedup) {
        data::CleaningConfig withNear = defaults;
        withNear.steps.push_back({.kind = data::StepKind::NearDedup});
        result.phases.push_back(
            readPhase("clean+exact+near", options.file, &withNear, result.bytes));
    }
    if (!options.project.empty()) {
        fs::remove_all(options.project);
        store::Project project = store::Project::create(options.project);
        data::ImportRecipe recipe;
        recipe.dataset = "bench";
        recipe.files = {options.file};
        recipe.read.format = data::FileFormat::Jsonl;
        resetPeakRss();
        const double cpuStart = processCpuSeconds();
        const data::ImportReport report = data::importDataset(project, recipe);
        ImportBenchPhase phase;
        phase.name = "import";
        phase.seconds = report.seconds;
        phase.megabytesPerSecond = double(result.bytes) / 1e6 / report.seconds;
        phase.records = report.records;
        phase.kept = report.imported;
        phase.peakRssBytes = peakRss();
        phase.indexBytes = report.indexBytes;
        setCpu(phase, cpuStart, result.bytes); // two threads: it reads while a batch is stored
        result.phases.push_back(phase);
    }
    return result;
}

} // namespace rlhf::tools
