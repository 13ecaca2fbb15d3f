#include "core/model/block_checkpoint.h"

#include "core/compat/torch_compat.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace rlhf::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What the backward pass needs besides the saved input: the block and the autocast state.
struct Recompute : torch::CustomClassHolder {
    std::function<at::Tensor(const at::Tensor&)> block;
    std::vector<at::Tensor> parameters;
    bool cpuAutocast = false, cudaAutocast = false;
};

class CheckpointedBlock : public torch::autograd::Function<CheckpointedBlock> {
public:
    // Function::apply runs this with gradients off: nothing inside the block is recorded.
    static at::Tensor forward(AutogradContext* context, const at::Tensor& x,
                              at::TensorList parameters, c10::intrusive_ptr<Recompute> state)
    {
        (void)parameters; // inputs only so that autograd routes their gradients through here
        context->save_for_backward({x});
        const at::Tensor y = state->block(x);
        context->saved_data["state"] = c10::IValue::make_capsule(std::move(state));
        return y;
    }

    static variable_list backward(AutogradContext* context, variable_list outputGrads)
    {
        auto state =
            c10::static_intrusive_pointer_cast<Recompute>(context->saved_data["state"].toCapsule());
        // The engine may run this on another thread: restore the forward's autocast state.
        compat::Autocast cpu(c10::DeviceType::CPU, state->cpuAutocast, at::kBFloat16);
        compat::Autocast cuda(c10::DeviceType::CUDA, state->cudaAutocast, at::kBFloat16);
        at::AutoGradMode gradients(true);
        const at::Tensor x = context->get_saved_variables()[0].detach().requires_grad_(true);
        const at::Tensor y = state->block(x);

        variable_list inputs{x};
        for (const auto& parameter : state->parameters)
            if (parameter.requires_grad()) inputs.push_back(parameter);
        const variable_list grads =
            torch::autograd::grad({y}, inputs, {outputGrads[0]}, /*retain_graph=*/false,
                                  /*create_graph=*/false, /*allow_unused=*/true);
        // One gradient per forward input: x, each parameter (none where it is frozen), state.
        variable_list result{grads[0]};
        size_t next = 1;
        for (const auto& parameter : state->parameters)
            result.push_back(parameter.requires_grad() ? grads[next++] : at::Tensor());
        result.emplace_back();
        return result;
    }
};

} // namespace

at::Tensor checkpointed(std::function<at::Tensor(const at::Tensor&)> block, const at::Tensor& x,
                        const std::vector<at::Tensor>& parameters)
{
    auto state = c10::make_intrusive<Recompute>();
    state->block = std::move(block);
    state->parameters = parameters;
    state->cpuAutocast = compat::autocastEnabled(c10::DeviceType::CPU);
    state->cudaAutocast = compat::autocastEnabled(c10::DeviceType::CUDA);
    // A TensorList (not a vector) so that autograd counts each parameter as an input.
    return CheckpointedBlock::apply(x, at::TensorList(state->parameters), state);
}

} // namespace rlhf::model
