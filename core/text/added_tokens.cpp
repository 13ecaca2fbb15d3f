// Splitting text around added tokens, following HF AddedVocabulary::find_matches (see
// added_tokens.h). A skipped match (special token under AsText) is not searched again for a
// shorter token inside it, as in HF.

#include "core/text/added_tokens.h"

#include <algorithm>

#include "core/text/utf8.h"

namespace rlhf::text {

bool isWhiteSpace(char32_t codePoint)
{
    return (codePoint >= 0x09 && codePoint <= 0x0D) || codePoint == 0x20 || codePoint == 0x85 ||
           codePoint == 0xA0 || codePoint == 0x1680 ||
           (codePoint >= 0x2000 && codePoint <= 0x200A) || codePoint == 0x2028 ||
           codePoint == 0x2029 || codePoint == 0x202F || codePoint == 0x205F || codePoint == 0x3000;
}

namespace {

// Start of the run of whitespace that ends at `end`, not going below `floor`.
std::size_t whitespaceRunStart(std::string_view text, std::size_t end, std::size_t floor)
{
    while (end > floor) {
        std::size_t start = end - 1;
        while (start > floor && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
            --start;
        std::size_t position = start;
        if (!isWhiteSpace(nextCodePoint(text, position))) break;
        end = start;
    }
    return end;
}

// End of the run of whitespace that starts at `start`.
std::size_t whitespaceRunEnd(std::string_view text, std::size_t start)
{
    while (start < text.size()) {
        std::size_t position = start;
        if (!isWhiteSpace(nextCodePoint(text, position))) break;
        start = position;
    }
    return start;
}

} // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens)
{
    for (const AddedToken& token : tokens) {
        if (!token.content.empty())
            (token.normalized ? m_normalized : m_raw).tokens.push_back(token);
    }
    for (Group* group : {&m_raw, &m_normalized}) {
        std::stable_sort(group->tokens.begin(), group->tokens.end(),
                         [](const AddedToken& a, const AddedToken& b) {
                             return a.content.size() > b.content.size();
                         });
        for (std::uint32_t index = 0; index < group->tokens.size(); ++index) {
            const auto first = static_cast<unsigned char>(group->tokens[index].content.front());
            group->byFirstByte[first].push_back(index);
        }
    }
}

void AddedTokenMatcher::split(
    std::string_view text, SpecialTokenText mode,
    const std::function<void(std::string_view, std::optional<std::uint32_t>)>& emit) const
{
    splitWith(m_raw, text, mode, [&](std::string_view gap, std::optional<std::uint32_t> id) {
        if (id)
            emit(gap, id);
        else
            splitWith(m_normalized, gap, mode, emit);
    });
}

void AddedTokenMatcher::split(
    AddedTokenPass pass, std::string_view text, SpecialTokenText mode,
    const std::function<void(std::string_view, std::optional<std::uint32_t>)>& emit) const
{
    splitWith(pass == AddedTokenPass::Raw ? m_raw : m_normalized, text, mode, emit);
}

void AddedTokenMatcher::splitWith(
    const Group& group, std::string_view text, SpecialTokenText mode,
    const std::function<void(std::string_view, std::optional<std::uint32_t>)>& emit) const
{
    std::size_t pieceStart = 0; // end of the last emitted token match
    std::size_t position = 0;
    while (position < text.size()) {
        const AddedToken* match = nullptr;
        for (std::uint32_t index : group.byFirstByte[static_cast<unsigned char>(text[position])]) {
            const AddedToken& candidate = group.tokens[index];
            if (text.substr(position, candidate.content.size()) == candidate.content) {
                match = &candidate; // longest first, so the first hit is the longest
                break;
            }
        }
        if (!match) {
            ++position;
            continue;
        }
        std::size_t start = position;
        std::size_t stop = position + match->content.size();
        position = stop;
        if (mode == SpecialTokenText::AsText && match->special) continue;
        if (match->lstrip) start = whitespaceRunStart(text, start, pieceStart);
        if (match->rstrip) stop = whitespaceRunEnd(text, stop);
        if (start > pieceStart) emit(text.substr(pieceStart, start - pieceStart), std::nullopt);
        emit(text.substr(start, stop - start), match->id);
        pieceStart = stop;
        position = stop;
    }
    if (pieceStart < text.size()) emit(text.substr(pieceStart), std::nullopt);
}

} // namespace rlhf::text
