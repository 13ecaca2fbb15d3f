// The arena's ratings against hand-computed values: online Elo battle by battle, Bradley-Terry
// on cases with a closed form (and one checked by its likelihood gradient), ties as half wins,
// the virtual-tie prior, and the leaderboard's counts and seeded bootstrap intervals.
#include "core/eval/ratings.h"
#include "core/util/error.h"

#include <QtTest>

#include <cmath>
#include <map>

using rlhf::eval::bradleyTerry;
using rlhf::eval::BradleyTerryOptions;
using rlhf::eval::EloOptions;
using rlhf::eval::leaderboard;
using rlhf::eval::LeaderboardOptions;
using rlhf::eval::Match;
using rlhf::eval::onlineElo;

namespace {

bool near(double actual, double expected, double tolerance = 1e-6)
{
    return std::abs(actual - expected) <= tolerance;
}

// `count` copies of one result.
void play(std::vector<Match>& matches, const char* a, const char* b, double scoreA, int count = 1)
{
    for (int i = 0; i < count; ++i)
        matches.push_back({a, b, scoreA});
}

// X beats Y 6-3 with a tie, Y beats Z 7-3, X beats Z 8-2, interleaved so no model's battles
// come in one block.
std::vector<Match> threeModelArena()
{
    std::vector<Match> matches;
    for (int round = 0; round < 10; ++round) {
        play(matches, "X", "Y", round < 6 ? 1.0 : round < 9 ? 0.0 : 0.5);
        play(matches, "Z", "Y", round < 3 ? 1.0 : 0.0);
        play(matches, "X", "Z", round < 8 ? 1.0 : 0.0);
    }
    return matches;
}

} // namespace

