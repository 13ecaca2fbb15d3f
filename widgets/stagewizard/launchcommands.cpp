// The launch lines of a stage document (see launchcommands.h).
#include "widgets/stagewizard/launchcommands.h"

#include <QStringList>

namespace rlhf::widgets {

namespace {

QString trainArguments(const LaunchSettings& settings)
{
    return QStringLiteral("train -p %1 %2")
        .arg(shellQuoted(settings.project), shellQuoted(settings.document));
}

} // namespace

QString shellQuoted(const QString& text)
{
    return QLatin1Char('\'') + QString(text).replace(QLatin1String("'"), QLatin1String("'\\''")) +
           QLatin1Char('\'');
}

QString trainCommand(const LaunchSettings& settings)
{
    QString command = QStringLiteral("rlhf ") + trainArguments(settings);
    if (settings.processes > 1) command += QStringLiteral(" --nproc %1").arg(settings.processes);
    return command;
}

QString torchrunCommand(const LaunchSettings& settings)
{
    const QString where = settings.machines > 1
                              ? QStringLiteral("--nnodes %1 --rdzv-backend c10d --rdzv-endpoint "
                                               "\"$MASTER_ADDR:29500\"")
                                    .arg(settings.machines)
                              : QStringLiteral("--standalone");
    return QStringLiteral("torchrun %1 --nproc-per-node %2 --no-python rlhf %3")
        .arg(where)
        .arg(settings.processes)
        .arg(trainArguments(settings));
}

QString slurmScript(const LaunchSettings& settings)
{
    QStringList lines{
        QStringLiteral("#!/bin/bash"),
        QStringLiteral("# %1: %2 process(es) on each of %3 node(s), one srun task per process.")
            .arg(settings.runName)
            .arg(settings.processes)
            .arg(settings.machines),
        QStringLiteral("#SBATCH --job-name=%1").arg(settings.runName),
        QStringLiteral("#SBATCH --nodes=%1").arg(settings.machines),
        QStringLiteral("#SBATCH --ntasks-per-node=%1").arg(settings.processes)};
    if (settings.gpus)
        lines << QStringLiteral("#SBATCH --gpus-per-node=%1").arg(settings.processes);
    if (settings.cpusPerProcess > 0)
        lines << QStringLiteral("#SBATCH --cpus-per-task=%1").arg(settings.cpusPerProcess);
    lines << QString()
          << QStringLiteral("# Every task joins the run from SLURM_PROCID, SLURM_NTASKS and "
                            "SLURM_LOCALID; rank 0's node hosts the rendezvous.")
          << QStringLiteral("export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" "
                            "| head -n 1)")
          << QStringLiteral("export MASTER_PORT=29500") << QString()
          << QStringLiteral("srun rlhf ") + trainArguments(settings) << QString();
    return lines.join(QLatin1Char('\n'));
}

} // namespace rlhf::widgets
