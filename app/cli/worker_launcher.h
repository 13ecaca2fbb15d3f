// `rlhf train --nproc N`: a local launcher like torchrun's standalone mode. It starts N worker
// processes of this executable on a free port of 127.0.0.1 with RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, forwards Ctrl-C and SIGTERM to them, and
// when one fails stops the others. It trains nothing itself. With status lines on it prints each
// rank's start and each rank's failed exit as a status line (rank_status.h) beside the ranks' own.
#pragma once

#include "app/cli/rank_status.h"

#include <string>
#include <vector>

namespace rlhf::cli {

// Runs `arguments` (without the program name) as `count` ranks of one job and waits for all.
// Returns normally when every rank exits 0; throws rlhf::Error naming the first rank that
// failed (its exit status or signal) after stopping the others.
void runLocalWorkers(int count, const std::vector<std::string>& arguments,
                     StatusLines lines = StatusLines::Off);

} // namespace rlhf::cli
