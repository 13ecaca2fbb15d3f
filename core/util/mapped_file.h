// A whole file mapped read-only into memory (mmap, RAII). The token readers, the text importer
// and the safetensors reader use it so that gigabyte files are paged in on demand, not copied.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace rlhf {

class MappedFile {
public:
    // Maps `file`; throws rlhf::Error naming the file when it cannot be opened or mapped.
    explicit MappedFile(const std::filesystem::path& file);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    size_t size() const { return m_size; }
    // The file's bytes; the first byte is page-aligned. Empty for an empty file.
    std::span<const std::byte> bytes() const { return {m_data, m_size}; }

private:
    void unmap();

    std::filesystem::path m_path;
    const std::byte* m_data = nullptr; // owned mapping of m_size bytes, or null when empty
    size_t m_size = 0;
};

} // namespace rlhf
