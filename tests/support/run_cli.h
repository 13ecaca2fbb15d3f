// Runs the real `rlhf` executable of this build and collects its exit code and both streams:
// the tests that drive the command line as a user would.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace test_support {

struct CliResult {
    int exitCode = -1;
    QString out, err;
};

inline CliResult runCli(const QStringList& arguments)
{
    QProcess process;
    process.start(RLHF_BINARY_DIR "/bin/rlhf", arguments);
    process.waitForFinished(300000);
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

} // namespace test_support
