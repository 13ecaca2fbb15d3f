// Online Elo, the Bradley-Terry fit by Hunter's MM iteration, and the bootstrapped leaderboard
// that puts them side by side. Models are indexed in order of first appearance; all tallies are
// dense models x models tables, which is plenty for an arena of tens of checkpoints.
#include "core/eval/ratings.h"

#include "core/util/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>
#include <utility>

namespace rlhf::eval {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

// The matches with models replaced by their index (order of first appearance).
struct IndexedMatches {
    std::vector<std::string> models;
    struct Game {
        int a, b;
        double scoreA;
    };
    std::vector<Game> games;
};

IndexedMatches indexMatches(std::span<const Match> matches)
{
    IndexedMatches indexed;
    std::unordered_map<std::string, int> index;
    auto indexOf = [&](const std::string& model) {
        const auto [it, added] = index.try_emplace(model, int(indexed.models.size()));
        if (added) indexed.models.push_back(model);
        return it->second;
    };
    for (size_t m = 0; m < matches.size(); ++m) {
        const Match& match = matches[m];
        if (!(match.scoreA >= 0.0 && match.scoreA <= 1.0))
            throw Error("ratings: match " + std::to_string(m) + " (" + match.modelA + " vs " +
                        match.modelB + "): scoreA " + std::to_string(match.scoreA) +
                        " is outside 0..1");
        const int a = indexOf(match.modelA), b = indexOf(match.modelB);
        indexed.games.push_back({a, b, match.scoreA});
    }
    return indexed;
}

// Who scored what against whom: score(i, j) = i's wins over j (ties half), games(i, j) = games
// between them (symmetric). A model against itself is left out: it says nothing about how it
// compares with the others.
struct Tally {
    explicit Tally(int models)
        : models(models), scores(size_t(models) * models), counts(size_t(models) * models)
    {
    }
    void add(int a, int b, double scoreA)
    {
        if (a == b) return;
        score(a, b) += scoreA;
        score(b, a) += 1.0 - scoreA;
        games(a, b) += 1.0;
        games(b, a) += 1.0;
    }
    double& score(int i, int j) { return scores[size_t(i) * models + j]; }
    double& games(int i, int j) { return counts[size_t(i) * models + j]; }

    int models;
    std::vector<double> scores, counts;
};

// Bradley-Terry ratings of a tally; NaN for a model that played no games in it.
std::vector<double> fitBradleyTerry(Tally tally, const BradleyTerryOptions& options)
{
    const int n = tally.models;
    // The prior: `priorTies` virtual ties between every two models that met, half a win each.
    if (options.priorTies > 0)
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j)
                if (i != j && tally.games(i, j) > 0) {
                    tally.games(i, j) += options.priorTies;
                    tally.score(i, j) += options.priorTies / 2;
                }

    std::vector<double> rating(n, std::numeric_limits<double>::quiet_NaN());
    std::vector<bool> active(n, false);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            active[i] = active[i] || tally.games(i, j) > 0;

    // A model that won (or lost) every game it has left has no finite maximum-likelihood
    // rating: its strength runs off to infinity. Fix it at +inf / -inf and drop its games,
    // which is the limit the others' likelihood takes; repeat, as dropping can expose more.
    for (bool peeled = true; peeled;) {
        peeled = false;
        std::vector<int> winners, losers;
        for (int i = 0; i < n; ++i) {
            if (!active[i]) continue;
            double won = 0, played = 0;
            for (int j = 0; j < n; ++j)
                if (active[j]) won += tally.score(i, j), played += tally.games(i, j);
            if (played == 0) continue; // no games left: keeps the neutral strength below
            if (won <= 0)
                losers.push_back(i);
            else if (won >= played)
                winners.push_back(i);
        }
        for (const int i : winners)
            rating[i] = infinity, active[i] = false, peeled = true;
        for (const int i : losers)
            rating[i] = -infinity, active[i] = false, peeled = true;
    }

    // Hunter's MM step: p_i <- W_i / sum_j n_ij / (p_i + p_j). Each step raises the likelihood;
    // the strengths are renormalised to geometric mean 1 since only their ratios matter.
    std::vector<int> fitted;
    for (int i = 0; i < n; ++i)
        if (active[i]) fitted.push_back(i);
    std::vector<double> strength(n, 1.0), wins(n, 0.0), next(n, 1.0);
    for (const int i : fitted)
        for (const int j : fitted)
            wins[i] += tally.score(i, j);
    for (int iteration = 0; iteration < options.maxIterations && !fitted.empty(); ++iteration) {
        double logSum = 0;
        for (const int i : fitted) {
            double denominator = 0;
            for (const int j : fitted)
                if (j != i) denominator += tally.games(i, j) / (strength[i] + strength[j]);
            next[i] = denominator > 0 ? wins[i] / denominator : 1.0;
            logSum += std::log(next[i]);
        }
        const double geometricMean = std::exp(logSum / double(fitted.size()));
        double change = 0;
        for (const int i : fitted) {
            next[i] /= geometricMean;
            change = std::max(change, std::abs(next[i] - strength[i]) / strength[i]);
            strength[i] = next[i];
        }
        if (change <= options.tolerance) break;
    }

    // Elo scale, then shifted so the finite ratings average to `center`.
    double sum = 0;
    for (const int i : fitted)
        sum += rating[i] = options.scale * std::log10(strength[i]);
    const double shift = fitted.empty() ? 0.0 : options.center - sum / double(fitted.size());
    for (const int i : fitted)
        rating[i] += shift;
    return rating;
}

