#include "core/dist/gradient_reducer.h"

#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <mutex>

namespace rlhf::dist {

struct GradientReducer::State {
    struct Bucket {
        std::vector<size_t> members; // parameter indices, in the order backward reaches them
        size_t ready = 0;            // members whose gradient the armed backward accumulated
        at::Tensor flat;             // their gradients, concatenated, while reducing
        std::unique_ptr<PendingReduction> pending;
    };

    // Runs after a parameter's AccumulateGrad node, when its .grad holds this backward's sum.
    class ReadyHook final : public torch::autograd::FunctionPostHook {
    public:
        ReadyHook(std::shared_ptr<State> state, size_t index)
            : m_state(std::move(state)), m_index(index)
        {
        }
        torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                                  const torch::autograd::variable_list&) override
        {
            m_state->parameterReady(m_index);
            return outputs;
        }

    private:
        std::shared_ptr<State> m_state;
        size_t m_index;
    };

    State(Communicator& communicator_, std::vector<at::Tensor> parameters_)
        : communicator(communicator_), parameters(std::move(parameters_))
    {
    }

    // The hook of parameter `index`: its gradient is final for this backward.
    void parameterReady(size_t index)
    {
        std::lock_guard lock(mutex); // CUDA runs hooks on the autograd engine's device threads
        if (!armed) return;          // an earlier micro-batch: its gradient only accumulates
        Bucket& bucket = buckets[bucketOf[index]];
        if (++bucket.ready < bucket.members.size()) return;
        // Start every full bucket from the next in line: the same order on every rank.
        while (nextToStart < buckets.size() &&
               buckets[nextToStart].ready == buckets[nextToStart].members.size()) {
            start(buckets[nextToStart++]);
            ++startedInBackward;
        }
    }

    void start(Bucket& bucket)
    {
        std::vector<at::Tensor> gradients;
        for (const size_t index : bucket.members) {
            at::Tensor& parameter = parameters[index];
            if (!parameter.grad().defined()) parameter.mutable_grad() = at::zeros_like(parameter);
            gradients.push_back(parameter.grad().reshape(-1));
        }
        bucket.flat = at::cat(gradients);
        bucket.pending = communicator.startAllReduceSum(bucket.flat);
    }

    Communicator& communicator;
    std::vector<at::Tensor> parameters;
    std::vector<Bucket> buckets;
    std::vector<size_t> bucketOf; // parameter index -> bucket
    bool armed = false;
    size_t nextToStart = 0;
    int startedInBackward = 0;
    std::mutex mutex;
};

// A shared_ptr in LibTorch 1.x, an intrusive_ptr in 2.x.
struct GradientReducer::Accumulators {
    std::vector<decltype(torch::autograd::impl::grad_accumulator(at::Tensor()))> nodes;
};

GradientReducer::GradientReducer(Communicator& communicator,
                                 const std::vector<at::Tensor>& parameters, size_t bucketBytes)
    : m_state(std::make_shared<State>(communicator, parameters)),
      m_accumulators(std::make_unique<Accumulators>())
{
    State& state = *m_state;
    state.bucketOf.assign(parameters.size(), 0);
    size_t bytes = 0;
    for (size_t index = parameters.size(); index-- > 0;) {
        const at::Tensor& parameter = parameters[index];
        if (!parameter.requires_grad()) continue;
        const bool fits =
            !state.buckets.empty() && bytes + parameter.nbytes() <= bucketBytes &&
            parameters[state.buckets.back().members.front()].options().type_equal(
                parameter.options()) &&
            parameters[state.buckets.back().members.front()].device() == parameter.device();
        if (!fits) {
            state.buckets.emplace_back();
            bytes = 0;
        }
        state.buckets.back().members.push_back(index);
        state.bucketOf[index] = state.buckets.size() - 1;
        bytes += parameter.nbytes();
        // The accumulator is held weakly by the tensor: keep it, or the hook goes with it.
        auto accumulator = torch::autograd::impl::grad_accumulator(parameter);
        if (!accumulator) throw Error("gradient reducer: a trained tensor is not a leaf");
        accumulator->add_post_hook(std::make_unique<State::ReadyHook>(m_state, index));
        m_accumulators->nodes.push_back(std::move(accumulator));
    }
}

GradientReducer::~GradientReducer()
{
    std::lock_guard lock(m_state->mutex);
    m_state->armed = false; // hooks that outlive the reducer do nothing
}

void GradientReducer::arm()
{
    std::lock_guard lock(m_state->mutex);
    for (auto& bucket : m_state->buckets)
        bucket.ready = 0;
    m_state->nextToStart = 0;
    m_state->startedInBackward = 0;
    m_state->armed = true;
}

void GradientReducer::finish()
{
    State& state = *m_state;
    std::lock_guard lock(state.mutex);
    if (!state.armed) state.nextToStart = 0;
    state.armed = false;
    while (state.nextToStart < state.buckets.size())
        state.start(state.buckets[state.nextToStart++]);
    const double ranks = double(state.communicator.worldSize());
    at::NoGradGuard noGrad;
    for (auto& bucket : state.buckets) {
        bucket.pending->wait();
        bucket.pending.reset();
        bucket.flat.div_(ranks);
        int64_t offset = 0;
        for (const size_t index : bucket.members) {
            at::Tensor gradient = state.parameters[index].mutable_grad();
            gradient.copy_(bucket.flat.narrow(0, offset, gradient.numel()).view_as(gradient));
            offset += gradient.numel();
        }
        bucket.flat.reset();
    }
}

int GradientReducer::bucketsStartedInBackward() const
{
    return m_state->startedInBackward;
}

int GradientReducer::bucketCount() const
{
    return int(m_state->buckets.size());
}

} // namespace rlhf::dist
