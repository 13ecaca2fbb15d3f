// Loading a checkpoint for decoding (see decoding_checkpoint.h).
#include "core/gen/decoding_checkpoint.h"

#include "core/model/checkpoint.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"

namespace rlhf::gen {

DecodingCheckpoint loadDecodingCheckpoint(const std::filesystem::path& folder,
                                          DecodePrecision precision)
{
    return withContext("loading checkpoint " + folder.string(), [&] {
        model::Transformer model = model::loadTransformer(folder);
        model->eval();
        auto tokenizer = text::loadTokenizerJson(folder / "tokenizer.json");
        if (tokenizer.vocabSize() > uint32_t(model->config().vocabSize))
            throw Error("tokenizer.json has " + std::to_string(tokenizer.vocabSize()) +
                        " tokens but the model only " + std::to_string(model->config().vocabSize));
        return DecodingCheckpoint{std::move(tokenizer),
                                  TransformerSource(model, precision == DecodePrecision::BFloat16)};
    });
}

} // namespace rlhf::gen
