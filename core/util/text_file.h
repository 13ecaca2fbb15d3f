// A whole file's bytes as a string, with an error that names the file.
#pragma once

#include <filesystem>
#include <string>

namespace rlhf {

std::string readTextFile(const std::filesystem::path& file); // throws rlhf::Error

} // namespace rlhf
