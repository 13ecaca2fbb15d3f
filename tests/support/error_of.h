// The message of the rlhf::Error that `body` throws, or an empty string when it throws nothing:
// tests assert on what the user would read.
#pragma once

#include "core/util/error.h"

#include <QString>

#include <utility>

namespace rlhf::testing {

template <typename Body> QString errorOf(Body&& body)
{
    try {
        std::forward<Body>(body)();
    } catch (const rlhf::Error& error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

} // namespace rlhf::testing
