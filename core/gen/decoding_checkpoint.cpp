// Loading a checkpoint for decoding (see decoding_checkpoint.h).
#include "core/gen/decoding_checkpoint.h"

#include "core/model/checkpoint.h"
#include "core/model/torch_runtime.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"

namespace rlhf::gen {

DecodingCheckpoint loadDecodingCheckpoint(const std::filesystem::path& folder,
                                          const DecodeSetup& setup)
{
    return withContext("loading checkpoint " + folder.string(), [&] {
        model::Transformer model = model::loadTransformer(folder);
        model->eval();
        if (setup.gpu >= 0) {
            if (setup.gpu >= int(model::cudaDevices().size()))
                throw Error("decoding on cuda:" + std::to_string(setup.gpu) +
                            " requested but that GPU is not present");
            model->to(c10::Device(c10::kCUDA, c10::DeviceIndex(setup.gpu)));
        }
        auto tokenizer = text::loadTokenizerJson(folder / "tokenizer.json");
        if (tokenizer.vocabSize() > uint32_t(model->config().vocabSize))
            throw Error("tokenizer.json has " + std::to_string(tokenizer.vocabSize()) +
                        " tokens but the model only " + std::to_string(model->config().vocabSize));
        return DecodingCheckpoint{
            std::move(tokenizer),
            TransformerSource(model, setup.precision == DecodePrecision::BFloat16)};
    });
}

} // namespace rlhf::gen
