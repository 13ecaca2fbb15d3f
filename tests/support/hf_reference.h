// Runs a Python reference of tests/reference/ with the .torch/ interpreter (RLHF_HF_PYTHON:
// PyPI torch, transformers, peft, bitsandbytes): `script command folder`, waiting up to five
// minutes. Its standard error reaches the test's (transformers' notices and warnings are
// silenced); its standard output is dropped. True when it exits 0.
#pragma once

#include <QProcess>
#include <QString>

namespace rlhf::testing {

inline bool runHfReference(const char* script, const QString& command, const QString& folder)
{
    QProcess python;
    python.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    python.setStandardOutputFile(QProcess::nullDevice());
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert("TRANSFORMERS_VERBOSITY", "error");
    environment.insert("PYTHONWARNINGS", "ignore");
    python.setProcessEnvironment(environment);
    python.start(QStringLiteral(RLHF_HF_PYTHON),
                 {QStringLiteral(RLHF_SOURCE_DIR "/tests/reference/") + script, command, folder});
    return python.waitForFinished(300'000) && python.exitStatus() == QProcess::NormalExit &&
           python.exitCode() == 0;
}

} // namespace rlhf::testing
