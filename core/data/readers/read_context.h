// What every format reader shares while it runs: the sink, the counts, the file's name for
// locations, and progress reporting throttled to every few MiB.
#pragma once

#include "core/data/readers/byte_source.h"
#include "core/data/readers/line_reader.h"
#include "core/data/readers/reader.h"

#include <string>

namespace rlhf::data {

class ReadContext {
public:
    ReadContext(std::string file, const ReadOptions& options, RecordSink& sink)
        : file(std::move(file)), options(options), m_sink(sink)
    {
    }
    const std::string file; // as the user named it: locations carry it
    const ReadOptions& options;
    ReadSummary summary;

    // False once the sink cancelled: the reader stops.
    bool record(Record&& record, int64_t line)
    {
        record.source.file = file; // assigned, not rebuilt: a reused record keeps its capacity
        record.source.line = line;
        ++summary.records;
        if (!m_sink.record(std::move(record))) summary.cancelled = true;
        return !summary.cancelled;
    }
    void problem(int64_t line, std::string field, std::string reason, std::string_view raw)
    {
        problemIn(file, line, std::move(field), std::move(reason), raw);
    }
    // A problem in another file of the same input (Cornell's movie_lines.txt).
    void problemIn(const std::string& otherFile, int64_t line, std::string field,
                   std::string reason, std::string_view raw)
    {
        ++summary.problems;
        m_sink.problem({{otherFile, line}, std::move(field), std::move(reason), rawExcerpt(raw)});
    }
    // Reports progress when another kProgressStep bytes went by; false once cancelled.
    bool progress(const ByteSource& source)
    {
        summary.bytes = source.bytesDone();
        if (summary.bytes >= m_nextProgress || summary.bytes == source.bytesTotal()) {
            m_nextProgress = summary.bytes + kProgressStep;
            if (!m_sink.progress(summary.bytes, source.bytesTotal())) summary.cancelled = true;
        }
        return !summary.cancelled;
    }
    bool stopped() const { return summary.cancelled; }

private:
    static constexpr uint64_t kProgressStep = 4u << 20;
    RecordSink& m_sink;
    uint64_t m_nextProgress = 0;
};

// The readers behind readRecords, one per format. They take the bytes as a ByteSource so the
// fuzz targets can feed memory; shape and mapping are already resolved (never Auto).
void readTextUnits(ReadContext& context, ByteSource& source);
void readJsonl(ReadContext& context, ByteSource& source, RecordShape shape,
               const FieldMapping& mapping);
void readJsonArray(ReadContext& context, ByteSource& source, RecordShape shape,
                   const FieldMapping& mapping);
void readDelimited(ReadContext& context, ByteSource& source, char delimiter, RecordShape shape,
                   const FieldMapping& mapping);
void readCornell(ReadContext& context, ByteSource& conversations, ByteSource& lines,
                 const std::string& linesFile);
void readStackExchange(ReadContext& context, ByteSource& source);
void readReddit(ReadContext& context, ByteSource& source);

} // namespace rlhf::data
