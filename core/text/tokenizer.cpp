// Tokenizer: added-token split -> pre-tokenizer -> BPE per word (memoised), and the HF
// ByteLevel decoding (see tokenizer.h).

#include "core/text/tokenizer.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "core/text/byte_level.h"
#include "core/text/utf8.h"
#include "core/util/error.h"

namespace rlhf::text {

namespace {

constexpr std::size_t kCacheCapacity = 1 << 17; // words; the cache is emptied when full
constexpr std::size_t kLongestCachedWord = 256; // bytes; longer words are rare, not worth memory

} // namespace

struct Tokenizer::WordCache {
    std::shared_mutex mutex;
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>> ids;
};

Tokenizer::Tokenizer(BpeModel model, PreTokenizer preTokenizer, std::vector<AddedToken> addedTokens,
                     std::string postProcessorJson)
    : m_model(std::move(model)), m_preTokenizer(std::move(preTokenizer)),
      m_addedTokens(std::move(addedTokens)), m_matcher(m_addedTokens), m_vocabSize(m_model.size()),
      m_postProcessorJson(std::move(postProcessorJson)), m_cache(std::make_unique<WordCache>())
{
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
    m_matcher.split(text, mode, [&](std::string_view piece, std::optional<std::uint32_t> id) {
        if (id)
            ids.push_back(*id);
        else
            encodeOrdinary(piece, ids);
    });
    return ids;
}

void Tokenizer::encodeOrdinary(std::string_view text, std::vector<std::uint32_t>& ids) const
{
    m_preTokenizer.forEachWord(text, [&](std::string_view word) {
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
    });
}

void Tokenizer::tokenOf(std::uint32_t id, SpecialTokenOutput mode,
                        std::vector<std::string_view>& tokens) const
{
    if (id < m_addedIndexOfId.size() && m_addedIndexOfId[id] >= 0) {
        const AddedToken& token = m_addedTokens[m_addedIndexOfId[id]];
        if (!(token.special && mode == SpecialTokenOutput::Skip)) tokens.push_back(token.content);
    } else if (id < m_model.size()) {
        tokens.push_back(m_model.tokens()[id]);
    }
}

std::string Tokenizer::decodeBytes(std::span<const std::uint32_t> ids,
                                   SpecialTokenOutput mode) const
{
    std::vector<std::string_view> tokens;
    tokens.reserve(ids.size());
    for (std::uint32_t id : ids)
        tokenOf(id, mode, tokens);
    return byteLevelDecode(tokens);
}

std::string Tokenizer::decode(std::span<const std::uint32_t> ids, SpecialTokenOutput mode) const
{
    return toValidUtf8(decodeBytes(ids, mode));
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
