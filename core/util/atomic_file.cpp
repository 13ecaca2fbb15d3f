// AtomicFile: mkstemp beside the target, write, fsync, rename, fsync the folder.
#include "core/util/atomic_file.h"

#include "core/util/error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rlhf {

namespace {

// Makes a rename in `folder` durable: the new directory entry reaches the disk.
void syncFolder(const std::filesystem::path& folder)
{
    const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) return; // some file systems refuse; the data itself is already synced
    ::fsync(descriptor);
    ::close(descriptor);
}

} // namespace

AtomicFile::AtomicFile(const std::filesystem::path& target) : m_target(target)
{
    std::string pattern = target.string() + ".tmp-XXXXXX";
    m_descriptor = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (m_descriptor < 0) {
        throw Error(target.string() +
                    ": cannot create a temporary file beside it: " + std::strerror(errno));
    }
    m_temporary = pattern;
    ::fchmod(m_descriptor, 0644); // mkstemp creates 0600; others may read what we publish
}

AtomicFile::~AtomicFile()
{
    if (m_descriptor >= 0) {
        ::close(m_descriptor);
        ::unlink(m_temporary.c_str());
    }
}

void AtomicFile::fail(const char* action) const
{
    throw Error(m_target.string() + ": " + action + ": " + std::strerror(errno));
}

void AtomicFile::write(std::span<const std::byte> bytes)
{
    if (m_descriptor < 0) throw Error(m_target.string() + ": write after commit");
    const std::byte* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        const ssize_t written = ::write(m_descriptor, data, left);
        if (written < 0) {
            if (errno == EINTR) continue;
            fail("cannot write");
        }
        data += written;
        left -= static_cast<size_t>(written);
    }
    m_written += bytes.size();
}

void AtomicFile::commit()
{
    if (m_descriptor < 0) throw Error(m_target.string() + ": committed twice");
    if (::fsync(m_descriptor) != 0) fail("cannot flush to disk");
    const int descriptor = m_descriptor;
    m_descriptor = -1;
    if (::close(descriptor) != 0) {
        const int error = errno;
        ::unlink(m_temporary.c_str());
        errno = error;
        fail("cannot close");
    }
    if (::rename(m_temporary.c_str(), m_target.c_str()) != 0) {
        const int error = errno;
        ::unlink(m_temporary.c_str());
        errno = error;
        fail("cannot rename into place");
    }
    syncFolder(m_target.has_parent_path() ? m_target.parent_path() : ".");
}

} // namespace rlhf
