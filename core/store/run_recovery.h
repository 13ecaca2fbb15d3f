// What a crash leaves behind, found and settled when a project is opened: runs whose process
// is gone while they were still 'running' become 'interrupted' (resumable from their latest
// checkpoint); a checkpoint folder a kill left half-written (step-N.tmp) is removed, and one
// that was published but not yet recorded is recorded; an import whose process is gone is
// undone (the rows it wrote go; a dataset it was creating goes whole). Runs and imports still
// going (here, or on another machine sharing the folder) are left alone.
#pragma once

#include "core/store/records.h"

#include <filesystem>
#include <string>
#include <vector>

namespace rlhf::store {

class Database;
class ProjectPaths;

struct RecoveryReport {
    std::vector<Id> interrupted;                             // runs marked interrupted
    std::vector<std::filesystem::path> removedPartial;       // step-N.tmp folders removed
    std::vector<std::pair<Id, int64_t>> adoptedCheckpoints;  // (run, step) now recorded
    std::vector<std::pair<std::string, bool>> undoneImports; // (dataset, removed whole)

    bool empty() const
    {
        return interrupted.empty() && removedPartial.empty() && adoptedCheckpoints.empty() &&
               undoneImports.empty();
    }
    // One line per finding: "run 4 was interrupted (its process is gone); resumable from step 3".
    std::vector<std::string> lines() const;
};

// Settles what it can; a read-only database is left as it is (nothing is written).
RecoveryReport recoverRuns(Database& database, const ProjectPaths& paths);

} // namespace rlhf::store
