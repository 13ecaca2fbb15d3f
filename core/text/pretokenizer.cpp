// Pre-tokenizer steps (see pretokenizer.h): regex splits, then HF ByteLevel's prefix space and
// optional GPT-2 regex split, applied piece by piece as HF's PreTokenizedString does.

#include "core/text/pretokenizer.h"

namespace rlhf::text {

namespace {

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

} // namespace

std::string_view patternOf(PatternFlavour flavour)
{
    return flavour == PatternFlavour::Gpt2 ? kGpt2Pattern : kLlama3Pattern;
}

PreTokenizerConfig PreTokenizerConfig::forFlavour(PatternFlavour flavour)
{
    PreTokenizerConfig config;
    config.splits.push_back({std::string(patternOf(flavour)), /*literal=*/false});
    return config;
}

PreTokenizer::PreTokenizer(PreTokenizerConfig config) : m_config(std::move(config))
{
    for (const PreTokenizerConfig::Split& split : m_config.splits)
        m_splits.emplace_back(split.pattern, split.literal);
    if (m_config.useRegex) m_byteLevelRegex.emplace(std::string(kGpt2Pattern));
}

void PreTokenizer::forEachWord(std::string_view text,
                               const std::function<void(std::string_view)>& emit) const
{
    if (!text.empty()) splitFrom(0, text, emit);
}

std::vector<std::string> PreTokenizer::words(std::string_view text) const
{
    std::vector<std::string> result;
    forEachWord(text, [&](std::string_view word) { result.emplace_back(word); });
    return result;
}

void PreTokenizer::splitFrom(std::size_t step, std::string_view piece,
                             const std::function<void(std::string_view)>& emit) const
{
    if (step < m_splits.size()) {
        m_splits[step].splitIsolated(
            piece, [&](std::string_view part) { splitFrom(step + 1, part, emit); });
        return;
    }
    // The ByteLevel step: HF prepends a space to every piece that does not start with one.
    std::string prefixed;
    if (m_config.addPrefixSpace && piece.front() != ' ') {
        prefixed.reserve(piece.size() + 1);
        prefixed.push_back(' ');
        prefixed.append(piece);
        piece = prefixed;
    }
    if (m_byteLevelRegex)
        m_byteLevelRegex->splitIsolated(piece, emit);
    else
        emit(piece);
}

} // namespace rlhf::text
