// Models that decoders share. Every decoder of one checkpoint on one device uses the same weights
// in memory, and an adapter checkpoint (LoRA, as PEFT saves it) decodes on its base, loaded once:
// the chat arena can put a base beside base + adapter, or two adapters of one base, at the memory
// cost of one model and the adapters. Each decoder switches its adapter on for its own forward
// passes, one decoder at a time (the model's lock), so decoders on several threads can share.
#pragma once

#include "core/model/transformer.h"

#include <c10/core/Device.h>

#include <filesystem>
#include <memory>
#include <mutex>

namespace rlhf::gen {

struct SharedModel {
    model::Transformer model{nullptr}; // in eval mode; read only under `lock`
    std::mutex lock;
};

// One decoder's view of a shared model: the model and the adapter it computes with (-1: the
// base alone). The adapter is removed from the model when the last copy of the view goes.
class SharedModelView {
public:
    // `folder` on `device`: its model, loaded now unless a live view holds it already; for an
    // adapter folder, its base so (adapter_config.json's base_model_name_or_path) with the
    // adapter added. Throws rlhf::Error naming the folder and file that is wrong.
    static SharedModelView open(const std::filesystem::path& folder, c10::Device device);

    // Runs `compute(model)` with this view's adapter active, holding the model's lock.
    template <typename Compute> auto with(Compute&& compute) const
    {
        std::lock_guard<std::mutex> hold(m_adapter->shared->lock);
        m_adapter->shared->model->setActiveAdapter(m_adapter->index);
        return compute(*m_adapter->shared->model);
    }
    // The shared model, for what does not change with the adapter (config, device).
    model::Transformer handle() const { return m_adapter->shared->model; }

private:
    struct Adapter {
        std::shared_ptr<SharedModel> shared;
        int index = -1;
        ~Adapter();
    };
    std::shared_ptr<Adapter> m_adapter;
};

} // namespace rlhf::gen
