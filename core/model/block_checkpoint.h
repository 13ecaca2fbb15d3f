// Activation checkpointing (gradient checkpointing) for one block of layers: the forward pass
// keeps only the block's input; the backward pass runs the block again, with gradients, and
// takes its gradients from that. Costs one more forward of the block; saves every activation
// inside it. LibTorch's C++ API has no torch.utils.checkpoint, so this is ours.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

namespace rlhf::model {

// y = block(x), differentiable in x and in `parameters` (those that require gradients), with
// nothing of block's inside kept for backward. `block` must compute the same function when it
// runs again (no randomness); it runs again under the autocast state of the first run.
at::Tensor checkpointed(std::function<at::Tensor(const at::Tensor&)> block, const at::Tensor& x,
                        const std::vector<at::Tensor>& parameters);

} // namespace rlhf::model
