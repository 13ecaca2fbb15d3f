// A tiny chat checkpoint for the chat model and arena tests: a byte-level tokenizer (no merges,
// so byte b is token b and the seven chat specials are 256..262) and a two-layer Llama. Left
// untrained it babbles random bytes (partial UTF-8 included); taught for a few dozen Adam steps
// it answers every user turn with `reply` and closes it with <|end|>, so replies are readable.
#pragma once

#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/text/bpe_trainer.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/chat/chat_template.h"

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

namespace rlhf::test_support {

struct TinyChat {
    uint64_t seed = 1;
    int64_t contextLength = 64;
    std::string reply;     // what a taught model answers; empty: left untrained
    int trainSteps = 80;   // Adam steps on the taught dialogues
    double initStd = 0.02; // larger: an untrained model whose babble depends more on the prompt
};

inline text::Tokenizer byteChatTokenizer()
{
    text::TrainConfig config;
    config.specialTokens = {text::special::all.begin(), text::special::all.end()};
    config.vocabSize = 256 + uint32_t(config.specialTokens.size()); // room for no merge
    text::BpeTrainer trainer(config);
    trainer.addText("hello world");
    return trainer.train();
}

// Writes the checkpoint folder (config.json, model.safetensors, tokenizer.json).
inline void writeTinyChatCheckpoint(const std::filesystem::path& folder, const TinyChat& chat)
{
    const std::filesystem::path tokenizerFile =
        folder.parent_path() / (folder.filename().string() + ".tokenizer.json");
    std::filesystem::create_directories(folder.parent_path());
    const text::Tokenizer tokenizer = byteChatTokenizer();
    text::saveTokenizerJson(tokenizer, tokenizerFile);

    model::ModelConfig shape;
    shape.flavour = model::Flavour::Llama;
    shape.vocabSize = tokenizer.vocabSize();
    shape.contextLength = chat.contextLength;
    shape.layers = 2;
    shape.heads = 4;
    shape.kvHeads = 2;
    shape.dim = 32;
    shape.initStd = chat.initStd;
    model::Transformer transformer(shape);
    transformer->initWeights(chat.seed);

    if (!chat.reply.empty()) {
        // Every user turn gets the same reply; loss only on the reply and its <|end|>.
        const chat::ChatEncoder encoder(tokenizer, {});
        std::vector<at::Tensor> inputs, targets;
        for (const char* user : {"hi", "What is 2 + 3?", "tell me more", "x"}) {
            const auto encoded = encoder.encode({{"user", user}, {"assistant", chat.reply}});
            std::vector<int64_t> target(encoded.tokens.size() - 1);
            for (size_t i = 0; i + 1 < encoded.tokens.size(); ++i)
                target[i] = encoded.trained[i + 1] ? encoded.tokens[i + 1] : -100;
            inputs.push_back(torch::tensor(
                std::vector<int64_t>(encoded.tokens.begin(), encoded.tokens.end() - 1)));
            targets.push_back(torch::tensor(target));
        }
        torch::optim::Adam adam(transformer->parameters(), torch::optim::AdamOptions(1e-2));
        for (int step = 0; step < chat.trainSteps; ++step)
            for (size_t i = 0; i < inputs.size(); ++i) {
                adam.zero_grad();
                const auto logits = transformer->forward(inputs[i].unsqueeze(0)).squeeze(0);
                torch::nn::functional::cross_entropy(logits, targets[i]).backward();
                adam.step();
            }
    }
    model::CheckpointContents contents;
    contents.tokenizer = tokenizerFile;
    model::saveCheckpoint(folder, *transformer, contents);
}

} // namespace rlhf::test_support
