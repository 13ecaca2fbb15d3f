// The labeling pane's sampler thread over train::samplePairs.
#include "widgets/labeling/pairsampler.h"

#include "core/store/project.h"
#include "core/train/pair_sampling.h"

namespace rlhf::widgets {

void PairSampler::sample(const PairSamplingRequest& request)
{
    m_stop = false;
    try {
        auto project = store::Project::open(request.project.toStdString());
        train::PairSamplingOptions options;
        options.checkpoint = request.checkpoint.toStdString();
        options.dataset = request.dataset.toStdString();
        if (!request.split.isEmpty()) options.split = request.split.toStdString();
        options.count = request.count;
        options.sampling.temperature = request.temperature;
        options.sampling.maxNewTokens = request.maxNewTokens;
        options.sampling.seed = request.seed;
        const auto queued = train::samplePairs(
            project, options, [&](int64_t soFar) { Q_EMIT pairQueued(soFar, request.count); },
            &m_stop);
        Q_EMIT finished(queued);
    } catch (const std::exception& error) {
        Q_EMIT failed(QString::fromStdString(error.what()));
    }
}

} // namespace rlhf::widgets
