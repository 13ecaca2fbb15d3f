// The Trainer's LoRA side: a frozen base with an adapter that trains on it, and the reference
// that is the same model with another adapter (or none) switched on.
#include "core/train/trainer.h"

#include "core/model/checkpoint.h"
#include "core/train/scalar_model.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

#include <cstdio>

namespace rlhf::train {

namespace fs = std::filesystem;

namespace {

std::string joined(const std::vector<std::string>& words)
{
    std::string text;
    for (const std::string& word : words)
        text += (text.empty() ? "" : ", ") + word;
    return text;
}

} // namespace

std::optional<model::QuantType> heldAs(BaseStorage base)
{
    switch (base) {
    case BaseStorage::Float32:
        return std::nullopt;
    case BaseStorage::BFloat16:
        return model::QuantType::Bf16;
    case BaseStorage::Nf4:
        return model::QuantType::Nf4;
    case BaseStorage::Int8:
        return model::QuantType::Int8;
    }
    return std::nullopt;
}

model::Transformer Trainer::trainAdapter(const fs::path& init, const LoraOptions& lora)
{
    optimize(loadAdapters(init, lora), "optimizer.safetensors");
    return m_model;
}

ScalarModel& Trainer::trainScalarAdapter(const fs::path& init, const LoraOptions& lora,
                                         std::optional<double> likelihood)
{
    model::NamedTensors trained = loadAdapters(init, lora);
    // The head trains whole, from the resumed checkpoint's, init's (a reward model), or new.
    m_scalar = std::make_unique<ScalarModel>(
        likelihood ? ScalarModel::withLikelihood(m_model, m_modelFolder, *likelihood)
                   : ScalarModel::withBody(m_model, m_modelFolder));
    m_scalar->to(device());
    for (auto& item : m_scalar->head())
        trained.push_back(std::move(item));
    optimize(std::move(trained), "optimizer.safetensors");
    return *m_scalar;
}

model::NamedTensors Trainer::loadAdapters(const fs::path& init, const LoraOptions& lora)
{
    Adapters& adapters = m_adapters.emplace();
    m_modelFolder = m_setup.resumeFrom.empty() ? init : m_setup.resumeFrom;
    // init is a model folder, or a LoRA checkpoint: its base, and its adapter to continue.
    std::optional<model::AdapterFolder> initAdapter;
    adapters.base = init;
    if (model::isAdapterFolder(init)) {
        initAdapter = model::loadAdapter(init);
        adapters.base = model::adapterBaseFolder(init);
    }
    m_model = model::loadTransformer(adapters.base);
    const int64_t baseParameters = m_model->parameterCount();
    for (at::Tensor& parameter : m_model->parameters())
        parameter.set_requires_grad(false);
    // QLoRA: the linear layers quantised on the CPU, so that only their codes reach the device.
    if (const auto type = heldAs(lora.base)) m_model->quantizeLinears(*type, device());
    m_model->to(device());
    m_model->setActivationCheckpointing(m_setup.options.activationCheckpointing);

    if (initAdapter) { // the reference: init's model, its adapter frozen as it was
        adapters.reference = m_model->addAdapter(initAdapter->config, initAdapter->tensors);
        for (auto& [name, tensor] : m_model->adapterTensors(adapters.reference))
            tensor.set_requires_grad(false);
    }
    // What trains: the resumed adapter, init's continued, or a fresh one (drawn from the seed).
    auto continued = [&](model::AdapterFolder folder) {
        folder.config.dropout = lora.adapter.dropout; // this stage's
        return m_model->addAdapter(folder.config, folder.tensors);
    };
    if (!m_setup.resumeFrom.empty())
        adapters.trained = withContext("resuming from " + m_setup.resumeFrom.string(), [&] {
            return continued(model::loadAdapter(m_setup.resumeFrom));
        });
    else if (initAdapter)
        adapters.trained = continued(*initAdapter);
    else
        adapters.trained = m_model->addAdapter(lora.adapter, m_setup.options.seed);
    m_model->setActiveAdapter(adapters.trained);

    const model::LoraConfig& config = m_model->adapterConfig(adapters.trained);
    model::NamedTensors tensors = m_model->adapterTensors(adapters.trained);
    int64_t trained = 0;
    for (const auto& [name, tensor] : tensors)
        trained += tensor.numel();
    char share[64];
    std::snprintf(share, sizeof(share), "%.2f%%", 100.0 * double(trained) / double(baseParameters));
    log(std::string(initAdapter ? "LoRA, continuing init's adapter" : "LoRA") + ": rank " +
        std::to_string(config.rank) + ", alpha " + std::to_string(int64_t(config.alpha)) + " on " +
        joined(config.targetModules) + (config.dora ? ", DoRA" : "") +
        (config.rsLora ? ", rsLoRA" : "") + "; " + std::to_string(trained) +
        " trained parameters (" + share + " of the model's " + std::to_string(baseParameters) +
        "); base " + adapters.base.string() + " held in " +
        std::string(wordOf(baseStorageWords, lora.base)));
    return tensors;
}

std::optional<ScalarModel> Trainer::valueAdapter(const fs::path& source)
{
    if (!m_adapters) return std::nullopt;
    std::error_code error;
    const bool adapter = model::isAdapterFolder(source);
    if (!fs::equivalent(adapter ? model::adapterBaseFolder(source) : source, m_adapters->base,
                        error)) {
        log("value model: " + source.string() + " is not " + (adapter ? "an adapter on " : "") +
            "the policy's base " + m_adapters->base.string() + ": a whole copy of it trains");
        return std::nullopt;
    }
    const model::LoraConfig& policy = m_model->adapterConfig(m_adapters->trained);
    int index = -1;
    if (adapter) {
        model::AdapterFolder folder = model::loadAdapter(source);
        folder.config.dropout = policy.dropout;
        index = m_model->addAdapter(folder.config, folder.tensors);
    } else {
        index = m_model->addAdapter(policy, m_setup.options.seed + 1);
    }
    log("value model: " +
        std::string(adapter ? "the adapter of " + source.string() : "a fresh adapter") +
        " on the policy's base, with " +
        (fs::exists(source / scalarHeadFile) ? "its head" : "a new head"));
    ScalarModel value = ScalarModel::onAdapter(m_model, index, source);
    value.to(device());
    return value;
}

model::Transformer Trainer::reference(const fs::path& init) const
{
    return m_adapters ? m_model : frozen(init);
}

void Trainer::withReference(const std::function<void()>& compute)
{
    if (!m_adapters) return compute();
    // Back to the trained adapter and mode however `compute` ends.
    struct Restore {
        model::TransformerImpl& model;
        int adapter;
        bool training;
        ~Restore()
        {
            model.setActiveAdapter(adapter);
            model.train(training);
        }
    } restore{*m_model, m_model->activeAdapter(), m_model->is_training()};
    m_model->setActiveAdapter(m_adapters->reference);
    m_model->eval();
    compute();
}

} // namespace rlhf::train
