// Project folder layout: creating, opening, and naming the files inside.
#include "core/store/project.h"

#include "core/store/names.h"
#include "core/store/run_recovery.h"
#include "core/util/error.h"

#include <string>

namespace rlhf::store {

namespace {

void makeSubfolders(const ProjectPaths& paths)
{
    for (const auto& folder : {paths.checkpoints(), paths.tokenizers(), paths.tokens()}) {
        std::filesystem::create_directories(folder);
    }
}

} // namespace

std::filesystem::path ProjectPaths::tokenFile(std::string_view dataset, std::string_view tokenizer,
                                              TokenSplit split) const
{
    const char* suffix = split == TokenSplit::Train ? "-train.u32" : "-val.u32";
    return tokens() / (fileNameOf(dataset) + "-" + fileNameOf(tokenizer) + suffix);
}

std::filesystem::path ProjectPaths::checkpointFolder(Id run, int64_t step) const
{
    char name[32];
    std::snprintf(name, sizeof(name), "step-%06lld", static_cast<long long>(step));
    return checkpoints() / ("run-" + std::to_string(run)) / name; // step-000400 sorts by step
}

std::string ProjectPaths::relative(const std::filesystem::path& inside) const
{
    return inside.lexically_relative(m_root).generic_string();
}

std::filesystem::path ProjectPaths::absolute(std::string_view relativePath) const
{
    return m_root / std::filesystem::path(relativePath);
}

Project::Project(ProjectPaths paths, Database database)
    : m_paths(std::move(paths)), m_database(std::move(database))
{
}

Project Project::create(const std::filesystem::path& root, const DatabaseOptions& options)
{
    return withContext("creating project " + root.string(), [&] {
        ProjectPaths paths(root);
        if (std::filesystem::exists(paths.database())) {
            throw Error("the folder already holds a project (project.sqlite)");
        }
        std::filesystem::create_directories(root);
        makeSubfolders(paths);
        Database database(paths.database(), OpenMode::CreateIfMissing, options);
        return Project(std::move(paths), std::move(database));
    });
}

Project Project::open(const std::filesystem::path& root, const DatabaseOptions& options)
{
    return withContext("opening project " + root.string(), [&] {
        ProjectPaths paths(root);
        if (!std::filesystem::exists(paths.database())) {
            throw Error("not a project folder: no project.sqlite");
        }
        Database database(paths.database(), OpenMode::ExistingOnly, options);
        if (database.readOnly()) return Project(std::move(paths), std::move(database));
        makeSubfolders(paths);
        Project project(std::move(paths), std::move(database));
        project.m_recovery = recoverRuns(project.m_database, project.m_paths);
        return project;
    });
}

} // namespace rlhf::store
