// What the reader tests share: a RecordSink that keeps everything it is given, a reader run
// that also checks the summary's counts against what arrived, and a byte-exact file writer.
#pragma once

#include "core/data/readers/reader.h"

#include <QTest>

#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

namespace rlhf::testing {

class Collect : public data::RecordSink {
public:
    bool record(data::Record&& record) override
    {
        records.push_back(std::move(record));
        return true;
    }
    void problem(data::ReadProblem&& problem) override { problems.push_back(std::move(problem)); }

    std::vector<data::Record> records;
    std::vector<data::ReadProblem> problems;
};

// Reads `file` to the end; a summary that disagrees with what the sink received fails the test.
inline Collect readAll(const std::filesystem::path& file, const data::ReadOptions& options = {})
{
    Collect sink;
    const data::ReadSummary summary = data::readRecords(file, options, sink);
    [&] {
        QCOMPARE(summary.records, static_cast<int64_t>(sink.records.size()));
        QCOMPARE(summary.problems, static_cast<int64_t>(sink.problems.size()));
    }();
    return sink;
}

inline void writeFile(const std::filesystem::path& file, std::string_view bytes)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace rlhf::testing
