// What chat templates call: jinja2's filters and tests, Python's string and dict methods, and
// the globals transformers adds (raise_exception, strftime_now) beside jinja2's (range,
// namespace, dict). Unknown names are errors naming them.
#pragma once

#include "core/chat/jinja/value.h"

#include <string>

namespace rlhf::chat::jinja {

Value applyFilter(const std::string& name, const Value& input, const Arguments& arguments);
bool applyTest(const std::string& name, const Value& value, const Arguments& arguments);
// `object.name`: a dict's entry, else a method of strings and dicts as a bound callable, else
// undefined.
Value memberOf(const Value& object, const std::string& name);
// A global function by name, or undefined.
Value globalFunction(const std::string& name);

// Python's str.strip / lstrip / rstrip of `chars` (empty: whitespace).
std::string stripped(const std::string& text, const std::string& chars, bool left, bool right);
// Code points of UTF-8 text, for indexing and slicing strings as Python does.
std::vector<std::string> codePoints(const std::string& text);

} // namespace rlhf::chat::jinja
