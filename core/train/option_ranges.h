// The allowed range of every numeric field of the stage documents, in one table. The document
// readers check each field against it as they read it (before the value is stored, so 2^63
// steps is refused rather than wrapped), the CLI's options that set the same values take their
// limits from it, and so does the studio's stage wizard: the three cannot drift apart.
// Relations between fields (min_lr <= lr, heads dividing dim, ...) stay with each block's checks.
// Integer seeds have no entry: any 64-bit unsigned integer is a seed, and the readers refuse
// one that does not fit (JsonReader; app/cli/number_options.h for the CLI).
#pragma once

#include "core/util/value_range.h"

namespace rlhf::train::ranges {

constexpr double most = 1e9; // steps, intervals, counts: far above any real run, far below 2^63

// "optimizer": lr only has to be finite and above 0 (a diverging lr is a run-time matter).
inline constexpr ValueRange lr{0, 1e9, Bound::Open};
inline constexpr ValueRange minLr{0, 1e9};
inline constexpr ValueRange warmupSteps{0, most};
inline constexpr ValueRange beta{0, 1, Bound::Closed, Bound::Open}; // beta1, beta2
inline constexpr ValueRange eps{0, 1, Bound::Open};
inline constexpr ValueRange weightDecay{0, 10};
inline constexpr ValueRange gradClip{0, 1e6}; // 0 turns clipping off

// "training"
inline constexpr ValueRange steps{1, most};
inline constexpr ValueRange batchSize{1, 65536};
inline constexpr ValueRange gradAccumulation{1, 65536};
inline constexpr ValueRange threads{0, 1024}; // 0 = all cores
inline constexpr ValueRange logEvery{1, most};
inline constexpr ValueRange evalEvery{0, most};       // 0 = only at the end
inline constexpr ValueRange checkpointEvery{0, most}; // 0 = only at the end
inline constexpr ValueRange evalBatches{1, 1e6};

// "model" of a pretrain document (the shape's own consistency: ModelConfig::validate)
inline constexpr ValueRange vocabSize{1, 1 << 24};
inline constexpr ValueRange contextLength{1, 1 << 20};
inline constexpr ValueRange layers{1, 1024};
inline constexpr ValueRange heads{1, 1024};
inline constexpr ValueRange kvHeads{0, 1024}; // 0 = heads
inline constexpr ValueRange dim{1, 65536};
inline constexpr ValueRange ffnDim{0, 1 << 20}; // 0 = the flavour's default
inline constexpr ValueRange normEps{0, 1, Bound::Open};
inline constexpr ValueRange ropeTheta{0, 1e12, Bound::Open};
inline constexpr ValueRange initStd{0, 10, Bound::Open};

// fine-tuning stages: sft, reward, dpo, ppo, grpo
inline constexpr ValueRange maxLength{0, 1 << 20}; // 0 = the model's context
inline constexpr ValueRange valFraction{0, 1, Bound::Closed, Bound::Open};
inline constexpr ValueRange loraRank{1, 4096};
inline constexpr ValueRange loraAlpha{0, 1e6, Bound::Open};
inline constexpr ValueRange loraDropout{0, 1, Bound::Closed, Bound::Open};
inline constexpr ValueRange dpoBeta{0, 1e3, Bound::Open};
inline constexpr ValueRange likelihoodInit{-1e3, 1e3}; // reward_model.likelihood_init
inline constexpr ValueRange probePrompts{1, 1e6};      // on_policy.prompts
inline constexpr ValueRange probeSamples{2, 1024};     // on_policy.samples: a pair needs two

// ppo and grpo
inline constexpr ValueRange rewardWeight{-1e3, 1e3}; // reward.model_weight, missing_eos_penalty
inline constexpr ValueRange lcbK{0, 100};            // reward.lcb_k
inline constexpr ValueRange rewardClip{0, 1e6};      // reward.clip; 0 = off
inline constexpr ValueRange rolloutTokens{1, 65536};
inline constexpr ValueRange rolloutTemperature{0, 100, Bound::Open}; // rollouts sample
inline constexpr ValueRange topK{0, 1 << 20};                        // 0 = off
inline constexpr ValueRange topP{0, 1, Bound::Open};
inline constexpr ValueRange groupSize{1, 1024}; // >= 2 but for reinforce++ (rl_config.cpp)
inline constexpr ValueRange klCoef{0, 100};
inline constexpr ValueRange klTarget{0, 1e6}; // 0 = a fixed coefficient
inline constexpr ValueRange klHorizon{0, 1e12, Bound::Open};
inline constexpr ValueRange epochs{1, 100};
inline constexpr ValueRange minibatchSize{0, most}; // 0 = the whole batch
inline constexpr ValueRange clipRange{0, 10, Bound::Open};
inline constexpr ValueRange clipRangeSide{0, 10}; // clip_range_low / _high; 0 = clip_range
inline constexpr ValueRange valueLr{0, 1e9};      // 0 = the policy's lr
inline constexpr ValueRange valueClipRange{0, 1e6, Bound::Open};
inline constexpr ValueRange discount{0, 1}; // gamma, lambda
inline constexpr ValueRange ptxCoef{0, 1e3};
inline constexpr ValueRange evalPrompts{0, most};

} // namespace rlhf::train::ranges
