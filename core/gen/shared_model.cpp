// The process's shared decoding models (see shared_model.h): a table of the live ones by folder
// and device, each entry weak so that a model goes when its last decoder does.
#include "core/gen/shared_model.h"

#include "core/model/checkpoint.h"
#include "core/model/hf_config.h"
#include "core/model/peft_adapter.h"

#include <map>
#include <string>

namespace rlhf::gen {

namespace fs = std::filesystem;

namespace {

std::shared_ptr<SharedModel> sharedModel(const fs::path& folder, c10::Device device)
{
    static std::mutex tableLock;
    static std::map<std::string, std::weak_ptr<SharedModel>> table;
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(folder, error);
    const std::string key = (error ? folder : canonical).string() + "@" + device.str();
    // Loads under the table's lock: a second decoder of the same folder waits for the first's
    // model instead of loading its own.
    std::lock_guard<std::mutex> hold(tableLock);
    if (auto live = table[key].lock()) return live;
    auto shared = std::make_shared<SharedModel>();
    shared->model = model::loadTransformer(folder);
    shared->model->eval();
    shared->model->to(device);
    table[key] = shared;
    for (auto entry = table.begin(); entry != table.end();)
        entry = entry->second.expired() ? table.erase(entry) : std::next(entry);
    return shared;
}

} // namespace

SharedModelView SharedModelView::open(const fs::path& folder, c10::Device device)
{
    SharedModelView view;
    view.m_adapter = std::make_shared<Adapter>();
    if (!model::isAdapterFolder(folder)) {
        view.m_adapter->shared = sharedModel(folder, device);
        return view;
    }
    const model::AdapterFolder adapter = model::loadAdapter(folder);
    view.m_adapter->shared = sharedModel(model::adapterBaseFolder(folder), device);
    SharedModel& shared = *view.m_adapter->shared;
    std::lock_guard<std::mutex> hold(shared.lock);
    view.m_adapter->index = shared.model->addAdapter(adapter.config, adapter.tensors);
    return view;
}

SharedModelView::Adapter::~Adapter()
{
    if (index < 0 || !shared) return;
    std::lock_guard<std::mutex> hold(shared->lock);
    shared->model->removeAdapter(index);
}

} // namespace rlhf::gen
