// Reader throughput: writes a JSONL file and a CSV file of about SIZE_MB (default 200) Alpaca
// rows to a temporary folder, reads each with readRecords (parse + shape into Records, the
// records dropped), and prints one JSON line with the MB per CPU-second of each. Usage:
// bench_readers [MB].
#include "core/data/readers/reader.h"

#include <ctime>
#include <memory>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace rlhf::data;
namespace fs = std::filesystem;

namespace {

class Count : public RecordSink {
public:
    bool record(Record&& record) override
    {
        bytes += record.messages.empty() ? 0 : record.messages.back().content.size();
        return true;
    }
    void problem(ReadProblem&&) override { ++problems; }
    uint64_t bytes = 0, problems = 0;
};

// CPU seconds of this process (one thread) to read `file`, and the records it gave. CPU time,
// not wall time: on a shared machine it is what "MB/s per core" means.
std::pair<double, int64_t> timeRead(const fs::path& file)
{
    Count sink;
    const std::clock_t start = std::clock();
    const ReadSummary summary = readRecords(file, {}, sink);
    const double took = double(std::clock() - start) / CLOCKS_PER_SEC;
    if (sink.problems != 0)
        std::fprintf(stderr, "%s: %llu problems\n", file.c_str(),
                     static_cast<unsigned long long>(sink.problems));
    return {took, summary.records};
}

} // namespace

int main(int argc, char** argv)
{
    const uint64_t target = (argc > 1 ? std::stoull(argv[1]) : 200) << 20;
    const fs::path folder = fs::temp_directory_path() / "rlhf-bench-readers";
    fs::create_directories(folder);
    const fs::path jsonl = folder / "rows.jsonl", csv = folder / "rows.csv";
    {
        std::ofstream j(jsonl, std::ios::binary), c(csv, std::ios::binary);
        c << "instruction,input,output\n";
        // Rows of a few hundred bytes with escapes, quotes and non-ASCII, like real SFT data.
        const std::string body = "The quick brown fox jumps over the lazy dog; caf\xc3\xa9 "
                                 "na\xc3\xafve \\\"quoted\\\" text, with a comma. ";
        uint64_t written = 0;
        for (uint64_t i = 0; written < target; ++i) {
            const std::string n = std::to_string(i);
            std::string row = "{\"instruction\":\"Question " + n + ": " + body +
                              "\",\"input\":\"\",\"output\":\"Answer " + n + ": " + body + body +
                              body + "\"}\n";
            j << row;
            written += row.size();
            std::string csvBody = "The quick brown fox jumps over the lazy dog; caf\xc3\xa9 "
                                  "\"\"quoted\"\" text, with a comma. ";
            c << "\"Question " << n << ": " << csvBody << "\",,\"Answer " << n << ": " << csvBody
              << csvBody << csvBody << "\"\n";
        }
    }
    const double jsonlMb = fs::file_size(jsonl) / 1e6, csvMb = fs::file_size(csv) / 1e6;
    readRecords(jsonl, {}, *std::make_unique<Count>()); // warm the page cache
    const auto [jsonlSeconds, jsonlRows] = timeRead(jsonl);
    readRecords(csv, {}, *std::make_unique<Count>());
    const auto [csvSeconds, csvRows] = timeRead(csv);
    std::printf("{\"jsonl_mb\":%.1f,\"jsonl_rows\":%lld,\"jsonl_mb_per_s\":%.1f,"
                "\"csv_mb\":%.1f,\"csv_rows\":%lld,\"csv_mb_per_s\":%.1f}\n",
                jsonlMb, static_cast<long long>(jsonlRows), jsonlMb / jsonlSeconds, csvMb,
                static_cast<long long>(csvRows), csvMb / csvSeconds);
    fs::remove_all(folder);
    return 0;
}
