// A project on disk: a folder holding project.sqlite plus checkpoints/, tokenizers/ and tokens/.
// ProjectPaths names every file in it (pure path arithmetic, touches nothing); Project creates
// or opens the folder and owns its Database.
#pragma once

#include "core/store/database.h"
#include "core/store/run_recovery.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace rlhf::store {

enum class TokenSplit { Train, Validation };

class ProjectPaths {
public:
    explicit ProjectPaths(std::filesystem::path root) : m_root(std::move(root)) {}

    const std::filesystem::path& root() const { return m_root; }
    std::filesystem::path database() const { return m_root / "project.sqlite"; }
    std::filesystem::path checkpoints() const { return m_root / "checkpoints"; }
    std::filesystem::path tokenizers() const { return m_root / "tokenizers"; }
    std::filesystem::path tokens() const { return m_root / "tokens"; }

    // tokens/<dataset>-<tokenizer>-train.u32 (or -val.u32). Characters other than letters,
    // digits, '.', '_' and '-' in the names become '_'.
    std::filesystem::path tokenFile(std::string_view dataset, std::string_view tokenizer,
                                    TokenSplit split) const;
    // checkpoints/run-<run>/step-<step>: the folder one checkpoint's files go into.
    std::filesystem::path checkpointFolder(Id run, int64_t step) const;

    // Paths are stored in the database relative to the root, so a project folder can move.
    std::string relative(const std::filesystem::path& inside) const;
    std::filesystem::path absolute(std::string_view relativePath) const;

private:
    std::filesystem::path m_root;
};

class Project {
public:
    // Makes the folder (and parents) and an empty, current-schema database. Throws when the
    // folder already holds a project.
    static Project create(const std::filesystem::path& root, const DatabaseOptions& options = {});
    // Opens an existing project, migrating its database, restoring missing subfolders and
    // settling what crashed runs left behind (store/run_recovery.h). A project that is not
    // writable here opens read-only, as it is.
    static Project open(const std::filesystem::path& root, const DatabaseOptions& options = {});

    const ProjectPaths& paths() const { return m_paths; }
    Database& database() { return m_database; }
    const Database& database() const { return m_database; }
    // What opening settled: interrupted runs, removed or recorded checkpoint folders.
    const RecoveryReport& recovery() const { return m_recovery; }

private:
    Project(ProjectPaths paths, Database database);

    ProjectPaths m_paths;
    Database m_database;
    RecoveryReport m_recovery;
};

} // namespace rlhf::store
