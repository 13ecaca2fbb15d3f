// Debian's fortune files (packages fortunes and fortunes-zh) as test corpora, read where the
// packages install them (never copied into the repository): the English and Chinese files the
// tokenizer tests compare on, and the entries of a file (separated by lines of "%").
#pragma once

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rlhf::test_support {

inline constexpr const char* fortuneDir = "/usr/share/games/fortunes/";
inline constexpr std::array<const char*, 12> englishFortuneFiles = {
    "cookie",   "computers", "songs-poems", "definitions", "people",     "science",
    "politics", "work",      "wisdom",      "linux",       "literature", "debian"};
inline constexpr std::array<const char*, 3> chineseFortuneFiles = {"chinese", "tang300", "song100"};

// The whole file `name` of fortuneDir; empty when it is not installed.
inline std::string readFortuneFile(const char* name)
{
    std::ifstream stream(std::string(fortuneDir) + name, std::ios::binary);
    std::ostringstream contents;
    contents << stream.rdbuf();
    return contents.str();
}

// A fortune file's entries, each without its "%" separator line.
inline std::vector<std::string> fortuneEntries(const std::string& text)
{
    std::vector<std::string> entries;
    std::string current;
    for (std::size_t position = 0; position < text.size();) {
        std::size_t end = text.find('\n', position);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::string line = text.substr(position, end - position);
        position = end;
        if (line == "%\n" || line == "%") {
            if (!current.empty()) entries.push_back(current);
            current.clear();
        } else {
            current += line;
        }
    }
    if (!current.empty()) entries.push_back(current);
    return entries;
}

} // namespace rlhf::test_support
