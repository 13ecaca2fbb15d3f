// Where a reader's bytes come from: a plain file, or a gzip / zstd stream decompressed on the
// fly, chosen by the first bytes (magic numbers) rather than trusting the extension. Not a
// parser: it hands out decompressed bytes and counts the compressed ones for progress. A
// compressed stream that is cut short or corrupt ends the data where the damage is (after all
// it could decode) and says so in damage(), so that the rows before the damage are still read.
#pragma once

#include "core/data/readers/reader.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rlhf::data {

// The first bytes of a row as a problem report keeps them.
constexpr size_t kProblemRawBytes = 4096;
inline std::string rawExcerpt(std::string_view row)
{
    return std::string(row.substr(0, kProblemRawBytes));
}

// Where and how a compressed stream broke.
struct StreamDamage {
    std::string reason;   // e.g. "gzip stream cut short", "corrupt zstd stream"
    std::string detail;   // e.g. "the file ends inside a member", zlib's "invalid block type"
    uint64_t offset = 0;  // compressed byte offset at which it was found
    uint64_t decoded = 0; // decompressed bytes delivered before it
    // What a LineReader (or JsonArrayScanner) saw at the damage: the 1-based line it cut
    // (0: no line reader read this source) and the first bytes of that partial row.
    int64_t line = 0;
    std::string cutRow;
};

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Fills up to `capacity` bytes; returns 0 at the end of the data, and at a damaged
    // compressed stream (then damage() says where). Throws rlhf::Error naming the file on an
    // I/O error.
    virtual size_t read(char* out, size_t capacity) = 0;
    uint64_t bytesDone() const { return m_done; }   // compressed input consumed so far
    uint64_t bytesTotal() const { return m_total; } // size of the file on disk
    Compression compression() const { return m_compression; }
    const std::optional<StreamDamage>& damage() const { return m_damage; }
    // Records the line at which a reader met the damage (the first call counts).
    void noteDamagedLine(int64_t line, std::string_view cutRow)
    {
        if (!m_damage || m_damage->line != 0) return;
        m_damage->line = line;
        m_damage->cutRow = rawExcerpt(cutRow);
    }

protected:
    uint64_t m_done = 0;
    uint64_t m_total = 0;
    Compression m_compression = Compression::None;
    std::optional<StreamDamage> m_damage; // set once; read() returns 0 from then on
};

// What the first bytes say: gzip (1f 8b), zstd (28 b5 2f fd), else None.
Compression sniffCompression(std::string_view firstBytes);

// Opens `file`; Compression::Auto sniffs the magic bytes. Throws rlhf::Error when the file
// cannot be opened.
std::unique_ptr<ByteSource> openByteSource(const std::filesystem::path& file,
                                           Compression compression);

// Bytes already in memory, e.g. for the fuzz targets; `data` must outlive the source.
std::unique_ptr<ByteSource> memoryByteSource(std::string_view data, Compression compression);

} // namespace rlhf::data
