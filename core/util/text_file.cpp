#include "core/util/text_file.h"

#include "core/util/error.h"

#include <fstream>
#include <sstream>

namespace rlhf {

std::string readTextFile(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(file.string() + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace rlhf
