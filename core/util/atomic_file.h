// A file written under a temporary name in its target's folder and renamed into place on
// commit() (after fsync of the file, then of the folder): readers see the old file or the
// complete new one, never a torn write. Without commit() the temporary file is removed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace rlhf {

class AtomicFile {
public:
    // Creates "<target>.tmp-XXXXXX" beside `target`; the folder must exist.
    explicit AtomicFile(const std::filesystem::path& target);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::span<const std::byte> bytes);
    // Flushes to disk and renames over the target. The object is finished afterwards.
    void commit();

    const std::filesystem::path& target() const { return m_target; }
    uint64_t bytesWritten() const { return m_written; }

private:
    [[noreturn]] void fail(const char* action) const;

    std::filesystem::path m_target;
    std::filesystem::path m_temporary;
    int m_descriptor = -1; // owned; -1 once committed or closed
    uint64_t m_written = 0;
};

} // namespace rlhf
