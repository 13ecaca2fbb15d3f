// How a stage document is launched outside the studio, as the stage wizard's summary offers it:
// the `rlhf train` line (with --nproc for several worker processes on this machine), the same run
// under torchrun (one machine or several), and a Slurm batch script whose tasks `srun` starts,
// each joining the run from the variables torchrun and Slurm set (core/dist). Pure functions of
// the launch settings, so they are testable on their own.
#pragma once

#include <QString>

namespace rlhf::widgets {

struct LaunchSettings {
    QString project;        // project folder
    QString document;       // the stage document, e.g. <project>/runs/sft.json
    QString runName;        // Slurm's job name
    int processes = 1;      // worker processes per machine (one per GPU on a GPU machine)
    int machines = 1;       // nodes
    bool gpus = false;      // one GPU per process (NCCL) rather than the CPU (Gloo)
    int cpusPerProcess = 0; // Slurm's --cpus-per-task; 0: Slurm's default
};

// A word the shell takes as it is: 'it'\''s' for it's.
QString shellQuoted(const QString& text);

// rlhf train -p PROJECT DOCUMENT [--nproc N]
QString trainCommand(const LaunchSettings& settings);

// torchrun --standalone --nproc-per-node N --no-python rlhf train ... on one machine; with
// several, --nnodes M and a c10d rendezvous at $MASTER_ADDR:29500 to run on each of them.
QString torchrunCommand(const LaunchSettings& settings);

// An sbatch script: nodes, tasks (= processes) per node, GPUs per node when on GPUs, the first
// node as the rendezvous host, and `srun rlhf train ...`.
QString slurmScript(const LaunchSettings& settings);

} // namespace rlhf::widgets
