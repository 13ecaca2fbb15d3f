// Internal to core/text: reading fields of a parsed tokenizer.json with errors that name them
// ("model.vocab: expected an object"). Included only by the tokenizer.json reader's sources.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace rlhf::text::json {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

inline const Json* member(const Json& object, const char* key)
{
    const auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
}

inline bool isAbsent(const Json& object, const char* key)
{
    const Json* value = member(object, key);
    return !value || value->is_null();
}

inline const std::string& stringOf(const Json& value, const std::string& field)
{
    if (!value.is_string()) throw Error(field + ": expected a string, found " + value.type_name());
    return value.get_ref<const std::string&>();
}

inline bool boolOf(const Json& object, const char* key, const std::string& field, bool fallback)
{
    const Json* value = member(object, key);
    if (!value || value->is_null()) return fallback;
    if (!value->is_boolean())
        throw Error(field + "." + key + ": expected true or false, found " + value->type_name());
    return value->get<bool>();
}

inline std::string typeOf(const Json& object, const std::string& field)
{
    if (!object.is_object())
        throw Error(field + ": expected an object, found " + object.type_name());
    const Json* type = member(object, "type");
    if (!type) throw Error(field + ": no \"type\"");
    return stringOf(*type, field + ".type");
}

} // namespace rlhf::text::json
