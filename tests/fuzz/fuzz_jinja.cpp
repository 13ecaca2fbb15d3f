// libFuzzer target for the chat-template engine (core/chat/jinja): any bytes as a template,
// parsed and rendered over a small conversation. A template may fail with rlhf::Error; it must
// never crash, hang or read out of bounds.
#include "core/chat/jinja/template.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const nlohmann::ordered_json context = {{"messages",
                                                    {{{"role", "system"}, {"content", "be brief"}},
                                                     {{"role", "user"}, {"content", "héllo"}},
                                                     {{"role", "assistant"}, {"content", "hi"}}}},
                                                   {"add_generation_prompt", true},
                                                   {"bos_token", "<s>"},
                                                   {"eos_token", "</s>"},
                                                   {"tools", nullptr}};
    try {
        const rlhf::chat::jinja::Template compiled(
            std::string_view(reinterpret_cast<const char*>(data), size));
        compiled.render(context);
    } catch (const rlhf::Error&) {
    }
    return 0;
}
