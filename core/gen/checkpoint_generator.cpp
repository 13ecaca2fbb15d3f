#include "core/gen/checkpoint_generator.h"

#include "core/gen/transformer_source.h"
#include "core/model/checkpoint.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/cpu_features.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

namespace rlhf::gen {

struct CheckpointGenerator::State {
    text::Tokenizer tokenizer;
    TransformerSource source;
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

CheckpointGenerator::CheckpointGenerator(const std::filesystem::path& folder)
{
    withContext("loading checkpoint " + folder.string(), [&] {
        model::Transformer model(model::loadCheckpointConfig(folder));
        model::loadCheckpointWeights(folder, *model);
        model->eval();
        auto tokenizer = text::loadTokenizerJson(folder / "tokenizer.json");
        if (tokenizer.vocabSize() > uint32_t(model->config().vocabSize))
            throw Error("tokenizer.json has " + std::to_string(tokenizer.vocabSize()) +
                        " tokens but the model only " + std::to_string(model->config().vocabSize));
        std::vector<int64_t> eos;
        for (auto name : {text::special::eos, text::special::end})
            if (auto id = tokenizer.specialTokenId(name)) eos.push_back(*id);
        m_state = std::make_unique<State>(
            State{std::move(tokenizer), TransformerSource(model, cpuHasAvx512Bf16()), eos});
    });
}

CheckpointGenerator::~CheckpointGenerator() = default;

std::vector<std::string>
CheckpointGenerator::complete(const TextRequest& request,
                              const std::function<void(int64_t, const std::string&)>& onText)
{
    const text::Tokenizer& tokenizer = m_state->tokenizer;
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
    if (request.beams > 1) {
        BeamSearchConfig beam;
        beam.numBeams = request.beams;
        beam.lengthPenalty = request.lengthPenalty;
        beam.maxNewTokens = request.generation.maxNewTokens;
        beam.eosTokenIds = m_state->eos;
        for (const auto& hypotheses : beamSearch(m_state->source, prompts, beam))
            texts.push_back(hypotheses.empty() ? std::string() : decode(hypotheses.front().tokens));
        return texts;
    }

    GenerationConfig config = request.generation;
    config.eosTokenIds.insert(config.eosTokenIds.end(), m_state->eos.begin(), m_state->eos.end());
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
    for (const auto& sequence : generate(m_state->source, prompts, config, onToken, decode))
        texts.push_back(sequence.text.empty() ? decode(sequence.tokens) : sequence.text);
    return texts;
}

} // namespace rlhf::gen
