// One libFuzzer entry point for every reader; the target's compile definition (RLHF_FUZZ_*)
// picks which reader the input goes to. Inputs are read from memory through the same
// ByteSource the file readers use; Cornell's two files are the input cut at its first NUL.
// Options are small (maxRowBytes 4 KiB) so that the over-long-row paths are reached too.
#include "core/data/readers/byte_source.h"
#include "core/data/readers/read_context.h"
#include "core/util/error.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace rlhf::data;

namespace {

// Checks the sink contract while it runs: every record has a 1-based line, every problem a
// line and a raw excerpt of at most 4 KiB.
class CheckingSink : public RecordSink {
public:
    bool record(Record&& record) override
    {
        if (record.source.line < 1) __builtin_trap();
        // Text and CSV pass invalid UTF-8 through (the cleaning utf8 step judges it), and the
        // document form refuses it: an exception is fine here, a crash is not.
        try {
            toDocumentText(record);
        } catch (const std::exception&) {
        }
        return true;
    }
    void problem(ReadProblem&& problem) override
    {
        if (problem.source.line < 0 || problem.raw.size() > 4096) __builtin_trap();
    }
};

ReadOptions fuzzOptions()
{
    ReadOptions options;
    options.maxRowBytes = 4096;
    options.shape = RecordShape::Auto;
    return options;
}

void run(std::string_view data, const std::function<void(ReadContext&, ByteSource&)>& read,
         Compression compression = Compression::None)
{
    const ReadOptions options = fuzzOptions();
    CheckingSink sink;
    ReadContext context("fuzz", options, sink);
    try {
        auto source = memoryByteSource(data, compression);
        read(context, *source);
    } catch (const rlhf::Error&) {
        // No whole-file error: a corrupt or cut compressed stream ends the file at the damage,
        // one problem naming it, with every whole row before it read.
        __builtin_trap();
    }
}

// All shapes on the same bytes: the first byte picks one, the rest is the row data.
RecordShape shapeFrom(std::string_view& data)
{
    if (data.empty()) return RecordShape::Text;
    const auto shape = static_cast<RecordShape>(1 + static_cast<unsigned char>(data[0]) % 6);
    data.remove_prefix(1);
    return shape;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size)
{
    std::string_view data(reinterpret_cast<const char*>(bytes), size);
#if defined(RLHF_FUZZ_TEXT)
    for (const TextUnit unit : {TextUnit::Line, TextUnit::Paragraph, TextUnit::File}) {
        ReadOptions options = fuzzOptions();
        options.unit = unit;
        CheckingSink sink;
        ReadContext context("fuzz", options, sink);
        auto source = memoryByteSource(data, Compression::None);
        readTextUnits(context, *source);
    }
#elif defined(RLHF_FUZZ_JSONL)
    const RecordShape shape = shapeFrom(data);
    run(data, [&](ReadContext& c, ByteSource& s) { readJsonl(c, s, shape, {}); });
#elif defined(RLHF_FUZZ_JSON_ARRAY)
    const RecordShape shape = shapeFrom(data);
    run(data, [&](ReadContext& c, ByteSource& s) { readJsonArray(c, s, shape, {}); });
#elif defined(RLHF_FUZZ_CSV)
    const RecordShape shape = shapeFrom(data);
    run(data, [&](ReadContext& c, ByteSource& s) { readDelimited(c, s, ',', shape, {}); });
#elif defined(RLHF_FUZZ_TSV)
    const RecordShape shape = shapeFrom(data);
    run(data, [&](ReadContext& c, ByteSource& s) { readDelimited(c, s, '\t', shape, {}); });
#elif defined(RLHF_FUZZ_CORNELL)
    const size_t cut = std::min(data.find('\0'), data.size());
    const std::string_view conversations = data.substr(0, cut);
    const std::string_view lines = cut < data.size() ? data.substr(cut + 1) : std::string_view();
    run(conversations, [&](ReadContext& c, ByteSource& s) {
        auto linesSource = memoryByteSource(lines, Compression::None);
        readCornell(c, s, *linesSource, "lines");
    });
#elif defined(RLHF_FUZZ_STACKEXCHANGE)
    run(data, [](ReadContext& c, ByteSource& s) { readStackExchange(c, s); });
#elif defined(RLHF_FUZZ_REDDIT)
    run(data, [](ReadContext& c, ByteSource& s) { readReddit(c, s); });
#elif defined(RLHF_FUZZ_GZIP)
    run(
        data, [](ReadContext& c, ByteSource& s) { readTextUnits(c, s); }, Compression::Gzip);
#elif defined(RLHF_FUZZ_ZSTD)
    run(
        data, [](ReadContext& c, ByteSource& s) { readTextUnits(c, s); }, Compression::Zstd);
#elif defined(RLHF_FUZZ_DETECT)
    // detectFormat, readRecords and previewTable work on files: write the input to one.
    static const std::string file = "/tmp/rlhf-fuzz-detect-" + std::to_string(getpid());
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    ReadOptions options = fuzzOptions();
    CheckingSink sink;
    try {
        detectFormat(file, options);
        readRecords(file, options, sink);
        previewTable(file, options, 5);
    } catch (const rlhf::Error&) {
        // Corrupt compressed input, or the sample looked like Cornell without its lines file.
    }
#endif
    return 0;
}
