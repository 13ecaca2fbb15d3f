// GPT-2 (GPT2LMHeadModel): LayerNorm, learned positions, tanh-GELU, Conv1D weights, tied head.
#include "core/model/families/family.h"

namespace rlhf::model {

namespace {

void read(JsonReader& json, ModelConfig& config)
{
    config.flavour = Flavour::Gpt2;
    json.require("n_positions", config.contextLength);
    json.require("n_layer", config.layers);
    json.require("n_head", config.heads);
    json.require("n_embd", config.dim);
    json.readNullable("n_inner", config.ffnDim);
    json.read("layer_norm_epsilon", config.normEps);
    json.read("tie_word_embeddings", config.tieEmbeddings);
    json.ignore("n_ctx"); // an older name of n_positions, unused by transformers

    std::string activation = "gelu_new";
    json.read("activation_function", activation);
    if (activation != "gelu_new" && activation != "gelu_pytorch_tanh")
        json.fail("activation_function",
                  "'" + activation + "' is not supported (gelu_new or gelu_pytorch_tanh)");
    // Switches of GPT2Attention that change the math; the defaults are what is built here.
    bool scaleWeights = true, scaleByLayer = false, crossAttention = false;
    json.read("scale_attn_weights", scaleWeights);
    json.read("scale_attn_by_inverse_layer_idx", scaleByLayer);
    json.read("add_cross_attention", crossAttention);
    if (!scaleWeights) json.fail("scale_attn_weights", "false is not supported");
    if (scaleByLayer) json.fail("scale_attn_by_inverse_layer_idx", "true is not supported");
    if (crossAttention) json.fail("add_cross_attention", "true is not supported");
    // Dropout (training-time noise: the studio fine-tunes without it), the upcast order of the
    // attention scores (numerics only), and the heads of GPT2DoubleHeadsModel, which
    // GPT2LMHeadModel has not.
    for (const char* key : {"attn_pdrop", "embd_pdrop", "resid_pdrop", "reorder_and_upcast_attn",
                            "summary_activation", "summary_first_dropout", "summary_proj_to_labels",
                            "summary_type", "summary_use_proj"})
        json.ignore(key);
}

void write(const ModelConfig& config, nlohmann::json& json)
{
    json["n_positions"] = config.contextLength;
    json["n_ctx"] = config.contextLength;
    json["n_layer"] = config.layers;
    json["n_head"] = config.heads;
    json["n_embd"] = config.dim;
    json["n_inner"] = config.ffnHidden();
    json["layer_norm_epsilon"] = config.normEps;
    json["activation_function"] = "gelu_new";
    json["resid_pdrop"] = 0.0;
    json["embd_pdrop"] = 0.0;
    json["attn_pdrop"] = 0.0;
}

} // namespace

const HfFamily gpt2Family{"gpt2", "GPT2LMHeadModel", read, write};

} // namespace rlhf::model
