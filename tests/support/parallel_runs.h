// What the multi-process tests share: running the `rlhf` command line of this build, a free
// loopback port for a rendezvous, and reading runs, their losses and checkpoints back from the
// project database to compare one training against another.
#pragma once

#include "core/model/tensor_io.h"
#include "core/store/database.h"

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlhf::testing {

struct Result {
    int exitCode = -1;
    QString out, err;
};

inline QString rlhfBinary()
{
    return RLHF_BINARY_DIR "/bin/rlhf";
}

inline Result runCli(const QStringList& arguments)
{
    QProcess process;
    process.start(rlhfBinary(), arguments);
    process.waitForFinished(300000);
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

// A TCP port free on 127.0.0.1 now, for a rendezvous.
inline uint16_t freePort()
{
    const int socketFd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    bind(socketFd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    getsockname(socketFd, reinterpret_cast<sockaddr*>(&address), &length);
    close(socketFd);
    return ntohs(address.sin_port);
}

#define RUN_OK(result) QVERIFY2((result).exitCode == 0, qPrintable((result).out + (result).err))

// The run named `name` in the project at `root`.
inline rlhf::store::Run runNamed(const std::filesystem::path& root, const std::string& name)
{
    rlhf::store::Database database(root / "project.sqlite");
    for (const auto& run : database.runs())
        if (run.name == name) return run;
    throw std::runtime_error("no run " + name);
}

inline std::vector<double> lossesOf(const std::filesystem::path& root, const std::string& name)
{
    rlhf::store::Database database(root / "project.sqlite");
    std::vector<double> losses;
    for (const auto& sample : database.metricSeries(runNamed(root, name).id, "train/loss"))
        losses.push_back(sample.value);
    return losses;
}

inline std::filesystem::path lastCheckpointOf(const std::filesystem::path& root,
                                              const std::string& name)
{
    rlhf::store::Database database(root / "project.sqlite");
    const auto checkpoint = database.latestCheckpoint(runNamed(root, name).id);
    if (!checkpoint) throw std::runtime_error("run " + name + " saved no checkpoint");
    return root / checkpoint->path;
}

inline double maxDifference(const std::vector<double>& a, const std::vector<double>& b)
{
    double largest = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        largest = std::max(largest, std::abs(a[i] - b[i]));
    return largest;
}

inline double maxWeightDifference(const std::filesystem::path& a, const std::filesystem::path& b)
{
    const auto first = rlhf::model::readTensors(a / "model.safetensors");
    const auto second = rlhf::model::readTensors(b / "model.safetensors");
    if (first.size() != second.size()) return INFINITY;
    double largest = 0;
    for (size_t i = 0; i < first.size(); ++i)
        largest =
            std::max(largest, (first[i].second - second[i].second).abs().max().item<double>());
    return largest;
}

} // namespace rlhf::testing
