// A checkpoint answering dialogues (see chat_model.h): the model behind a TransformerSource, the
// dialogue through the chat template, replies sampled (streamed whole characters at a time) or
// found by beam search.
#include "core/chat/chat_model.h"

#include "core/gen/beam_search.h"
#include "core/gen/decoding_checkpoint.h"
#include "core/gen/generator.h"
#include "core/util/error.h"

#include <algorithm>

namespace rlhf::chat {

struct ChatModel::State {
    std::filesystem::path checkpoint;
    gen::DecodingCheckpoint model;
    std::vector<int64_t> eos;
    int64_t contextLength = 0;
    // Made after the tokenizer has its final address: the encoder keeps a reference to it.
    std::unique_ptr<ChatEncoder> encoder;
};

namespace {

// The prompt of `dialogue` with room for `maxNewTokens` after it. Whole turns go from the front
// (a leading system message stays as long as anything else can go), so the model still sees a
// dialogue that starts at a turn; a last user turn too long on its own keeps its end. At least
// half the context stays for the prompt, so a huge maxNewTokens cannot cut it to nothing.
std::vector<int64_t> fittedPrompt(const ChatEncoder& encoder, std::vector<data::Message> dialogue,
                                  int64_t contextLength, int64_t maxNewTokens)
{
    const auto room = size_t(std::max(contextLength - std::max<int64_t>(maxNewTokens, 0),
                                      std::max<int64_t>(contextLength / 2, 1)));
    std::vector<int64_t> prompt = encoder.encodePrompt(dialogue);
    while (prompt.size() > room && dialogue.size() > 1) {
        const bool system = dialogue.front().role == "system";
        // The first turn after the system message, or the system message when only it and the
        // last turn are left.
        auto first = dialogue.begin() + (system && dialogue.size() > 2 ? 1 : 0);
        auto last = first + 1;
        // A user turn goes with the reply to it, so what is left starts with a user turn.
        if (first->role == "user" && last != dialogue.end() - 1 && last->role == "assistant")
            ++last;
        dialogue.erase(first, last);
        prompt = encoder.encodePrompt(dialogue);
    }
    if (prompt.size() > room) prompt.erase(prompt.begin(), prompt.end() - std::ptrdiff_t(room));
    return prompt;
}

gen::GenerationConfig generationConfig(const gen::SamplingSettings& settings,
                                       std::vector<int64_t> eos, int64_t padTokenId)
{
    gen::GenerationConfig config;
    config.sampling = settings;
    config.eosTokenIds = std::move(eos);
    config.padTokenId = padTokenId;
    return config;
}

} // namespace

ChatModel::ChatModel(const std::filesystem::path& checkpoint, const ChatTemplate& chat,
                     const gen::DecodeSetup& setup)
{
    gen::DecodingCheckpoint model = gen::loadDecodingCheckpoint(checkpoint, setup);
    const int64_t contextLength = model.source.maxPositions();
    m_state =
        std::make_unique<State>(State{checkpoint, std::move(model), {}, contextLength, nullptr});
    const text::Tokenizer& tokenizer = m_state->model.tokenizer;
    m_state->encoder = withContext("loading checkpoint " + checkpoint.string(), [&] {
        return std::make_unique<ChatEncoder>(ChatEncoder::forModel(tokenizer, checkpoint, chat));
    });
    m_state->eos = m_state->encoder->stopTokenIds();
}

ChatModel::~ChatModel() = default;
ChatModel::ChatModel(ChatModel&&) noexcept = default;
ChatModel& ChatModel::operator=(ChatModel&&) noexcept = default;

const std::filesystem::path& ChatModel::checkpoint() const
{
    return m_state->checkpoint;
}

std::string ChatModel::reply(const std::vector<data::Message>& dialogue,
                             const gen::SamplingSettings& settings, const ReplyStream& onText)
{
    gen::checkSampling(settings);
    State& state = *m_state;
    const ChatEncoder& encoder = *state.encoder;
    const std::vector<std::vector<int64_t>> prompts = {
        fittedPrompt(encoder, dialogue, state.contextLength, settings.maxNewTokens)};
    const auto decode = [&](const std::vector<int64_t>& ids) { return encoder.decodeReply(ids); };

    if (settings.beams > 1) {
        gen::BeamSearchConfig beam;
        beam.numBeams = settings.beams;
        beam.lengthPenalty = settings.lengthPenalty;
        beam.maxNewTokens = settings.maxNewTokens;
        beam.eosTokenIds = state.eos;
        beam.padTokenId = encoder.padTokenId();
        const auto hypotheses = gen::beamSearch(state.model.source, prompts, beam);
        std::string text =
            hypotheses.front().empty() ? std::string() : decode(hypotheses.front().front().tokens);
        if (onText && !text.empty()) onText(text); // the reply comes whole: one piece
        return text;
    }

    std::vector<int64_t> streamed;
    size_t shownBytes = 0;
    bool stopped = false;
    gen::TokenCallback onToken;
    if (onText) {
        onToken = [&](int64_t, int64_t token) {
            streamed.push_back(token);
            // Only whole characters: a token may end inside a UTF-8 sequence, which decodes to
            // U+FFFD until the next token completes it.
            const std::string sofar = decode(streamed);
            const bool partial =
                sofar.size() >= 3 && sofar.compare(sofar.size() - 3, 3, "\xEF\xBF\xBD") == 0;
            if (partial || sofar.size() <= shownBytes) return gen::StreamControl::Continue;
            const std::string piece = sofar.substr(shownBytes);
            shownBytes = sofar.size();
            if (onText(piece)) return gen::StreamControl::Continue;
            stopped = true;
            return gen::StreamControl::StopAll;
        };
    }
    const auto results =
        gen::generate(state.model.source, prompts,
                      generationConfig(settings, state.eos, encoder.padTokenId()), onToken, decode);
    std::string text = results.front().text;
    // What a last partial character held back, so the pieces always add up to the reply.
    if (onText && !stopped && text.size() > shownBytes) onText(text.substr(shownBytes));
    return text;
}

std::vector<std::string> ChatModel::replies(const std::vector<data::Message>& dialogue,
                                            int64_t count, const gen::SamplingSettings& settings)
{
    gen::checkSampling(settings);
    if (count <= 0) return {};
    State& state = *m_state;
    const ChatEncoder& encoder = *state.encoder;
    const std::vector<std::vector<int64_t>> prompts(
        size_t(count), fittedPrompt(encoder, dialogue, state.contextLength, settings.maxNewTokens));
    const auto decode = [&](const std::vector<int64_t>& ids) { return encoder.decodeReply(ids); };
    std::vector<std::string> texts;
    for (auto& result :
         gen::generate(state.model.source, prompts,
                       generationConfig(settings, state.eos, encoder.padTokenId()), {}, decode))
        texts.push_back(std::move(result.text));
    return texts;
}

} // namespace rlhf::chat
