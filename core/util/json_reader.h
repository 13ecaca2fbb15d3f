// Strict reading of a JSON config object: typed fields with defaults, errors that name the file
// and the field path ("run.json: training.batch_size: expected an integer, got \"8\""), and
// unknown fields rejected so a typo never silently falls back to a default.
#pragma once

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace rlhf {

class JsonReader {
public:
    // `where` names the object for messages, e.g. "run.json: optimizer".
    JsonReader(const nlohmann::json& object, std::string where);

    // Reads `key` into `value` when present; absent keeps the default.
    template <typename T> void read(const char* key, T& value)
    {
        m_seen.insert(key);
        if (!m_object.contains(key)) return;
        value = convert<T>(key);
    }

    // Like read(), but a null value counts as absent too (Hugging Face configs write
    // "sliding_window": null for "none").
    template <typename T> void readNullable(const char* key, T& value)
    {
        m_seen.insert(key);
        if (!m_object.contains(key) || m_object.at(key).is_null()) return;
        value = convert<T>(key);
    }

    // Marks `key` as understood without reading it (metadata that changes nothing here).
    void ignore(const char* key) { m_seen.insert(key); }

    // The raw value of `key` (null when absent), marked as understood.
    const nlohmann::json& raw(const char* key)
    {
        m_seen.insert(key);
        static const nlohmann::json absent;
        return m_object.contains(key) ? m_object.at(key) : absent;
    }

    // Like read(), but the field must be present.
    template <typename T> void require(const char* key, T& value)
    {
        if (!m_object.contains(key)) fail(key, "missing required field");
        read(key, value);
    }

    // Whether the object gives `key`.
    bool has(const char* key) const { return m_object.contains(key); }

    // The reader of sub-object `key` (an empty object when absent).
    JsonReader child(const char* key);

    // Throws naming every field that no read()/require()/child() asked for.
    void rejectUnknown() const;

    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    std::string path(const std::string& key) const;
    const std::string& where() const { return m_where; }

private:
    template <typename T> T convert(const char* key) const
    {
        const nlohmann::json& field = m_object.at(key);
        try {
            if constexpr (std::is_same_v<T, bool>) {
                if (!field.is_boolean()) throw std::invalid_argument("expected true or false");
            } else if constexpr (std::is_integral_v<T>) {
                if (!field.is_number_integer()) throw std::invalid_argument("expected an integer");
            } else if constexpr (std::is_floating_point_v<T>) {
                if (!field.is_number()) throw std::invalid_argument("expected a number");
            } else if constexpr (std::is_same_v<T, std::string>) {
                if (!field.is_string()) throw std::invalid_argument("expected a string");
            }
            return field.get<T>();
        } catch (const std::exception& error) {
            fail(key, std::string(error.what()) + ", got " + field.dump());
        }
    }

    nlohmann::json m_object;
    std::string m_where;
    std::set<std::string> m_seen;
};

} // namespace rlhf
