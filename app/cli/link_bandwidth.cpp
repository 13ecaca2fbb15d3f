// The link `rlhf bench parallel` compares all-reduce bandwidth against: one TCP stream over
// 127.0.0.1 between two processes (what Gloo's ring sends over on one machine) and memcpy.
#include "app/cli/link_bandwidth.h"

#include "core/util/error.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace rlhf::cli {

// Bytes per second of one TCP stream over 127.0.0.1 from a child process to this one (what Gloo's
// ring sends over here), timed on the receiving side.
double tcpLoopbackBytesPerSecond(size_t bytes)
{
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listener, 1) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (listener >= 0) close(listener);
        throw Error("bench parallel: cannot listen on 127.0.0.1 for the link measurement");
    }
    // A sender that never connects or stalls ends the measurement instead of hanging it.
    const timeval patience{30, 0};
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
    const pid_t sender = fork();
    if (sender < 0) {
        close(listener);
        throw Error("bench parallel: cannot start the link measurement's sender");
    }
    if (sender == 0) {
        close(listener);
        const int out = socket(AF_INET, SOCK_STREAM, 0);
        std::vector<char> chunk(size_t{1} << 20, 'x');
        if (connect(out, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0)
            for (size_t sent = 0; sent < bytes;) {
                const ssize_t n = send(out, chunk.data(), std::min(chunk.size(), bytes - sent), 0);
                if (n <= 0) break;
                sent += size_t(n);
            }
        _exit(0);
    }
    const int in = accept(listener, nullptr, nullptr);
    close(listener);
    if (in >= 0) setsockopt(in, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
    std::vector<char> chunk(size_t{1} << 20);
    size_t received = 0;
    const auto start = std::chrono::steady_clock::now();
    while (in >= 0 && received < bytes) {
        const ssize_t n = recv(in, chunk.data(), chunk.size(), 0);
        if (n <= 0) break;
        received += size_t(n);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (in >= 0) close(in);
    waitpid(sender, nullptr, 0);
    if (received < bytes)
        throw Error("bench parallel: the loopback stream ended after " + std::to_string(received) +
                    " of " + std::to_string(bytes) + " bytes");
    return double(bytes) / seconds;
}

// Bytes per second copied by one thread's memcpy, best of 5: the bound of the copies in and out of
// the communicator's flat buckets.
double memcpyBytesPerSecond(size_t bytes)
{
    std::vector<char> from(bytes, 1), to(bytes, 0);
    double fastest = 1e30;
    for (int repeat = 0; repeat < 5; ++repeat) {
        const auto start = std::chrono::steady_clock::now();
        std::memcpy(to.data(), from.data(), bytes);
        fastest = std::min(
            fastest,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (to[bytes - 1] != 1) throw Error("bench parallel: memcpy copied nothing"); // keeps the copy
    return double(bytes) / fastest;
}

} // namespace rlhf::cli
