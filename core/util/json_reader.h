// Strict reading of a JSON config object: typed fields with defaults, errors that name the file
// and the field path ("run.json: training.batch_size: expected an integer, got \"8\""), and
// unknown fields rejected so a typo never silently falls back to a default.
#pragma once

#include "core/util/error.h"
#include "core/util/value_range.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

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

    // Like read(), but a number outside `range` fails naming the field and the range
    // ("steps: 9223372036854775808 is out of range (1 to 1000000000)"), checked on the
    // document's own number before it is stored, so no value wraps on its way in.
    template <typename T> void read(const char* key, T& value, const ValueRange& range)
    {
        static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
        m_seen.insert(key);
        if (!m_object.contains(key)) return;
        const nlohmann::json& field = m_object.at(key);
        if (field.is_number()) {
            const std::string problem = rangeProblem(range, field.get<double>(), field.dump());
            if (!problem.empty()) fail(key, problem);
        }
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
                if (!fitsInteger<T>(field))
                    throw std::invalid_argument(
                        field.is_number_integer() ||
                                isWholeNumberOutside(field, double(std::numeric_limits<T>::min()),
                                                     double(std::numeric_limits<T>::max()))
                            ? "expected an integer from " +
                                  std::to_string(std::numeric_limits<T>::min()) + " to " +
                                  std::to_string(std::numeric_limits<T>::max())
                            : "expected an integer");
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

    // Whether `field` is a JSON integer that T holds as it is (-1 is no uint64_t, 2^63 no
    // int64_t: nlohmann's get<T>() would wrap both).
    template <typename T> static bool fitsInteger(const nlohmann::json& field)
    {
        if (field.is_number_unsigned()) return std::in_range<T>(field.get<uint64_t>());
        if (field.is_number_integer()) return std::in_range<T>(field.get<int64_t>());
        return false;
    }
    // A float without a fraction outside [minimum, maximum], e.g. 1e+23: how JSON reads an
    // integer too long for 64 bits.
    static bool isWholeNumberOutside(const nlohmann::json& field, double minimum, double maximum);

    nlohmann::json m_object;
    std::string m_where;
    std::set<std::string> m_seen;
};

} // namespace rlhf
