// The stage document of a tiny pretraining run (a 1-layer GPT-2 on a 40-token vocabulary, fp32)
// over tokens/d-t-{train,val}.u32, and those token files: what the studio's run tests start.
#pragma once

#include "core/store/project.h"
#include "core/store/token_file.h"

#include <nlohmann/json.hpp>

#include <string>

namespace rlhf::test_support {

inline nlohmann::json tinyPretrainDocument(const std::string& name, int steps)
{
    return {{"stage", "pretrain"},
            {"name", name},
            {"data", {{"train", "tokens/d-t-train.u32"}, {"val", "tokens/d-t-val.u32"}}},
            {"model",
             {{"flavour", "gpt2"},
              {"vocab_size", 40},
              {"context_length", 16},
              {"layers", 1},
              {"heads", 2},
              {"dim", 16}}},
            {"optimizer", {{"lr", 0.01}, {"warmup_steps", 1}}},
            {"training",
             {{"steps", steps},
              {"batch_size", 4},
              {"eval_every", 5},
              {"eval_batches", 1},
              {"checkpoint_every", 0},
              {"precision", "fp32"}}}};
}

// tokens/d-t-train.u32 and d-t-val.u32 of `project`: 3,000 patterned tokens each.
inline void writeTinyPretrainTokens(const store::Project& project)
{
    for (const char* split : {"train", "val"}) {
        store::TokenFileWriter writer(project.paths().tokens() /
                                      (std::string("d-t-") + split + ".u32"));
        for (uint32_t i = 0; i < 3000; ++i)
            writer.append((i * 7 + i / 3) % 40);
        writer.commit();
    }
}

} // namespace rlhf::test_support
