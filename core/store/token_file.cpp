// Token files: buffered atomic writer, memory-mapped reader.
#include "core/store/token_file.h"

#include "core/util/error.h"

#include <algorithm>
#include <bit>
#include <string>

namespace rlhf::store {

// The file format is little-endian and the reader maps it without conversion.
static_assert(std::endian::native == std::endian::little,
              "token files are mapped as native uint32: add byte swapping for this target");

TokenFileWriter::TokenFileWriter(const std::filesystem::path& file, size_t bufferTokens)
    : m_file(file), m_bufferTokens(bufferTokens > 0 ? bufferTokens : 1)
{
    m_buffer.reserve(m_bufferTokens);
}

void TokenFileWriter::append(std::span<const uint32_t> tokens)
{
    while (!tokens.empty()) {
        const size_t room = m_bufferTokens - m_buffer.size();
        const size_t take = std::min(room, tokens.size());
        m_buffer.insert(m_buffer.end(), tokens.begin(), tokens.begin() + take);
        tokens = tokens.subspan(take);
        m_count += take;
        if (m_buffer.size() == m_bufferTokens) flush();
    }
}

void TokenFileWriter::append(uint32_t token)
{
    append(std::span(&token, 1));
}

void TokenFileWriter::flush()
{
    m_file.write(std::as_bytes(std::span(m_buffer)));
    m_buffer.clear();
}

void TokenFileWriter::commit()
{
    flush();
    m_file.commit();
}

TokenFileReader::TokenFileReader(const std::filesystem::path& file) : m_file(file)
{
    const size_t bytes = m_file.size();
    if (bytes % sizeof(uint32_t) != 0) {
        throw Error(file.string() + ": size " + std::to_string(bytes) +
                    " bytes is not a multiple of 4: not a uint32 token file, or truncated");
    }
}

} // namespace rlhf::store
