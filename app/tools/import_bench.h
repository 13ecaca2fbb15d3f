// What `rlhf bench import` measures: a generated JSONL corpus read, cleaned and deduplicated
// in phases (parse only; parse + default cleaning + exact dedup; + near dedup; the whole import
// into a project database), each with its MB/s and peak memory. Speed goals live here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rlhf::tools {

// Writes `bytes` (at least) of JSONL {"text": ...} records: pseudo-English prose of 30 to 400
// words, 3% with accents, ligatures, fullwidth forms or CJK (the NFKC slow path), 10% exact
// duplicates of an earlier record in other case and spacing, 5% near duplicates (about 3% of
// the words changed). Deterministic for a seed.
void generateBenchCorpus(const std::filesystem::path& file, uint64_t bytes, uint64_t seed = 1);

struct ImportBenchOptions {
    std::filesystem::path file;    // the corpus; generated when missing
    uint64_t bytes = 1ull << 30;   // corpus size when generated, e.g. 1 GiB
    std::filesystem::path project; // scratch project folder for the full import; "" = skip it
    bool nearDedup = true;         // run the near-dedup phase
};

struct ImportBenchPhase {
    std::string name; // "parse", "clean+exact", "clean+exact+near", "import"
    double seconds = 0;
    double megabytesPerSecond = 0;    // input MB (1e6 bytes) per second of this phase
    double cpuSeconds = 0;            // CPU time of all the process's threads during the phase
    double megabytesPerCpuSecond = 0; // input MB per CPU second: the per-core figure
    int64_t records = 0;
    int64_t kept = 0;
    uint64_t peakRssBytes = 0; // the process's peak resident memory during the phase
    uint64_t indexBytes = 0;   // dedup index memory at the end
};

struct ImportBenchResult {
    uint64_t bytes = 0;
    double generateSeconds = 0; // 0 when the corpus existed
    std::vector<ImportBenchPhase> phases;
};

ImportBenchResult benchImport(const ImportBenchOptions& options);

} // namespace rlhf::tools
