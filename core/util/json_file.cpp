#include "core/util/json_file.h"

#include "core/util/error.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace rlhf {

namespace {

// One open object or array while parsing, for naming the path of a key and finding its twin.
struct Container {
    std::string path;                           // "training", "rules[2]"; "" at the top
    bool isArray = false;                       //
    int64_t elements = 0;                       // an array's elements so far
    std::string key;                            // an object's latest key
    std::map<std::string, std::streamoff> keys; // an object's keys: offset after each
};

int64_t lineAt(const std::string& text, std::streamoff offset)
{
    const auto end = text.begin() + std::min<std::streamoff>(offset, std::streamoff(text.size()));
    return 1 + std::count(text.begin(), end, '\n');
}

// The path of the next value inside `parent`: "training.steps", "rules[0]".
std::string childPath(const Container& parent)
{
    if (parent.isArray) return parent.path + "[" + std::to_string(parent.elements - 1) + "]";
    return parent.path.empty() ? parent.key : parent.path + "." + parent.key;
}

// Parses `text` as nlohmann::json::parse does, but throws rlhf::Error naming `where`, the key's
// path and both lines when one object gives a key twice (JSON leaves that undefined; nlohmann
// keeps the last value, so a forgotten earlier line would silently lose).
nlohmann::json parseRefusingDuplicates(const std::string& text, const std::string& where)
{
    std::istringstream in(text);
    std::vector<Container> open;
    // The parser reads the stream one character at a time: at a key event the stream stands
    // just past the key's closing quote.
    auto position = [&in] {
        return in.rdbuf()->pubseekoff(0, std::ios_base::cur, std::ios_base::in);
    };
    auto elementStarts = [&open] {
        if (!open.empty() && open.back().isArray) ++open.back().elements;
    };
    using Event = nlohmann::json::parse_event_t;
    const nlohmann::json::parser_callback_t onEvent = [&](int, Event event,
                                                          nlohmann::json& parsed) {
        switch (event) {
        case Event::object_start:
        case Event::array_start: {
            elementStarts();
            Container container;
            container.path = open.empty() ? std::string() : childPath(open.back());
            container.isArray = event == Event::array_start;
            open.push_back(std::move(container));
            break;
        }
        case Event::object_end:
        case Event::array_end:
            if (!open.empty()) open.pop_back();
            break;
        case Event::key: {
            Container& object = open.back();
            object.key = parsed.get<std::string>();
            const std::streamoff offset = position();
            const auto [first, added] = object.keys.emplace(object.key, offset);
            if (!added)
                throw Error(where + ": " + childPath(object) + ": duplicate key on line " +
                            std::to_string(lineAt(text, offset)) + " (first on line " +
                            std::to_string(lineAt(text, first->second)) + "): give each key once");
            break;
        }
        case Event::value:
            elementStarts();
            break;
        }
        return true;
    };
    return nlohmann::json::parse(in, onEvent);
}

} // namespace

nlohmann::json readJsonFile(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(file.string() + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(file.string() + ": cannot read");
    try {
        return parseRefusingDuplicates(text.str(), file.string());
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
