// Plain, gzip and zstd byte sources over a file or a memory block. The raw input is read in
// large chunks (1 MiB) so that decompression and parsing, not system calls, set the pace. A
// damaged compressed stream delivers what it decoded and then ends, with StreamDamage set.
#include "core/data/readers/byte_source.h"

#include "core/util/error.h"

#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

namespace rlhf::data {
namespace {

constexpr size_t kRawChunk = 1u << 20; // compressed bytes read at a time

// The undecoded bytes: a file or a memory block, read chunk by chunk.
class RawInput {
public:
    virtual ~RawInput() = default;
    virtual size_t read(char* out, size_t capacity) = 0;
    virtual uint64_t size() const = 0;
    std::string name;
};

class FileInput : public RawInput {
public:
    explicit FileInput(const std::filesystem::path& file)
    {
        name = file.string();
        m_file = std::fopen(file.c_str(), "rb");
        if (!m_file) throw Error(name + ": cannot open: " + std::strerror(errno));
        std::error_code error;
        m_size = std::filesystem::file_size(file, error);
        if (error) m_size = 0;
    }
    ~FileInput() override { std::fclose(m_file); }
    size_t read(char* out, size_t capacity) override
    {
        const size_t got = std::fread(out, 1, capacity, m_file);
        if (got < capacity && std::ferror(m_file))
            throw Error(name + ": read error: " + std::strerror(errno));
        return got;
    }
    uint64_t size() const override { return m_size; }

private:
    std::FILE* m_file = nullptr;
    uint64_t m_size = 0;
};

class MemoryInput : public RawInput {
public:
    explicit MemoryInput(std::string_view data) : m_data(data) { name = "<memory>"; }
    size_t read(char* out, size_t capacity) override
    {
        const size_t n = std::min(capacity, m_data.size() - m_pos);
        if (n == 0) // an empty view may have a null data(): memcpy must not see it
            return 0;
        std::memcpy(out, m_data.data() + m_pos, n);
        m_pos += n;
        return n;
    }
    uint64_t size() const override { return m_data.size(); }

private:
    std::string_view m_data;
    size_t m_pos = 0;
};

// Holds one chunk of raw bytes; the decoders consume it and ask for the next. The first chunk
// was read before the decoder was chosen (to sniff the magic bytes) and is handed in.
class ChunkedSource : public ByteSource {
public:
    ChunkedSource(std::unique_ptr<RawInput> raw, std::vector<char> firstChunk, size_t firstSize)
        : m_raw(std::move(raw)), m_chunk(std::move(firstChunk)), m_end(firstSize)
    {
        m_total = m_raw->size();
    }
    bool fillChunk()
    {
        if (m_pos < m_end) return true;
        m_pos = 0;
        m_end = m_raw->read(m_chunk.data(), m_chunk.size());
        return m_end > 0;
    }
    void consume(size_t n)
    {
        m_pos += n;
        m_done += n;
    }
    // Ends the data here: read() returns 0 from now on.
    void damaged(std::string reason, std::string detail)
    {
        m_damage = StreamDamage{.reason = std::move(reason),
                                .detail = std::move(detail),
                                .offset = m_done,
                                .decoded = m_decoded};
    }
    std::unique_ptr<RawInput> m_raw;
    std::vector<char> m_chunk;
    size_t m_pos = 0, m_end = 0;
    uint64_t m_decoded = 0; // decompressed bytes delivered
};

class PlainSource : public ChunkedSource {
public:
    using ChunkedSource::ChunkedSource;
    size_t read(char* out, size_t capacity) override
    {
        // Large reads bypass the chunk: no copy through it once it is drained.
        if (m_pos == m_end && capacity >= kRawChunk) {
            const size_t n = m_raw->read(out, capacity);
            m_done += n;
            return n;
        }
        if (!fillChunk()) return 0;
        const size_t n = std::min(capacity, m_end - m_pos);
        std::memcpy(out, m_chunk.data() + m_pos, n);
        consume(n);
        return n;
    }
};

class GzipSource : public ChunkedSource {
public:
    GzipSource(std::unique_ptr<RawInput> raw, std::vector<char> firstChunk, size_t firstSize)
        : ChunkedSource(std::move(raw), std::move(firstChunk), firstSize)
    {
        m_compression = Compression::Gzip;
        // 15 + 32: any window size, gzip or zlib header detected automatically.
        if (inflateInit2(&m_stream, 15 + 32) != Z_OK)
            throw Error(m_raw->name + ": cannot start gzip decompression");
    }
    ~GzipSource() override { inflateEnd(&m_stream); }
    size_t read(char* out, size_t capacity) override
    {
        size_t produced = 0;
        while (produced == 0 && !m_damage) {
            if (!fillChunk()) {
                if (m_inMember) damaged("gzip stream cut short", "the file ends inside a member");
                break;
            }
            m_stream.next_in = reinterpret_cast<Bytef*>(m_chunk.data() + m_pos);
            m_stream.avail_in = static_cast<uInt>(m_end - m_pos);
            m_stream.next_out = reinterpret_cast<Bytef*>(out);
            m_stream.avail_out = static_cast<uInt>(std::min<size_t>(capacity, 1u << 30));
            const bool memberStart = !m_inMember;
            m_inMember = true;
            const int status = inflate(&m_stream, Z_NO_FLUSH);
            consume((m_end - m_pos) - m_stream.avail_in);
            produced = reinterpret_cast<char*>(m_stream.next_out) - out;
            m_decoded += produced;
            if (status == Z_STREAM_END) {
                // Concatenated members (as `cat a.gz b.gz` makes) are one stream to gzip(1).
                inflateReset(&m_stream);
                m_inMember = false;
                ++m_members;
            } else if (status != Z_OK && status != Z_BUF_ERROR) {
                // What was decoded before the error is delivered; nothing after it.
                const std::string why = m_stream.msg ? std::string(m_stream.msg)
                                                     : "zlib error " + std::to_string(status);
                damaged(memberStart && m_members > 0
                            ? "bytes after the last gzip member are not gzip"
                            : "corrupt gzip stream",
                        why);
            }
        }
        return produced;
    }

private:
    z_stream m_stream{};
    bool m_inMember = false;
    int64_t m_members = 0; // members decoded to their end
};

class ZstdSource : public ChunkedSource {
public:
    ZstdSource(std::unique_ptr<RawInput> raw, std::vector<char> firstChunk, size_t firstSize)
        : ChunkedSource(std::move(raw), std::move(firstChunk), firstSize),
          m_context(ZSTD_createDStream())
    {
        m_compression = Compression::Zstd;
        if (!m_context) throw Error(m_raw->name + ": cannot start zstd decompression");
    }
    ~ZstdSource() override { ZSTD_freeDStream(m_context); }
    size_t read(char* out, size_t capacity) override
    {
        ZSTD_outBuffer output{out, capacity, 0};
        while (output.pos == 0 && !m_damage) {
            if (!fillChunk()) {
                if (m_inFrame) damaged("zstd stream cut short", "the file ends inside a frame");
                break;
            }
            ZSTD_inBuffer input{m_chunk.data() + m_pos, m_end - m_pos, 0};
            const size_t status = ZSTD_decompressStream(m_context, &output, &input);
            consume(input.pos);
            m_decoded += output.pos;
            if (ZSTD_isError(status)) {
                damaged("corrupt zstd stream", ZSTD_getErrorName(status));
                break;
            }
            m_inFrame = status != 0; // 0: a frame ended exactly here
        }
        return output.pos;
    }

private:
    ZSTD_DStream* m_context;
    bool m_inFrame = false;
};

std::unique_ptr<ByteSource> makeSource(std::unique_ptr<RawInput> raw, Compression compression)
{
    // A small input gets a small chunk: the fuzz targets open thousands per second.
    const uint64_t total = raw->size();
    std::vector<char> chunk(total > 0 && total < kRawChunk ? total + 1 : kRawChunk);
    const size_t size = raw->read(chunk.data(), chunk.size());
    if (compression == Compression::Auto) compression = sniffCompression({chunk.data(), size});
    if (compression == Compression::Gzip)
        return std::make_unique<GzipSource>(std::move(raw), std::move(chunk), size);
    if (compression == Compression::Zstd)
        return std::make_unique<ZstdSource>(std::move(raw), std::move(chunk), size);
    return std::make_unique<PlainSource>(std::move(raw), std::move(chunk), size);
}

} // namespace

Compression sniffCompression(std::string_view firstBytes)
{
    const auto starts = [&](std::string_view magic) {
        return firstBytes.substr(0, magic.size()) == magic;
    };
    if (starts("\x1f\x8b")) return Compression::Gzip;
    if (starts("\x28\xb5\x2f\xfd")) return Compression::Zstd;
    return Compression::None;
}

std::unique_ptr<ByteSource> openByteSource(const std::filesystem::path& file,
                                           Compression compression)
{
    if (std::filesystem::is_directory(file))
        throw Error(file.string() + ": is a folder, not a file");
    return makeSource(std::make_unique<FileInput>(file), compression);
}

std::unique_ptr<ByteSource> memoryByteSource(std::string_view data, Compression compression)
{
    return makeSource(std::make_unique<MemoryInput>(data), compression);
}

} // namespace rlhf::data
