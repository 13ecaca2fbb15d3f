// The one exception type of the core: a message that gains context as it travels up,
// e.g. "loading checkpoint run-3/step-400: tensor 'wte.weight': shape [10, 4] expected [10, 8]".
// It is not for programming errors (those are asserts); it is for bad input and failed I/O.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace rlhf {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Runs `body`; if it throws, rethrows an Error whose message is "context: original message".
template <typename Body> decltype(auto) withContext(const std::string& context, Body&& body)
{
    try {
        return std::forward<Body>(body)();
    } catch (const std::exception& error) {
        throw Error(context + ": " + error.what());
    }
}

} // namespace rlhf
