// The one field list of a config block: {JSON name, where the value lives in the config struct,
// its range if a number, checks}. The same list drives the strict reader (JsonReader: defaults kept
// when absent, unknown fields rejected naming their path, checks after reading) and the writer, so
// every field name of a stage document is written once. Enumerated fields go through a WordTable.
#pragma once

#include "core/util/json_reader.h"
#include "core/util/word_table.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rlhf {

// The member that a path of member pointers leads to: memberAt(c, &A::b, &B::c) is c.b.c.
template <typename Object, typename First, typename... Rest>
decltype(auto) memberAt(Object& object, First first, Rest... rest)
{
    if constexpr (sizeof...(Rest) == 0)
        return (object.*first);
    else
        return memberAt(object.*first, rest...);
}

template <typename Config> class JsonFields {
public:
    using Reader = std::function<void(JsonReader&, Config&)>;
    using Writer = std::function<void(const Config&, nlohmann::ordered_json&)>;
    // A check of the config once its block is read: "" when it holds, else the failure message.
    using Check = std::function<std::string(const Config&)>;

    // A field at a path of member pointers from the config, e.g.
    // field("lr", &TrainingOptions::schedule, &LrSchedule::peak).
    template <typename... Path> JsonFields& field(const char* name, Path... path)
    {
        return custom(
            name,
            [name, path...](JsonReader& reader, Config& config) {
                reader.read(name, memberAt(config, path...));
            },
            [name, path...](const Config& config, nlohmann::ordered_json& json) {
                json[name] = memberAt(config, path...);
            });
    }

    // A number field held to `range` (core/train/option_ranges.h) as it is read, e.g.
    // number("steps", ranges::steps, &TrainingOptions::steps).
    template <typename... Path>
    JsonFields& number(const char* name, const ValueRange& range, Path... path)
    {
        return custom(
            name,
            [name, range, path...](JsonReader& reader, Config& config) {
                reader.read(name, memberAt(config, path...), range);
            },
            [name, path...](const Config& config, nlohmann::ordered_json& json) {
                json[name] = memberAt(config, path...);
            });
    }

    // Like field(), but the document must give it ("missing required field" otherwise).
    template <typename... Path> JsonFields& required(const char* name, Path... path)
    {
        field(name, path...);
        m_entries.back().read = [name, path...](JsonReader& reader, Config& config) {
            reader.require(name, memberAt(config, path...));
        };
        return *this;
    }

    // An enum written as one of `table`'s words; another word fails
    // "expected auto, fp32 or bf16, got \"x\"".
    template <typename Enum, size_t Count, typename... Path>
    JsonFields& word(const char* name, const WordTable<Enum, Count>& table, Path... path)
    {
        return custom(
            name,
            [name, table, path...](JsonReader& reader, Config& config) {
                Enum& value = memberAt(config, path...);
                std::string text(wordOf(table, value));
                reader.read(name, text);
                const auto parsed = findWord(table, text);
                if (!parsed)
                    reader.fail(name, "expected " + wordList(table) + ", got \"" + text + "\"");
                value = *parsed;
            },
            [name, table, path...](const Config& config, nlohmann::ordered_json& json) {
                json[name] = std::string(wordOf(table, memberAt(config, path...)));
            });
    }

    // A sub-object "name": {...} read strictly and checked by its own list.
    JsonFields& block(const char* name, JsonFields fields)
    {
        return custom(
            name,
            [name, fields](JsonReader& reader, Config& config) {
                JsonReader child = reader.child(name);
                fields.read(child, config);
            },
            [name, fields](const Config& config, nlohmann::ordered_json& json) {
                json[name] = fields.write(config);
            });
    }

    // A sub-object "name": {...} holding the struct at a member path, read by that struct's list.
    template <typename Part, typename... Path>
    JsonFields& block(const char* name, JsonFields<Part> fields, Path... path)
    {
        return custom(
            name,
            [name, fields, path...](JsonReader& reader, Config& config) {
                JsonReader child = reader.child(name);
                fields.read(child, memberAt(config, path...));
            },
            [name, fields, path...](const Config& config, nlohmann::ordered_json& json) {
                json[name] = fields.write(memberAt(config, path...));
            });
    }

    // A field with its own reading and writing (a nested list, a choice between two shapes).
    JsonFields& custom(const char* name, Reader read, Writer write)
    {
        m_entries.push_back({name, std::move(read), std::move(write)});
        return *this;
    }

    // Every field and check of a base struct's list, in its order.
    template <typename Base> JsonFields& include(const JsonFields<Base>& base)
    {
        for (const auto& entry : base.m_entries)
            custom(
                entry.name,
                [read = entry.read](JsonReader& reader, Config& config) { read(reader, config); },
                [write = entry.write](const Config& config, nlohmann::ordered_json& json) {
                    write(config, json);
                });
        for (const auto& check : base.m_checks)
            m_checks.push_back(
                {check.name, [test = check.test](const Config& config) { return test(config); }});
        return *this;
    }

    // A check run after the block is read; a failure names field `name` with the message.
    JsonFields& check(const char* name, Check test)
    {
        m_checks.push_back({name, std::move(test)});
        return *this;
    }
    // A check that fails field `name` with the fixed `message` where `holds` is false.
    JsonFields& check(const char* name, std::string message,
                      std::function<bool(const Config&)> holds)
    {
        return check(name, [message = std::move(message), holds = std::move(holds)](
                               const Config& config) { return holds(config) ? "" : message; });
    }

    // Reads every listed field of `reader`'s object into `config`, rejects the fields the list
    // lacks, then runs the checks in order.
    void read(JsonReader& reader, Config& config) const
    {
        for (const auto& entry : m_entries)
            entry.read(reader, config);
        reader.rejectUnknown();
        for (const auto& check : m_checks) {
            if (const std::string message = check.test(config); !message.empty())
                reader.fail(check.name, message);
        }
    }

    // The object of every listed field, in list order.
    nlohmann::ordered_json write(const Config& config) const
    {
        nlohmann::ordered_json json = nlohmann::ordered_json::object();
        for (const auto& entry : m_entries)
            entry.write(config, json);
        return json;
    }

private:
    template <typename> friend class JsonFields;

    struct Entry {
        const char* name; // a string literal
        Reader read;
        Writer write;
    };
    struct NamedCheck {
        const char* name;
        Check test;
    };

    std::vector<Entry> m_entries;
    std::vector<NamedCheck> m_checks;
};

} // namespace rlhf
