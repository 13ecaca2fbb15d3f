// Gradient averaging overlapped with the backward pass, as PyTorch's DDP reducer does it: the
// parameters are grouped in buckets of about 25 MB in reverse order (the order backward
// produces their gradients in), a hook after each parameter's gradient accumulation counts it
// ready, and a bucket whose gradients are all ready starts its all-reduce at once, while
// backward goes on with earlier layers. Buckets start in index order on every rank, so the
// ranks' collectives pair up whatever order their hooks fire in.
//
//     reducer.arm();                  // the next backward is the step's last
//     loss.backward();                // full buckets start reducing as their gradients land
//     reducer.finish();               // the rest too; waits; .grad = the mean over ranks
//
// A backward that is not armed (an earlier micro-batch of gradient accumulation) only adds to
// .grad; finish() without an armed backward reduces everything then, as a plain all-reduce.
#pragma once

#include "core/dist/communicator.h"

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace rlhf::dist {

class GradientReducer {
public:
    // `parameters`: the trained tensors, in the order the model registers them (forward order).
    GradientReducer(Communicator& communicator, const std::vector<at::Tensor>& parameters,
                    size_t bucketBytes = 25u << 20);
    ~GradientReducer();
    GradientReducer(const GradientReducer&) = delete;
    GradientReducer& operator=(const GradientReducer&) = delete;

    // Reduce during the next backward pass.
    void arm();
    // Starts every bucket not started yet (a parameter without a gradient takes part as zeros),
    // waits for all, and leaves each gradient the mean over the ranks. Disarms.
    void finish();
    // Buckets whose all-reduce started during the last armed backward: how much overlapped.
    int bucketsStartedInBackward() const;
    int bucketCount() const;

private:
    struct State; // shared with the autograd hooks, which may outlive this object
    std::shared_ptr<State> m_state;
    // The parameters' gradient accumulators, which their tensors hold only weakly: kept here,
    // or a hook would go with a dropped accumulator. Not in State, which they hold.
    struct Accumulators;
    std::unique_ptr<Accumulators> m_accumulators;
};

} // namespace rlhf::dist
