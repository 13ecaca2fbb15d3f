// Where a reader's bytes come from: a plain file, or a gzip / zstd stream decompressed on the
// fly, chosen by the first bytes (magic numbers) rather than trusting the extension. Not a
// parser: it hands out decompressed bytes and counts the compressed ones for progress.
#pragma once

#include "core/data/readers/reader.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>

namespace rlhf::data {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Fills up to `capacity` bytes; returns 0 only at the end of the data. Throws rlhf::Error
    // naming the file on an I/O error or a corrupt compressed stream.
    virtual size_t read(char* out, size_t capacity) = 0;
    uint64_t bytesDone() const { return m_done; }   // compressed input consumed so far
    uint64_t bytesTotal() const { return m_total; } // size of the file on disk
    Compression compression() const { return m_compression; }

protected:
    uint64_t m_done = 0;
    uint64_t m_total = 0;
    Compression m_compression = Compression::None;
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
