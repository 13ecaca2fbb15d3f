// Two samples per prompt from one checkpoint, committed pair by pair.
#include "widgets/pairsampler.h"

#include "core/store/database.h"
#include "core/store/project.h"
#include "core/train/chat_model.h"
#include "core/train/stage_data.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace rlhf::widgets {

namespace {

std::string promptJsonOf(const std::vector<data::Message>& messages)
{
    auto json = nlohmann::json::array();
    for (const auto& message : messages)
        json.push_back({{"role", message.role}, {"content", message.content}});
    return json.dump();
}

} // namespace

void PairSampler::sample(const PairSamplingRequest& request)
{
    m_stop = false;
    qint64 queued = 0;
    try {
        const store::ProjectPaths paths(request.project.toStdString());
        store::Database database(paths.database(), store::OpenMode::ExistingOnly);
        const std::string checkpoint = request.checkpoint.toStdString();
        const std::string dataset = request.dataset.toStdString();
        const std::string split = request.split.isEmpty() ? "train" : request.split.toStdString();
        const auto prompts = train::loadStagePrompts(database, dataset, split, "prompts");
        train::ChatModel model(paths.absolute(checkpoint));

        std::set<std::string> queuedBefore;
        for (const auto& item : database.comparisonItems()) {
            if (item.source == store::ItemSource::Sampled) queuedBefore.insert(item.origin);
        }

        train::ChatSettings settings;
        settings.temperature = float(request.temperature);
        settings.maxNewTokens = request.maxNewTokens;
        settings.seed = request.seed;
        for (size_t i = 0; i < prompts.size() && queued < request.count && !m_stop; ++i) {
            store::ComparisonItem item;
            item.source = store::ItemSource::Sampled;
            item.origin = checkpoint + "#" + dataset + ":" + split + "#" + std::to_string(i) + "#" +
                          std::to_string(request.seed);
            if (queuedBefore.count(item.origin)) continue;
            const auto replies = model.replies(prompts[i].messages, 2, settings);
            item.promptJson = promptJsonOf(prompts[i].messages);
            item.responseA = replies.at(0);
            item.responseB = replies.at(1);
            item.modelA = item.modelB = checkpoint;
            queued += database.addComparisonItems({&item, 1});
            Q_EMIT pairQueued(queued, request.count);
        }
        Q_EMIT finished(queued);
    } catch (const std::exception& error) {
        Q_EMIT failed(QString::fromStdString(error.what()));
    }
}

} // namespace rlhf::widgets