class TestRatings : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eloTwoBattles()
    {
        std::vector<Match> matches;
        play(matches, "A", "B", 1.0);
        // Both start at 1000, so E_A = 1 / (1 + 10^0) = 0.5: A = 1000 + 4 * (1 - 0.5) = 1002,
        // B = 1000 + 4 * (0 - 0.5) = 998.
        auto ratings = onlineElo(matches);
        QCOMPARE(ratings.size(), size_t(2));
        QCOMPARE(ratings[0].model, std::string("A"));
        QVERIFY(near(ratings[0].rating, 1002.0, 1e-12));
        QVERIFY(near(ratings[1].rating, 998.0, 1e-12));
        // Then B beats A: E_A = 1 / (1 + 10^((998 - 1002) / 400)) = 1 / (1 + 10^-0.01)
        // = 1 / 1.9772372 = 0.50575621; A = 1002 - 4 * 0.50575621 = 999.97697517,
        // B = 998 + 4 * 0.50575621 = 1000.02302483.
        play(matches, "B", "A", 1.0);
        ratings = onlineElo(matches);
        QVERIFY(near(ratings[0].rating, 999.97697517));
        QVERIFY(near(ratings[1].rating, 1000.02302483));

        // With k = 32, scale 400, start 1500: a tie between equals moves nobody, and a win
        // moves 32 * 0.5 = 16 points each way. Models are listed by first appearance.
        std::vector<Match> other;
        play(other, "C", "D", 0.5);
        play(other, "E", "C", 1.0);
        const auto ratings32 = onlineElo(other, EloOptions{.k = 32, .initial = 1500});
        QCOMPARE(ratings32.size(), size_t(3));
        QCOMPARE(ratings32[2].model, std::string("E"));
        QVERIFY(near(ratings32[0].rating, 1484.0, 1e-12)); // C
        QVERIFY(near(ratings32[1].rating, 1500.0, 1e-12)); // D
        QVERIFY(near(ratings32[2].rating, 1516.0, 1e-12)); // E
    }

    void bradleyTerryTwoModels()
    {
        std::vector<Match> matches;
        play(matches, "A", "B", 1.0, 3);
        play(matches, "B", "A", 1.0);
        // The maximum-likelihood p_A / p_B is the win ratio 3 / 1, so R_A - R_B = 400 log10 3
        // = 190.848502; centred on 1000: A = 1000 + 95.424251, B = 1000 - 95.424251.
        const auto ratings = bradleyTerry(matches);
        QCOMPARE(ratings.size(), size_t(2));
        QVERIFY(near(ratings[0].rating - ratings[1].rating, 190.848502));
        QVERIFY(near(ratings[0].rating, 1095.424251));
        QVERIFY(near(ratings[1].rating, 904.575749));
    }

    void bradleyTerryThreeModelsClosedForm()
    {
        // Results exactly as strengths 4 : 2 : 1 predict: A-B 2:1 (4/6 = 2/3), A-C 4:1
        // (4/5), B-C 2:1 (2/3). The likelihood equations W_i = sum_j n_ij p_i / (p_i + p_j)
        // hold there (A: 6 = 3 * 4/6 + 5 * 4/5; B: 3 = 3 * 2/6 + 3 * 2/3; C: 2 = 5/5 + 3/3),
        // so ratings are 400 log10 (4, 2, 1) = (240.824, 120.412, 0), mean 120.412, centred:
        // A = 1120.411998, B = 1000, C = 879.588002.
        std::vector<Match> matches;
        play(matches, "A", "B", 1.0, 2);
        play(matches, "A", "B", 0.0, 1);
        play(matches, "C", "A", 0.0, 4);
        play(matches, "C", "A", 1.0, 1);
        play(matches, "B", "C", 1.0, 2);
        play(matches, "B", "C", 0.0, 1);
        const auto ratings = bradleyTerry(matches);
        QCOMPARE(ratings.size(), size_t(3));
        QCOMPARE(ratings[2].model, std::string("C"));
        QVERIFY(near(ratings[0].rating, 1120.411998));
        QVERIFY(near(ratings[1].rating, 1000.0));
        QVERIFY(near(ratings[2].rating, 879.588002));
    }

    void bradleyTerryGradientVanishes()
    {
        // A cycle with no closed form: A beats B 5-2, B beats C 4-3 (and a tie), C beats A 3-1.
        // At the maximum the log-likelihood's gradient in R_i is proportional to
        // sum_j (s_ij - n_ij P(i beats j)): observed score = expected score, for every model.
        std::vector<Match> matches;
        play(matches, "A", "B", 1.0, 5);
        play(matches, "A", "B", 0.0, 2);
        play(matches, "B", "C", 1.0, 4);
        play(matches, "B", "C", 0.0, 3);
        play(matches, "B", "C", 0.5, 1);
        play(matches, "C", "A", 1.0, 3);
        play(matches, "C", "A", 0.0, 1);
        const auto ratings = bradleyTerry(matches);
        std::map<std::string, double> rating;
        for (const auto& [model, value] : ratings)
            rating[model] = value;
        std::map<std::string, double> gradient;
        for (const auto& match : matches) {
            const double expectedA =
                1.0 / (1.0 + std::pow(10.0, (rating[match.modelB] - rating[match.modelA]) / 400));
            gradient[match.modelA] += match.scoreA - expectedA;
            gradient[match.modelB] -= match.scoreA - expectedA;
        }
        for (const auto& [model, value] : gradient)
            QVERIFY2(std::abs(value) < 1e-7, qPrintable(QString::fromStdString(model)));
        QVERIFY(near((rating["A"] + rating["B"] + rating["C"]) / 3, 1000.0, 1e-9));
        QVERIFY(rating["A"] != rating["B"] && rating["B"] != rating["C"]); // not a trivial fit
    }

    void tiesAreHalfWins()
    {
        // A wins once and ties twice: W_A = 1 + 2 * 0.5 = 2, W_B = 1, the same as A winning 2
        // of 3, so R_A - R_B = 400 log10 2 = 120.411998.
        std::vector<Match> withTies, withoutTies;
        play(withTies, "A", "B", 1.0);
        play(withTies, "B", "A", 0.5, 2);
        play(withoutTies, "A", "B", 1.0, 2);
        play(withoutTies, "A", "B", 0.0, 1);
        const auto tied = bradleyTerry(withTies), won = bradleyTerry(withoutTies);
        QVERIFY(near(tied[0].rating - tied[1].rating, 120.411998));
        QVERIFY(near(tied[0].rating, won[0].rating, 1e-9));
        QVERIFY(near(tied[1].rating, won[1].rating, 1e-9));
    }

    void priorTiesKeepAnUnbeatenModelFinite()
    {
        std::vector<Match> matches;
        play(matches, "A", "B", 1.0, 3);
        // Plain maximum likelihood: A never lost, so its strength runs off to infinity.
        const auto plain = bradleyTerry(matches);
        QVERIFY(std::isinf(plain[0].rating) && plain[0].rating > 0);
        QVERIFY(std::isinf(plain[1].rating) && plain[1].rating < 0);
        // One virtual tie: W_A = 3 + 0.5, W_B = 0.5 over 4 games, p_A / p_B = 7,
        // R_A - R_B = 400 log10 7 = 338.039216; centred: A = 1169.019608, B = 830.980392.
        const auto prior = bradleyTerry(matches, BradleyTerryOptions{.priorTies = 1.0});
        QVERIFY(near(prior[0].rating, 1169.019608));
        QVERIFY(near(prior[1].rating, 830.980392));

        // Unbeaten A over B and C, who split their two games: A is +inf, and B and C, fitted on
        // their own games, are equal and centred on 1000.
        play(matches, "B", "C", 1.0);
        play(matches, "C", "B", 1.0);
        play(matches, "A", "C", 1.0);
        const auto peeled = bradleyTerry(matches);
        QVERIFY(std::isinf(peeled[0].rating) && peeled[0].rating > 0);
        QVERIFY(near(peeled[1].rating, 1000.0, 1e-9));
        QVERIFY(near(peeled[2].rating, 1000.0, 1e-9));
    }

    void badScoreRefused()
    {
        std::vector<Match> matches;
        play(matches, "A", "B", 1.5);
        QVERIFY_THROWS_EXCEPTION(rlhf::Error, bradleyTerry(matches));
        QVERIFY_THROWS_EXCEPTION(rlhf::Error, onlineElo(matches));
    }

    void leaderboardCountsAndOrder()
    {
        auto matches = threeModelArena();
        play(matches, "X", "X", 1.0); // a model against itself is no battle
        const LeaderboardOptions options{.bootstrapRounds = 200, .seed = 7};
        const auto rows = leaderboard(matches, options);
        QCOMPARE(rows.size(), size_t(3));
        QCOMPARE(rows[0].model, std::string("X"));
        QCOMPARE(rows[1].model, std::string("Y"));
        QCOMPARE(rows[2].model, std::string("Z"));
        // X: vs Y 6 W 3 L 1 T, vs Z 8 W 2 L. Y: vs X 3 W 6 L 1 T, vs Z 7 W 3 L.
        // Z: vs Y 3 W 7 L, vs X 2 W 8 L.
        QCOMPARE(rows[0].battles, int64_t(20));
        QCOMPARE(rows[0].wins, int64_t(14));
        QCOMPARE(rows[0].losses, int64_t(5));
        QCOMPARE(rows[0].ties, int64_t(1));
        QCOMPARE(rows[1].battles, int64_t(20));
        QCOMPARE(rows[1].wins, int64_t(10));
        QCOMPARE(rows[1].losses, int64_t(9));
        QCOMPARE(rows[1].ties, int64_t(1));
        QCOMPARE(rows[2].battles, int64_t(20));
        QCOMPARE(rows[2].wins, int64_t(5));
        QCOMPARE(rows[2].losses, int64_t(15));
        QCOMPARE(rows[2].ties, int64_t(0));

        // The columns are the two fits: Bradley-Terry with the options' prior, Elo in order.
        const auto fitted = bradleyTerry(matches, options.bradleyTerry);
        const auto elo = onlineElo(matches, options.elo);
        for (const auto& row : rows) {
            for (const auto& rating : fitted)
                if (rating.model == row.model) QVERIFY(near(row.rating, rating.rating, 1e-12));
            for (const auto& rating : elo)
                if (rating.model == row.model) QVERIFY(near(row.elo, rating.rating, 1e-12));
        }
        QVERIFY(leaderboard(std::vector<Match>{}).empty());
    }

    void bootstrapIntervals()
    {
        const auto matches = threeModelArena();
        const LeaderboardOptions options{.bootstrapRounds = 300, .seed = 11};
        const auto rows = leaderboard(matches, options);
        for (const auto& row : rows) {
            QVERIFY(row.low < row.rating && row.rating < row.high);
            QVERIFY(row.high - row.low > 20); // 20 battles a model: wide
        }
        // The same seed, the same table; another seed, other intervals.
        const auto again = leaderboard(matches, options);
        const auto reseeded =
            leaderboard(matches, LeaderboardOptions{.bootstrapRounds = 300, .seed = 12});
        for (size_t i = 0; i < rows.size(); ++i) {
            QCOMPARE(again[i].low, rows[i].low);
            QCOMPARE(again[i].high, rows[i].high);
        }
        QVERIFY(reseeded[0].low != rows[0].low || reseeded[0].high != rows[0].high);

        // Four times the battles, the same shares: the point estimates barely move (only the
        // prior's weight shrinks) and each interval is clearly narrower (about half as wide).
        std::vector<Match> more;
        for (int copy = 0; copy < 4; ++copy)
            more.insert(more.end(), matches.begin(), matches.end());
        const auto narrower = leaderboard(more, options);
        for (size_t i = 0; i < rows.size(); ++i) {
            QCOMPARE(narrower[i].model, rows[i].model);
            QVERIFY(narrower[i].low < narrower[i].rating && narrower[i].rating < narrower[i].high);
            QVERIFY(narrower[i].high - narrower[i].low < 0.7 * (rows[i].high - rows[i].low));
        }
    }
};

QTEST_APPLESS_MAIN(TestRatings)
#include "test_ratings.moc"
