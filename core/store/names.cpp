// The one rule for user-given names (see names.h).
#include "core/store/names.h"

#include "core/util/error.h"

#include <cstdint>
#include <cstdio>

namespace rlhf::store {

namespace {

bool portable(char character)
{
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
           (character >= '0' && character <= '9') || character == '.' || character == '_' ||
           character == '-';
}

} // namespace

void checkName(std::string_view what, std::string_view name)
{
    auto refuse = [&](const std::string& why) {
        throw Error(std::string(what) + " name '" + std::string(name) + "': " + why);
    };
    if (name.empty()) refuse("is empty");
    if (name.size() > maxNameBytes)
        refuse("is " + std::to_string(name.size()) + " bytes long, at most " +
               std::to_string(maxNameBytes));
    if (name == "." || name == "..") refuse("is not a name but a folder reference");
    for (const char character : name) {
        if (character == '/' || character == '\\')
            refuse("must not contain '/' or '\\' (names are not paths)");
        if (static_cast<unsigned char>(character) < 0x20 || character == 0x7f)
            refuse("must not contain control characters");
    }
    if (name.front() == ' ' || name.back() == ' ') refuse("must not start or end with a blank");
}

std::string fileNameOf(std::string_view name)
{
    std::string safe(name);
    bool replaced = false;
    for (char& character : safe)
        if (!portable(character)) {
            character = '_';
            replaced = true;
        }
    if (!replaced && !safe.empty() && safe != "." && safe != "..") return safe;
    uint64_t hash = 1469598103934665603ull; // FNV-1a, 64 bits: stable across runs and machines
    for (const char character : name)
        hash = (hash ^ static_cast<unsigned char>(character)) * 1099511628211ull;
    char suffix[24];
    std::snprintf(suffix, sizeof(suffix), "~%08x", static_cast<unsigned>(hash ^ (hash >> 32)));
    return safe + suffix;
}

} // namespace rlhf::store
