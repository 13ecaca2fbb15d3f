// The language-model loss without the full logits: cross-entropy of softmax(hidden @ weight^T)
// against target tokens, computed a chunk of rows at a time. A (rows, vocab) logits tensor in
// fp32 is the largest activation of a training step (2048 rows x 152k vocabulary is 1.2 GB) and
// the plain loss reads and writes it five times over; here each chunk's logits live only while
// that chunk is worked on.
//
// In a forward with gradients, each chunk's gradients for hidden and weight are computed at
// once (softmax minus the one-hot target, times the chunk): the loss is a scalar, so backward
// only scales them by the incoming gradient. Same FLOPs as the plain loss, no logits kept.
#pragma once

#include <ATen/core/Tensor.h>

namespace rlhf::model {

class TransformerImpl;

// sum_i rowWeights[i] * -log softmax(hidden[i] @ weight^T)[targets[i]], as an fp32 scalar.
// hidden (N, dim), weight (vocab, dim), targets (N) int64 in [0, vocab); rowWeights (N) float,
// or undefined for all ones (a weight of 0 leaves a row out). Differentiable in hidden and
// weight. Under autocast the products run in the autocast type, the softmax in fp32.
at::Tensor linearCrossEntropy(const at::Tensor& hidden, const at::Tensor& weight,
                              const at::Tensor& targets, const at::Tensor& rowWeights = {});

// Mean cross-entropy of predicting windows[:, 1:] from windows[:, :-1]; windows (B, T + 1)
// int64. Pretraining's loss (and its benchmark's).
at::Tensor nextTokenLoss(TransformerImpl& model, const at::Tensor& windows);

} // namespace rlhf::model
