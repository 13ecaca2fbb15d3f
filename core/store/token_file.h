// Tokenized splits on disk: flat little-endian uint32 token ids, no header (the file size says
// how many). TokenFileWriter appends through a buffer and publishes the file atomically;
// TokenFileReader memory-maps it for the data loader. Names: ProjectPaths::tokenFile().
#pragma once

#include "core/util/atomic_file.h"
#include "core/util/mapped_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace rlhf::store {

class TokenFileWriter {
public:
    static constexpr size_t defaultBufferTokens = size_t{1} << 16; // 256 KiB per write() call

    // Starts "<file>.tmp-XXXXXX"; `file` appears (replacing any old one) only at commit().
    explicit TokenFileWriter(const std::filesystem::path& file,
                             size_t bufferTokens = defaultBufferTokens);

    void append(std::span<const uint32_t> tokens);
    void append(uint32_t token);
    // Writes the buffer, fsyncs and renames into place. Without it, the destructor discards.
    void commit();

    uint64_t size() const { return m_count; } // tokens appended so far

private:
    void flush();

    AtomicFile m_file;
    std::vector<uint32_t> m_buffer; // reserved to the buffer size, flushed when full
    size_t m_bufferTokens;
    uint64_t m_count = 0;
};

class TokenFileReader {
public:
    // Maps `file`; throws rlhf::Error when its size is not a multiple of 4 bytes.
    explicit TokenFileReader(const std::filesystem::path& file);

    const std::filesystem::path& path() const { return m_file.path(); }
    size_t size() const { return m_file.size() / sizeof(uint32_t); } // tokens, not bytes
    // Valid while this reader lives; mmap returns page-aligned memory, so the view is aligned.
    const uint32_t* data() const
    {
        return reinterpret_cast<const uint32_t*>(m_file.bytes().data());
    }
    std::span<const uint32_t> tokens() const { return {data(), size()}; }
    uint32_t operator[](size_t index) const { return data()[index]; }

private:
    MappedFile m_file;
};

} // namespace rlhf::store
