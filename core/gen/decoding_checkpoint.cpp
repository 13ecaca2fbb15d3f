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
        if (setup.gpu >= 0 && setup.gpu >= int(model::cudaDevices().size()))
            throw Error("decoding on cuda:" + std::to_string(setup.gpu) +
                        " requested but that GPU is not present");
        const c10::Device device = setup.gpu >= 0
                                       ? c10::Device(c10::kCUDA, c10::DeviceIndex(setup.gpu))
                                       : c10::Device(c10::kCPU);
        SharedModelView view = SharedModelView::open(folder, device);
        const model::Transformer model = view.handle();
        auto tokenizer = text::loadTokenizerJson(folder / "tokenizer.json");
        if (tokenizer.vocabSize() > uint32_t(model->config().vocabSize))
            throw Error("tokenizer.json has " + std::to_string(tokenizer.vocabSize()) +
                        " tokens but the model only " + std::to_string(model->config().vocabSize));
        return DecodingCheckpoint{
            std::move(tokenizer),
            TransformerSource(std::move(view), setup.precision == DecodePrecision::BFloat16)};
    });
}

} // namespace rlhf::gen
