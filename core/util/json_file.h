// Reading and writing whole JSON documents (stage documents, config.json, trainer_state.json)
// with errors that name the file.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace rlhf {

nlohmann::json readJsonFile(const std::filesystem::path& file); // throws rlhf::Error
void writeJsonFile(const std::filesystem::path& file, const nlohmann::json& json);

} // namespace rlhf
