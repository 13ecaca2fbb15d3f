// HF decoders over token strings (see decoder.h): byte_level.rs, and for SentencePiece-style
// files replace.rs, byte_fallback.rs, fuse.rs, strip.rs and Metaspace's decode_chain.

#include "core/text/decoder.h"

#include "core/text/byte_level.h"
#include "core/text/normalizer.h"
#include "core/text/utf8.h"

namespace rlhf::text {

namespace {

using Tokens = std::vector<std::string>;

int hexDigit(char character)
{
    if (character >= '0' && character <= '9') return character - '0';
    if (character >= 'a' && character <= 'f') return character - 'a' + 10;
    if (character >= 'A' && character <= 'F') return character - 'A' + 10;
    return -1;
}

Tokens byteFallback(Tokens tokens, InvalidBytes invalid)
{
    Tokens result;
    result.reserve(tokens.size());
    std::string run; // bytes of consecutive byte tokens
    auto flush = [&] {
        if (run.empty()) return;
        if (invalid == InvalidBytes::Keep || isValidUtf8(run)) {
            result.push_back(run);
        } else {
            for (std::size_t index = 0; index < run.size(); ++index)
                result.emplace_back(kReplacementCharacter);
        }
        run.clear();
    };
    for (std::string& token : tokens) {
        const int byte = byteFallbackValue(token);
        if (byte >= 0) {
            run.push_back(static_cast<char>(byte));
            continue;
        }
        flush();
        result.push_back(std::move(token));
    }
    flush();
    return result;
}

// Up to `count` leading (or trailing) UTF-8 characters equal to `character` removed.
void strip(std::string& token, std::string_view character, std::size_t start, std::size_t stop)
{
    if (character.empty()) return;
    std::size_t begin = 0;
    for (std::size_t count = 0;
         count < start && token.compare(begin, character.size(), character) == 0; ++count)
        begin += character.size();
    std::size_t end = token.size();
    for (std::size_t count = 0;
         count < stop && end >= begin + character.size() &&
         token.compare(end - character.size(), character.size(), character) == 0;
         ++count)
        end -= character.size();
    token = token.substr(begin, end - begin);
}

Tokens metaspace(Tokens tokens, const MetaspaceConfig& config)
{
    for (std::size_t index = 0; index < tokens.size(); ++index) {
        const bool drop = index == 0 && config.prependScheme != PrependScheme::Never;
        tokens[index] = replaceAll(tokens[index], config.replacement, drop ? "" : " ");
    }
    return tokens;
}

Tokens applyStep(const DecoderStep& step, Tokens tokens, InvalidBytes invalid)
{
    switch (step.kind) {
    case DecoderStep::Kind::Replace:
        for (std::string& token : tokens)
            token = replaceAll(token, step.pattern, step.content);
        return tokens;
    case DecoderStep::Kind::ByteFallback:
        return byteFallback(std::move(tokens), invalid);
    case DecoderStep::Kind::Fuse: {
        std::string joined;
        for (const std::string& token : tokens)
            joined += token;
        return Tokens{std::move(joined)};
    }
    case DecoderStep::Kind::Strip:
        for (std::string& token : tokens)
            strip(token, step.content, step.start, step.stop);
        return tokens;
    case DecoderStep::Kind::Metaspace:
        return metaspace(std::move(tokens), step.metaspace);
    }
    return tokens;
}

} // namespace

int byteFallbackValue(std::string_view token)
{
    // HF: six bytes, "<0x" ... ">", and Rust's u8::from_str_radix of the two in between, which
    // also takes a "+" sign before one digit.
    if (token.size() != 6 || !token.starts_with("<0x") || token.back() != '>') return -1;
    const int high = hexDigit(token[3]);
    const int low = hexDigit(token[4]);
    if (low < 0) return -1;
    if (token[3] == '+') return low;
    return high < 0 ? -1 : high * 16 + low;
}

Decoder::Decoder(DecoderConfig config) : m_config(std::move(config)) {}

std::string Decoder::decode(const std::vector<std::string_view>& tokens, InvalidBytes invalid) const
{
    if (m_config.byteLevel) return byteLevelDecode(tokens);
    Tokens chain(tokens.begin(), tokens.end());
    for (const DecoderStep& step : m_config.steps)
        chain = applyStep(step, std::move(chain), invalid);
    std::string text;
    for (const std::string& token : chain)
        text += token;
    return text;
}

} // namespace rlhf::text
