// Reading and writing whole JSON documents (stage documents, config.json, trainer_state.json)
// with errors that name the file. Reading refuses a key given twice in one object, naming the
// file, the key's path and both lines ("run.json: training.steps: duplicate key on line 9
// (first on line 5): give each key once"), where a parser would keep the last value silently.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace rlhf {

nlohmann::json readJsonFile(const std::filesystem::path& file); // throws rlhf::Error
void writeJsonFile(const std::filesystem::path& file, const nlohmann::json& json);

} // namespace rlhf
