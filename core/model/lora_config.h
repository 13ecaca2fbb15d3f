// Which layers of a Transformer get LoRA adapters and how they are shaped (model/lora.h has
// the adapters themselves). Torch-free: stage documents and the studio's wizard use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rlhf::model {

// Which linear layers get adapters and how they are shaped: the fields of PEFT's LoraConfig a
// causal language model uses.
struct LoraConfig {
    int64_t rank = 16;
    double alpha = 32;
    double dropout = 0.0; // on the adapter's input, in training only
    // Module names matched as PEFT matches a list: the whole dotted name or its last components
    // ("q_proj" matches "model.layers.0.self_attn.q_proj"). "all-linear": every projection in
    // the layers (PEFT's shorthand; the output head stays out).
    std::vector<std::string> targetModules{"q_proj", "k_proj", "v_proj", "o_proj"};
    bool rsLora = false;
    bool dora = false;

    double scaling() const;
    bool targets(const std::string& moduleName) const;
    // Throws naming the field ("lora.rank: ...") when a value is out of range.
    void validate() const;
};

} // namespace rlhf::model
