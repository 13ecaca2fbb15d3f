#include "core/util/json_file.h"

#include "core/util/error.h"

#include <fstream>

namespace rlhf {

nlohmann::json readJsonFile(const std::filesystem::path& file)
{
    std::ifstream in(file);
    if (!in) throw Error(file.string() + ": cannot open");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        throw Error(file.string() + ": invalid JSON: " + error.what());
    }
}

void writeJsonFile(const std::filesystem::path& file, const nlohmann::json& json)
{
    std::ofstream out(file);
    out << json.dump(2) << '\n';
    out.close();
    if (!out) throw Error(file.string() + ": cannot write");
}

} // namespace rlhf
