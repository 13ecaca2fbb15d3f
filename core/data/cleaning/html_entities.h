// Named HTML character references ("amp" -> U+0026), for the html step.
#pragma once

#include <string_view>

namespace rlhf::data::cleaning {

// The code point of the entity `name` (without '&' and ';'), or 0 when it is not known.
char32_t namedEntity(std::string_view name);

} // namespace rlhf::data::cleaning
