// Pre-tokenizer steps (see pretokenizer.h): regex splits, then HF ByteLevel's prefix space and
// optional GPT-2 regex split, applied piece by piece as HF's PreTokenizedString does; or HF
// Metaspace; or nothing.

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
                               const std::function<void(std::string_view)>& emit,
                               bool atStart) const
{
    if (text.empty()) return;
    switch (m_config.kind) {
    case PreTokenizerConfig::Kind::ByteLevel:
        splitFrom(0, text, emit);
        return;
    case PreTokenizerConfig::Kind::Metaspace:
        metaspaceWords(text, atStart, emit);
        return;
    case PreTokenizerConfig::Kind::SplitAfter:
        splitAfter(text, emit);
        return;
    case PreTokenizerConfig::Kind::None:
        emit(text);
        return;
    }
}

void PreTokenizer::splitAfter(std::string_view text,
                              const std::function<void(std::string_view)>& emit) const
{
    const std::string_view pattern = m_config.splitAfter;
    std::size_t start = 0;
    if (!pattern.empty()) {
        for (std::size_t found = text.find(pattern); found != text.npos;
             found = text.find(pattern, start)) {
            emit(text.substr(start, found + pattern.size() - start));
            start = found + pattern.size();
        }
    }
    if (start < text.size()) emit(text.substr(start));
}

void PreTokenizer::metaspaceWords(std::string_view text, bool atStart,
                                  const std::function<void(std::string_view)>& emit) const
{
    const MetaspaceConfig& config = m_config.metaspace;
    const std::string_view replacement = config.replacement;
    std::string replaced;
    replaced.reserve(text.size() + 2 * replacement.size());
    const bool prepend =
        !text.starts_with(' ') && (config.prependScheme == PrependScheme::Always ||
                                   (config.prependScheme == PrependScheme::First && atStart));
    if (prepend && !text.starts_with(replacement)) replaced.append(replacement);
    for (char byte : text) {
        if (byte == ' ')
            replaced.append(replacement);
        else
            replaced.push_back(byte);
    }
    if (!config.split) {
        emit(replaced);
        return;
    }
    // MergedWithNext: every replacement character starts a new word.
    const std::string_view all = replaced;
    std::size_t start = 0;
    for (std::size_t found = all.find(replacement, 1); found != all.npos;
         found = all.find(replacement, found + replacement.size())) {
        if (found > start) emit(all.substr(start, found - start));
        start = found;
    }
    emit(all.substr(start));
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