Tally tallyOf(const IndexedMatches& indexed)
{
    Tally tally(int(indexed.models.size()));
    for (const auto& game : indexed.games)
        tally.add(game.a, game.b, game.scoreA);
    return tally;
}

// Linear interpolation between order statistics (numpy's default); `sorted` is not empty.
double percentile(const std::vector<double>& sorted, double fraction)
{
    const double position = fraction * double(sorted.size() - 1);
    const size_t below = size_t(std::floor(position));
    const size_t above = std::min(below + 1, sorted.size() - 1);
    const double weight = position - double(below);
    if (weight == 0 || sorted[below] == sorted[above]) return sorted[below];
    // An infinite neighbour (priorTies = 0) would make inf - inf: take the nearer one.
    if (!std::isfinite(sorted[below]) || !std::isfinite(sorted[above]))
        return weight < 0.5 ? sorted[below] : sorted[above];
    return sorted[below] + weight * (sorted[above] - sorted[below]);
}

} // namespace

std::vector<ModelRating> onlineElo(std::span<const Match> matches, const EloOptions& options)
{
    const IndexedMatches indexed = indexMatches(matches);
    std::vector<double> rating(indexed.models.size(), options.initial);
    for (const auto& game : indexed.games) {
        // Both sides move by the same amount in opposite directions: E_B = 1 - E_A.
        const double expectedA =
            1.0 / (1.0 + std::pow(10.0, (rating[game.b] - rating[game.a]) / options.scale));
        const double step = options.k * (game.scoreA - expectedA);
        rating[game.a] += step;
        rating[game.b] -= step;
    }
    std::vector<ModelRating> result;
    for (size_t i = 0; i < indexed.models.size(); ++i)
        result.push_back({indexed.models[i], rating[i]});
    return result;
}

std::vector<ModelRating> bradleyTerry(std::span<const Match> matches,
                                      const BradleyTerryOptions& options)
{
    const IndexedMatches indexed = indexMatches(matches);
    const std::vector<double> rating = fitBradleyTerry(tallyOf(indexed), options);
    std::vector<ModelRating> result;
    for (size_t i = 0; i < indexed.models.size(); ++i)
        // A model seen only against itself has no rating of its own: put it at the centre.
        result.push_back({indexed.models[i], std::isnan(rating[i]) ? options.center : rating[i]});
    return result;
}

std::vector<LeaderboardRow> leaderboard(std::span<const Match> matches,
                                        const LeaderboardOptions& options)
{
    const IndexedMatches indexed = indexMatches(matches);
    const int n = int(indexed.models.size());
    const std::vector<ModelRating> elo = onlineElo(matches, options.elo);
    const std::vector<ModelRating> rating = bradleyTerry(matches, options.bradleyTerry);

    std::vector<LeaderboardRow> rows(n);
    for (int i = 0; i < n; ++i) {
        rows[i].model = indexed.models[i];
        rows[i].elo = elo[i].rating;
        rows[i].rating = rows[i].low = rows[i].high = rating[i].rating;
    }
    for (const auto& game : indexed.games) {
        if (game.a == game.b) continue; // not a battle between two models
        for (const auto& [side, score] :
             {std::pair{game.a, game.scoreA}, std::pair{game.b, 1.0 - game.scoreA}}) {
            LeaderboardRow& row = rows[side];
            ++row.battles;
            if (score > 0.5)
                ++row.wins;
            else if (score < 0.5)
                ++row.losses;
            else
                ++row.ties;
        }
    }

    // The bootstrap: refit on the battles resampled with replacement. The generator is seeded
    // from options.seed, so the same battles and seed always give the same table.
    if (options.bootstrapRounds > 0 && !indexed.games.empty()) {
        std::mt19937_64 generator(options.seed);
        std::uniform_int_distribution<size_t> pick(0, indexed.games.size() - 1);
        std::vector<std::vector<double>> samples(n);
        for (int round = 0; round < options.bootstrapRounds; ++round) {
            Tally tally(n);
            for (size_t draw = 0; draw < indexed.games.size(); ++draw) {
                const auto& game = indexed.games[pick(generator)];
                tally.add(game.a, game.b, game.scoreA);
            }
            const std::vector<double> resampled =
                fitBradleyTerry(std::move(tally), options.bradleyTerry);
            for (int i = 0; i < n; ++i)
                if (!std::isnan(resampled[i])) samples[i].push_back(resampled[i]);
        }
        for (int i = 0; i < n; ++i) {
            if (samples[i].empty()) continue; // never drawn: keep the point estimate
            std::sort(samples[i].begin(), samples[i].end());
            rows[i].low = percentile(samples[i], 0.025);
            rows[i].high = percentile(samples[i], 0.975);
        }
    }

    // Best first; equal ratings by name so the order never depends on the hash map.
    std::stable_sort(rows.begin(), rows.end(),
                     [](const LeaderboardRow& x, const LeaderboardRow& y) {
                         return x.rating != y.rating ? x.rating > y.rating : x.model < y.model;
                     });
    return rows;
}

double scoreOfA(store::Judgment vote)
{
    switch (vote) {
    case store::Judgment::A:
        return 1.0;
    case store::Judgment::B:
        return 0.0;
    case store::Judgment::Tie:
    case store::Judgment::BothBad:
        return 0.5;
    }
    return 0.5;
}

std::vector<Match> matchesOf(std::span<const store::Battle> battles)
{
    std::vector<Match> matches;
    matches.reserve(battles.size());
    for (const auto& battle : battles)
        matches.push_back({battle.modelA, battle.modelB, scoreOfA(battle.vote)});
    return matches;
}

} // namespace rlhf::eval
