// What one machine's links move at best: a TCP stream over loopback between two processes and
// one thread's memcpy, in bytes per second (the yardsticks of `rlhf bench parallel`).
#pragma once

#include <cstddef>

namespace rlhf::cli {

// One TCP stream of `bytes` over 127.0.0.1 from a child process, timed on the receiving side.
// Throws rlhf::Error when the stream cannot be set up or ends early.
double tcpLoopbackBytesPerSecond(size_t bytes);
// One thread copying `bytes`, best of 5.
double memcpyBytesPerSecond(size_t bytes);

} // namespace rlhf::cli
