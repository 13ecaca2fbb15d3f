// Two samples per prompt, committed pair by pair.
#include "core/train/pair_sampling.h"

#include "core/store/project.h"
#include "core/chat/chat_model.h"
#include "core/train/stage_data.h"

#include <nlohmann/json.hpp>

#include <set>

namespace rlhf::train {

namespace {

std::string promptJsonOf(const std::vector<data::Message>& messages)
{
    auto json = nlohmann::json::array();
    for (const auto& message : messages)
        json.push_back({{"role", message.role}, {"content", message.content}});
    return json.dump();
}

} // namespace

int64_t samplePairs(store::Project& project, const PairSamplingOptions& options,
                    const std::function<void(int64_t)>& onPair, const std::atomic<bool>* stop)
{
    auto& database = project.database();
    const auto prompts =
        loadStagePrompts(database, options.dataset, options.split, "pair sampling");
    std::set<std::string> queuedBefore;
    for (const auto& item : database.comparisonItems()) {
        if (item.source == store::ItemSource::Sampled) queuedBefore.insert(item.origin);
    }
    chat::ChatModel model(project.paths().absolute(options.checkpoint));

    int64_t queued = 0;
    for (size_t i = 0; i < prompts.size() && queued < options.count; ++i) {
        if (stop && *stop) break;
        store::ComparisonItem item;
        item.source = store::ItemSource::Sampled;
        item.origin = options.checkpoint + "#" + options.dataset + ":" + options.split + "#" +
                      std::to_string(i) + "#" + std::to_string(options.sampling.seed);
        if (queuedBefore.count(item.origin)) continue;
        const auto replies = model.replies(prompts[i].messages, 2, options.sampling);
        item.promptJson = promptJsonOf(prompts[i].messages);
        item.responseA = replies.at(0);
        item.responseB = replies.at(1);
        item.modelA = item.modelB = options.checkpoint;
        queued += database.addComparisonItems({&item, 1});
        if (onPair) onPair(queued);
    }
    return queued;
}

} // namespace rlhf::train
