// Tokenizer: added-token split (raw) -> normalizer -> added-token split (normalized) ->
// pre-tokenizer -> BPE per word (memoised), and decoding through the decoder (see tokenizer.h).

#include "core/text/tokenizer.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

#include "core/text/utf8.h"
#include "core/util/error.h"

namespace rlhf::text {

namespace {

constexpr std::size_t kCacheCapacity = 1 << 17; // words; the cache is emptied when full
constexpr std::size_t kLongestCachedWord = 256; // bytes; longer words are rare, not worth memory

// The added tokens as the matcher needs them: normalized ones by their normalized content.
std::vector<AddedToken> matchable(std::vector<AddedToken> tokens, const Normalizer& normalizer)
{
    if (normalizer.isIdentity()) return tokens;
    for (AddedToken& token : tokens) {
        if (token.normalized) token.content = normalizer.normalize(token.content);
    }
    return tokens;
}

void requireCompatible(const BpeModel& model, const PreTokenizer& preTokenizer,
                       const Decoder& decoder)
{
    const bool byteLevelPre = preTokenizer.config().kind == PreTokenizerConfig::Kind::ByteLevel;
    if (model.options().byteLevel) {
        if (!byteLevelPre)
            throw Error("pre_tokenizer: a byte-level model needs the ByteLevel pre-tokenizer");
        if (!decoder.config().byteLevel)
            throw Error("decoder: a byte-level model needs the ByteLevel decoder");
    } else {
        if (byteLevelPre)
            throw Error("pre_tokenizer: ByteLevel with a model that is not byte-level (a "
                        "vocabulary without all 256 byte tokens) is not supported");
        if (decoder.config().byteLevel)
            throw Error("decoder: ByteLevel with a model that is not byte-level is not supported");
    }
}

} // namespace

struct Tokenizer::WordCache {
    std::shared_mutex mutex;
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>> ids;
};

Tokenizer::Tokenizer(BpeModel model, PreTokenizer preTokenizer, std::vector<AddedToken> addedTokens,
                     std::string postProcessorJson)
    : Tokenizer(std::move(model), Normalizer(), std::move(preTokenizer), Decoder(),
                std::move(addedTokens), std::move(postProcessorJson))
{
}

Tokenizer::Tokenizer(BpeModel model, Normalizer normalizer, PreTokenizer preTokenizer,
                     Decoder decoder, std::vector<AddedToken> addedTokens,
                     std::string postProcessorJson)
    : m_model(std::move(model)), m_normalizer(std::move(normalizer)),
      m_preTokenizer(std::move(preTokenizer)), m_decoder(std::move(decoder)),
      m_addedTokens(std::move(addedTokens)), m_matcher(matchable(m_addedTokens, m_normalizer)),
      m_vocabSize(m_model.size()), m_postProcessorJson(std::move(postProcessorJson)),
      m_cache(std::make_unique<WordCache>())
{
    requireCompatible(m_model, m_preTokenizer, m_decoder);
    // HF gives an added token the model's id when the model has it, else the next free id
    // after the model and the added tokens before it: insist the file says the same.
    std::uint32_t nextFree = m_model.size();
    TokenIdMap seen;
    for (std::size_t index = 0; index < m_addedTokens.size(); ++index) {
        const AddedToken& token = m_addedTokens[index];
        const std::string field = "added_tokens[" + std::to_string(index) + "]: ";
        if (token.content.empty()) throw Error(field + "empty content");
        if (!isValidUtf8(token.content)) throw Error(field + "content is not valid UTF-8");
        if (!seen.emplace(token.content, token.id).second)
            throw Error(field + "'" + token.content + "' is listed twice");
        const auto inModel = m_model.ids().find(token.content);
        const std::uint32_t expected = inModel != m_model.ids().end() ? inModel->second : nextFree;
        if (token.id != expected)
            throw Error(field + "'" + token.content + "' has id " + std::to_string(token.id) +
                        " but HF tokenizers would give it " + std::to_string(expected) +
                        (inModel != m_model.ids().end()
                             ? " (its id in model.vocab)"
                             : " (tokens outside model.vocab take the next free ids in order)"));
        if (token.id == nextFree) ++nextFree;
        m_vocabSize = std::max(m_vocabSize, token.id + 1);
    }
    m_addedIndexOfId.assign(m_vocabSize, -1);
    for (std::size_t index = 0; index < m_addedTokens.size(); ++index)
        m_addedIndexOfId[m_addedTokens[index].id] = static_cast<std::int64_t>(index);
    const std::vector<AddedToken> normalized = matchable(m_addedTokens, m_normalizer);
    std::unordered_set<std::string_view> specialContents;
    for (const AddedToken& token : m_addedTokens) {
        if (token.special) specialContents.insert(token.content);
    }
    for (const AddedToken& token : normalized)
        m_addedDecodings.push_back({token.content, specialContents.contains(token.content)});
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

std::vector<std::uint32_t> Tokenizer::encode(std::string_view text, SpecialTokenText mode) const
{
    std::string repaired;
    if (!isValidUtf8(text)) {
        repaired = toValidUtf8(text);
        text = repaired;
    }
    std::vector<std::uint32_t> ids;
    ids.reserve(text.size() / 3 + 1);
    if (m_normalizer.isIdentity()) {
        m_matcher.split(text, mode, [&](std::string_view piece, std::optional<std::uint32_t> id) {
            if (id)
                ids.push_back(*id);
            else
                encodeOrdinary(piece, /*atStart=*/piece.data() == text.data(), ids);
        });
        return ids;
    }
    // HF normalizes each piece between raw-matched tokens on its own, then matches the
    // normalized tokens in it. "At start" (Metaspace First): the piece begins the input.
    m_matcher.split(
        AddedTokenPass::Raw, text, mode,
        [&](std::string_view piece, std::optional<std::uint32_t> id) {
            if (id) {
                ids.push_back(*id);
                return;
            }
            const std::string normalized = m_normalizer.normalize(piece);
            const bool pieceAtStart = piece.data() == text.data();
            m_matcher.split(
                AddedTokenPass::Normalized, normalized, mode,
                [&](std::string_view part, std::optional<std::uint32_t> partId) {
                    if (partId)
                        ids.push_back(*partId);
                    else
                        encodeOrdinary(part, pieceAtStart && part.data() == normalized.data(), ids);
                });
        });
    return ids;
}

void Tokenizer::encodeOrdinary(std::string_view text, bool atStart,
                               std::vector<std::uint32_t>& ids) const
{
    m_preTokenizer.forEachWord(
        text,
        [&](std::string_view word) {
            if (word.size() > kLongestCachedWord) {
                m_model.encodeWord(word, ids);
                return;
            }
            {
                std::shared_lock lock(m_cache->mutex);
                const auto hit = m_cache->ids.find(word);
                if (hit != m_cache->ids.end()) {
                    ids.insert(ids.end(), hit->second.begin(), hit->second.end());
                    return;
                }
            }
            const std::size_t first = ids.size();
            m_model.encodeWord(word, ids);
            std::unique_lock lock(m_cache->mutex);
            if (m_cache->ids.size() >= kCacheCapacity) m_cache->ids.clear();
            m_cache->ids.emplace(word, std::vector<std::uint32_t>(ids.begin() + first, ids.end()));
        },
        atStart);
}

void Tokenizer::tokenOf(std::uint32_t id, SpecialTokenOutput mode,
                        std::vector<std::string_view>& tokens) const
{
    if (id < m_addedIndexOfId.size() && m_addedIndexOfId[id] >= 0) {
        const AddedDecoding& token = m_addedDecodings[m_addedIndexOfId[id]];
        if (!(token.skippable && mode == SpecialTokenOutput::Skip)) tokens.push_back(token.text);
    } else if (id < m_model.size()) {
        tokens.push_back(m_model.tokens()[id]);
    }
}

std::string Tokenizer::decodeWith(std::span<const std::uint32_t> ids, SpecialTokenOutput mode,
                                  InvalidBytes invalid) const
{
    std::vector<std::string_view> tokens;
    tokens.reserve(ids.size());
    for (std::uint32_t id : ids)
        tokenOf(id, mode, tokens);
    return m_decoder.decode(tokens, invalid);
}

std::string Tokenizer::decodeBytes(std::span<const std::uint32_t> ids,
                                   SpecialTokenOutput mode) const
{
    return decodeWith(ids, mode, InvalidBytes::Keep);
}

std::string Tokenizer::decode(std::span<const std::uint32_t> ids, SpecialTokenOutput mode) const
{
    // Byte-level text is repaired like HF's String::from_utf8_lossy; ByteFallback output is
    // already valid, and toValidUtf8 leaves valid text as it is.
    return toValidUtf8(decodeWith(ids, mode, InvalidBytes::Replace));
}

std::optional<std::uint32_t> Tokenizer::tokenToId(std::string_view token) const
{
    for (const AddedToken& added : m_addedTokens) {
        if (added.content == token) return added.id;
    }
    const auto found = m_model.ids().find(token);
    if (found == m_model.ids().end()) return std::nullopt;
    return found->second;
}

std::optional<std::string> Tokenizer::idToToken(std::uint32_t id) const
{
    if (id < m_addedIndexOfId.size() && m_addedIndexOfId[id] >= 0)
        return m_addedTokens[m_addedIndexOfId[id]].content;
    if (id < m_model.size()) return m_model.tokens()[id];
    return std::nullopt;
}

std::optional<std::uint32_t> Tokenizer::specialTokenId(std::string_view content) const
{
    for (const AddedToken& added : m_addedTokens) {
        if (added.special && added.content == content) return added.id;
    }
    return std::nullopt;
}

ChatTokenIds Tokenizer::chatTokenIds() const
{
    auto require = [this](std::string_view content) {
        const std::optional<std::uint32_t> id = specialTokenId(content);
        if (!id)
            throw Error("tokenizer has no special token " + std::string(content) +
                        " (needed for chat)");
        return *id;
    };
    ChatTokenIds ids;
    ids.bos = require(special::bos);
    ids.eos = require(special::eos);
    ids.pad = require(special::pad);
    ids.system = require(special::system);
    ids.user = require(special::user);
    ids.assistant = require(special::assistant);
    ids.end = require(special::end);
    return ids;
}

} // namespace rlhf::text
