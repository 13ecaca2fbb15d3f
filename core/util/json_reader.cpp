#include "core/util/json_reader.h"

#include <cmath>

namespace rlhf {

JsonReader::JsonReader(const nlohmann::json& object, std::string where)
    : m_object(object.is_null() ? nlohmann::json::object() : object), m_where(std::move(where))
{
    if (!m_object.is_object())
        throw Error(m_where + ": expected a JSON object, got " + object.dump());
}

JsonReader JsonReader::child(const char* key)
{
    m_seen.insert(key);
    const std::string where =
        m_where.find(": ") == std::string::npos ? m_where + ": " + key : m_where + "." + key;
    return JsonReader(m_object.contains(key) ? m_object.at(key) : nlohmann::json::object(), where);
}

void JsonReader::rejectUnknown() const
{
    for (const auto& item : m_object.items())
        if (!m_seen.count(item.key())) fail(item.key(), "unknown field");
}

bool JsonReader::isWholeNumberOutside(const nlohmann::json& field, double minimum, double maximum)
{
    if (!field.is_number_float()) return false;
    const double value = field.get<double>();
    return std::isfinite(value) && std::trunc(value) == value &&
           (value < minimum || value > maximum);
}

std::string JsonReader::path(const std::string& key) const
{
    return m_where.find(": ") == std::string::npos ? m_where + ": " + key : m_where + "." + key;
}

void JsonReader::fail(const std::string& key, const std::string& message) const
{
    throw Error(path(key) + ": " + message);
}

} // namespace rlhf
