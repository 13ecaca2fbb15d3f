// The arena leaderboard: ratings of models from pairwise battles, as LMSYS Chatbot Arena
// computes them. Online Elo (order-dependent, updated battle by battle) and a Bradley-Terry
// maximum-likelihood fit (order-free) with bootstrap 95% intervals. Both on the Elo scale:
// P(i beats j) = 1 / (1 + 10^((R_j - R_i) / 400)). A tie counts as half a win for each side.
// Qt-free and torch-free.
#pragma once

#include "core/store/label_records.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rlhf::eval {

struct Match {
    std::string modelA, modelB;
    double scoreA = 0.5; // 1: A won, 0: B won, 0.5: tie (or both bad)
};

// The arena's votes as matches: A won scores 1, B won 0, a tie or "both bad" 0.5.
double scoreOfA(store::Judgment vote);
std::vector<Match> matchesOf(std::span<const store::Battle> battles);

struct EloOptions {
    double k = 4.0;          // step size per battle (LMSYS uses 4)
    double initial = 1000.0; // everyone's starting rating
    double scale = 400.0;
};

// Ratings after playing `matches` in order, one per model, in order of first appearance.
struct ModelRating {
    std::string model;
    double rating = 0;
};
std::vector<ModelRating> onlineElo(std::span<const Match> matches, const EloOptions& options = {});

struct BradleyTerryOptions {
    double scale = 400.0;
    double center = 1000.0; // the ratings' mean is moved here
    int maxIterations = 10000;
    double tolerance = 1e-10; // stop when no strength changes by more than this (relative)
    // Virtual ties each model plays against every other model it met, so a model that never
    // lost still gets a finite rating. 0 = plain maximum likelihood (diverges then).
    double priorTies = 0.0;
};

// Bradley-Terry ratings fitted by Hunter's (2004) MM iteration, in order of first appearance.
// A model whose games are all won or all lost with priorTies = 0 gets +inf / -inf.
std::vector<ModelRating> bradleyTerry(std::span<const Match> matches,
                                      const BradleyTerryOptions& options = {});

struct LeaderboardOptions {
    EloOptions elo;
    BradleyTerryOptions bradleyTerry{.priorTies = 0.5};
    int bootstrapRounds = 1000; // resamples of the battles, with replacement
    uint64_t seed = 42;         // the resampling is seeded: the same battles, the same table
};

struct LeaderboardRow {
    std::string model;
    double elo = 0;           // online Elo, battles in the given order
    double rating = 0;        // Bradley-Terry on all battles
    double low = 0, high = 0; // bootstrap 2.5% and 97.5% percentiles of it
    int64_t battles = 0, wins = 0, losses = 0, ties = 0;
};

// One row per model, best Bradley-Terry rating first.
std::vector<LeaderboardRow> leaderboard(std::span<const Match> matches,
                                        const LeaderboardOptions& options = {});

} // namespace rlhf::eval
