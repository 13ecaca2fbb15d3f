// Plain completions of a checkpoint (see checkpoint_generator.h): prompts encoded as they are,
// the tokenizer's <|eos|> and <|end|> ending a row, rows sampled (streamed) or beam searched.
#include "core/gen/checkpoint_generator.h"

#include "core/gen/beam_search.h"
#include "core/gen/decoding_checkpoint.h"
#include "core/gen/generator.h"

namespace rlhf::gen {

struct CheckpointGenerator::State {
    DecodingCheckpoint checkpoint;
    std::vector<int64_t> eos;
};

namespace {

std::vector<int64_t> toInt64(const std::vector<uint32_t>& ids)
{
    return std::vector<int64_t>(ids.begin(), ids.end());
}

std::vector<uint32_t> toUint32(const std::vector<int64_t>& ids)
{
    return std::vector<uint32_t>(ids.begin(), ids.end());
}

} // namespace

CheckpointGenerator::CheckpointGenerator(const std::filesystem::path& folder,
                                         const DecodeSetup& setup)
    : m_state(std::make_unique<State>(State{loadDecodingCheckpoint(folder, setup), {}}))
{
    for (auto name : {text::special::eos, text::special::end})
        if (auto id = m_state->checkpoint.tokenizer.specialTokenId(name))
            m_state->eos.push_back(*id);
}

CheckpointGenerator::~CheckpointGenerator() = default;

std::vector<std::string>
CheckpointGenerator::complete(const TextRequest& request,
                              const std::function<void(int64_t, const std::string&)>& onText)
{
    checkSampling(request.sampling);
    const text::Tokenizer& tokenizer = m_state->checkpoint.tokenizer;
    TransformerSource& source = m_state->checkpoint.source;
    std::vector<std::vector<int64_t>> prompts;
    for (const auto& prompt : request.prompts) {
        auto ids = toInt64(tokenizer.encode(prompt));
        if (ids.empty()) { // an empty prompt starts from <|bos|> (or <|eos|>, a document border)
            auto start = tokenizer.specialTokenId(text::special::bos);
            ids.push_back(start ? *start : m_state->eos.at(0));
        }
        prompts.push_back(std::move(ids));
    }
    const auto decode = [&](const std::vector<int64_t>& ids) {
        return tokenizer.decode(toUint32(ids), text::SpecialTokenOutput::Skip);
    };

    std::vector<std::string> texts;
    if (request.sampling.beams > 1) {
        BeamSearchConfig beam;
        beam.numBeams = request.sampling.beams;
        beam.lengthPenalty = request.sampling.lengthPenalty;
        beam.maxNewTokens = request.sampling.maxNewTokens;
        beam.eosTokenIds = m_state->eos;
        for (const auto& hypotheses : beamSearch(source, prompts, beam))
            texts.push_back(hypotheses.empty() ? std::string() : decode(hypotheses.front().tokens));
        return texts;
    }

    GenerationConfig config;
    config.sampling = request.sampling;
    config.eosTokenIds = m_state->eos;
    config.stopStrings = request.stopStrings;
    std::vector<std::vector<int64_t>> streamed(prompts.size());
    std::vector<size_t> shownBytes(prompts.size(), 0);
    TokenCallback onToken;
    if (onText) {
        onToken = [&](int64_t row, int64_t token) {
            streamed[row].push_back(token);
            // Show only whole characters: decode the row so far and print what is new.
            const std::string sofar =
                tokenizer.decode(toUint32(streamed[row]), text::SpecialTokenOutput::Skip);
            const bool partial =
                sofar.size() >= 3 && sofar.compare(sofar.size() - 3, 3, "\xEF\xBF\xBD") == 0;
            if (!partial && sofar.size() > shownBytes[row]) {
                onText(row, sofar.substr(shownBytes[row]));
                shownBytes[row] = sofar.size();
            }
            return StreamControl::Continue;
        };
    }
    for (const auto& sequence : generate(source, prompts, config, onToken, decode))
        texts.push_back(sequence.text.empty() ? decode(sequence.tokens) : sequence.text);
    return texts;
}

} // namespace rlhf::gen
