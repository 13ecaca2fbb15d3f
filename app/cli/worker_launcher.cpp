#include "app/cli/worker_launcher.h"

#include "core/util/error.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace rlhf::cli {

namespace {

constexpr auto pollInterval = std::chrono::milliseconds(20);
constexpr auto stopGrace = std::chrono::seconds(10); // SIGTERM, then SIGKILL after this

std::atomic<int> g_forwardSignal{0}; // the last SIGINT / SIGTERM / SIGHUP the launcher got

void rememberSignal(int signal)
{
    g_forwardSignal = signal;
}

// A TCP port that is free now on 127.0.0.1 (as torchrun's standalone rendezvous picks one).
uint16_t freePort()
{
    const int socketFd = socket(AF_INET, SOCK_STREAM, 0);
    if (socketFd < 0) throw Error("launcher: cannot open a socket to find a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    const bool ok = bind(socketFd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                    getsockname(socketFd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    close(socketFd);
    if (!ok) throw Error("launcher: no free TCP port on 127.0.0.1");
    return ntohs(address.sin_port);
}

pid_t startWorker(int rank, int count, uint16_t port, const std::vector<std::string>& arguments)
{
    const pid_t pid = fork();
    if (pid < 0) throw Error("launcher: cannot start rank " + std::to_string(rank));
    if (pid > 0) return pid;
    // The child: the job's variables, then this same executable with the same arguments.
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    setenv("WORLD_SIZE", std::to_string(count).c_str(), 1);
    setenv("LOCAL_WORLD_SIZE", std::to_string(count).c_str(), 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    std::vector<char*> argv;
    static char program[] = "rlhf";
    argv.push_back(program);
    for (const std::string& argument : arguments)
        argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    std::cerr << "rlhf: launcher: cannot run /proc/self/exe for rank " << rank << std::endl;
    _exit(127);
}

std::string describeExit(int status)
{
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

bool failed(int status)
{
    return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

// The launcher's own status line about a rank: started, or ended with a failure it could not
// report itself (killed, or exited before it could print why).
void printStatus(StatusLines lines, int rank, int count, pid_t pid, RankState state,
                 const std::string& message = {})
{
    if (lines == StatusLines::Off) return;
    const std::string line = rankStatusLine({.rank = rank,
                                             .worldSize = count,
                                             .pid = long(pid),
                                             .host = hostName(),
                                             .state = state,
                                             .message = message});
    std::cout.write(line.data(), std::streamsize(line.size())).flush();
}

} // namespace

void runLocalWorkers(int count, const std::vector<std::string>& arguments, StatusLines lines)
{
    if (count < 1) throw Error("--nproc: " + std::to_string(count) + " is not a process count");
    const uint16_t port = freePort();
    std::cout << "launching " << count << " ranks, rendezvous at 127.0.0.1:" << port << std::endl;
    g_forwardSignal = 0;
    auto previousInterrupt = std::signal(SIGINT, rememberSignal);
    auto previousTerminate = std::signal(SIGTERM, rememberSignal);
    auto previousHangUp = std::signal(SIGHUP, rememberSignal);
    std::vector<pid_t> workers;
    for (int rank = 0; rank < count; ++rank) {
        workers.push_back(startWorker(rank, count, port, arguments));
        printStatus(lines, rank, count, workers.back(), RankState::Starting);
    }

    std::string failure; // the first rank that failed, and how
    int running = count;
    auto stopDeadline = std::chrono::steady_clock::time_point::max();
    while (running > 0) {
        if (const int signal = g_forwardSignal.exchange(0))
            for (const pid_t pid : workers)
                if (pid > 0) kill(pid, signal); // the workers stop together after one step
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            const auto found = std::find(workers.begin(), workers.end(), pid);
            if (found == workers.end()) continue; // not a rank of this job
            const int rank = int(found - workers.begin());
            *found = 0;
            --running;
            if (!failed(status)) continue; // its own last status line said how it ended
            printStatus(lines, rank, count, pid, RankState::Failed,
                        "process " + describeExit(status));
            if (!failure.empty()) continue;
            failure = "rank " + std::to_string(rank) + " " + describeExit(status);
            std::cerr << "rlhf: " << failure << "; stopping the other ranks" << std::endl;
            for (const pid_t other : workers)
                if (other > 0) kill(other, SIGTERM);
            stopDeadline = std::chrono::steady_clock::now() + stopGrace;
            continue;
        }
        if (std::chrono::steady_clock::now() > stopDeadline)
            for (const pid_t other : workers)
                if (other > 0) kill(other, SIGKILL);
        std::this_thread::sleep_for(pollInterval);
    }
    std::signal(SIGINT, previousInterrupt);
    std::signal(SIGTERM, previousTerminate);
    std::signal(SIGHUP, previousHangUp);
    if (!failure.empty()) throw Error("train --nproc " + std::to_string(count) + ": " + failure);
}

} // namespace rlhf::cli
