// Cohen's and Fleiss' kappa against values worked out by hand (textbook tables and small cases
// whose arithmetic is written beside them), and the labels' agreement report.
#include "core/eval/agreement.h"
#include "core/util/error.h"

#include <QtTest>

#include <cmath>

using rlhf::eval::agreementOf;
using rlhf::eval::cohensKappa;
using rlhf::eval::fleissKappa;
using rlhf::store::Judgment;
using rlhf::store::Label;

namespace {

bool near(std::optional<double> actual, double expected, double tolerance = 1e-12)
{
    return actual && std::abs(*actual - expected) <= tolerance;
}

// Two raters' categories (0 = yes, 1 = no) for the cells of a 2x2 table, item by item.
void fillTable(std::vector<int>& first, std::vector<int>& second, int yesYes, int yesNo, int noYes,
               int noNo)
{
    auto add = [&](int count, int a, int b) {
        for (int i = 0; i < count; ++i)
            first.push_back(a), second.push_back(b);
    };
    add(yesYes, 0, 0);
    add(yesNo, 0, 1);
    add(noYes, 1, 0);
    add(noNo, 1, 1);
}

Label label(rlhf::store::Id item, const char* annotator, Judgment judgment)
{
    Label result;
    result.item = item;
    result.annotator = annotator;
    result.judgment = judgment;
    return result;
}

} // namespace

class TestAgreement : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cohensKappaTextbook()
    {
        // Wikipedia's example: 50 proposals, A and B both yes 20, A yes B no 5, A no B yes 10,
        // both no 15. po = (20 + 15) / 50 = 0.7; A says yes 25/50 = 0.5, B 30/50 = 0.6;
        // pe = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
        std::vector<int> first, second;
        fillTable(first, second, 20, 5, 10, 15);
        QVERIFY(near(cohensKappa(first, second, 2), 0.4));
        QVERIFY(near(cohensKappa(second, first, 2), 0.4)); // symmetric
        // A third, unused category changes nothing: it adds 0 * 0 to pe.
        QVERIFY(near(cohensKappa(first, second, 3), 0.4));
    }

    void cohensKappaPerfectAndChance()
    {
        // Identical ratings over 3 categories: po = 1, pe = 3 * (1/3)^2 = 1/3, kappa = 1.
        const std::vector<int> ratings = {0, 1, 2, 0, 1, 2};
        QVERIFY(near(cohensKappa(ratings, ratings, 3), 1.0));
        // Independent-looking: po = 2/4 = 0.5, both raters 50/50 so pe = 0.25 + 0.25 = 0.5,
        // kappa = 0.
        const std::vector<int> first = {0, 0, 1, 1}, second = {0, 1, 0, 1};
        QVERIFY(near(cohensKappa(first, second, 2), 0.0));
        // Always disagreeing: po = 0, pe = 0.5, kappa = (0 - 0.5) / 0.5 = -1.
        const std::vector<int> flipped = {1, 1, 0, 0};
        QVERIFY(near(cohensKappa(first, flipped, 2), -1.0));
    }

    void cohensKappaUndefined()
    {
        const std::vector<int> none;
        QVERIFY(!cohensKappa(none, none, 4)); // no items
        // Both always answer category 2: pe = 1 * 1 = 1, kappa = 0 / 0.
        const std::vector<int> same = {2, 2, 2};
        QVERIFY(!cohensKappa(same, same, 4));
        // Both constant but different: po = 0, pe = 1 * 0 + 0 * 1 = 0, kappa = 0 (defined).
        const std::vector<int> other = {1, 1, 1};
        QVERIFY(near(cohensKappa(same, other, 4), 0.0));
        const std::vector<int> shorter = {2, 2};
        QVERIFY_THROWS_EXCEPTION(rlhf::Error, cohensKappa(same, shorter, 4));
        QVERIFY_THROWS_EXCEPTION(rlhf::Error, cohensKappa(same, same, 2)); // 2 is out of range
    }

    void fleissKappaTextbook()
    {
        // Wikipedia's example: 10 items, 14 raters each, 5 categories.
        const std::vector<std::vector<int64_t>> counts = {
            {0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
            {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
        // Column totals 20, 28, 39, 21, 32 of 140 ratings:
        // Pe = (20^2 + 28^2 + 39^2 + 21^2 + 32^2) / 140^2 = 4170 / 19600.
        // P_i = (sum_j n_ij^2 - 14) / (14 * 13); the numerators are 182, 46, 56, 80, 60, 84, 44,
        // 32, 52, 52, summing to 688, so Pbar = 688 / 1820.
        // kappa = (688/1820 - 4170/19600) / (1 - 4170/19600) = 0.20993 (Wikipedia: 0.210).
        const double pbar = 688.0 / 1820.0, pe = 4170.0 / 19600.0;
        QVERIFY(near(fleissKappa(counts), (pbar - pe) / (1 - pe)));
        QVERIFY(near(fleissKappa(counts), 0.210, 5e-4));
    }

    void fleissKappaVariableRaters()
    {
        // 2 categories, items rated by 2, 3, 4 and 1 raters; the last is ignored.
        //   {2, 0}: n = 2, P = (4 - 2) / (2 * 1) = 1
        //   {1, 2}: n = 3, P = (1 + 4 - 3) / (3 * 2) = 1/3
        //   {2, 2}: n = 4, P = (4 + 4 - 4) / (4 * 3) = 1/3
        // Pbar = (1 + 1/3 + 1/3) / 3 = 5/9. Totals 5 and 4 of 9 ratings: Pe = 25/81 + 16/81 =
        // 41/81. kappa = (45/81 - 41/81) / (40/81) = 0.1.
        const std::vector<std::vector<int64_t>> counts = {{2, 0}, {1, 2}, {2, 2}, {1, 0}};
        QVERIFY(near(fleissKappa(counts), 0.1));
    }

    void fleissKappaUndefined()
    {
        QVERIFY(!fleissKappa({}));
        QVERIFY(!fleissKappa({{1, 0}, {0, 1}})); // no item has 2 ratings
        QVERIFY(!fleissKappa({{3, 0}, {2, 0}})); // one category only: Pe = 1
        // Perfect agreement on two categories: Pbar = 1, Pe = 0.5, kappa = 1.
        QVERIFY(near(fleissKappa({{3, 0}, {0, 3}}), 1.0));
        QVERIFY_THROWS_EXCEPTION(rlhf::Error, fleissKappa({{3, -1}}));
    }

    void agreementOfLabels()
    {
        // Categories A = 0, B = 1, Tie = 2, BothBad = 3.
        //   item 1: alice A, bob A, carol A
        //   item 2: alice B, bob B, carol A
        //   item 3: alice Tie, bob A
        //   item 4: alice A             (one label: in no pair, not in Fleiss)
        //   item 5: bob B, carol B
        std::vector<Label> labels = {
            label(5, "carol", Judgment::B), label(1, "alice", Judgment::A),
            label(1, "bob", Judgment::A),   label(1, "carol", Judgment::A),
            label(2, "alice", Judgment::B), label(2, "bob", Judgment::B),
            label(2, "carol", Judgment::A), label(3, "alice", Judgment::Tie),
            label(3, "bob", Judgment::A),   label(4, "alice", Judgment::A),
            label(5, "bob", Judgment::B)};
        const auto report = agreementOf(labels);
        QCOMPARE(report.pairs.size(), size_t(3));
        // alice/bob on items 1-3: (A,A) (B,B) (Tie,A). po = 2/3; alice A,B,Tie 1/3 each, bob A
        // 2/3, B 1/3: pe = 1/3 * 2/3 + 1/3 * 1/3 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5.
        QCOMPARE(report.pairs[0].first, std::string("alice"));
        QCOMPARE(report.pairs[0].second, std::string("bob"));
        QCOMPARE(report.pairs[0].items, int64_t(3));
        QVERIFY(near(report.pairs[0].kappa, 0.5));
        // alice/carol on items 1-2: (A,A) (B,A). po = 1/2; carol always A, so pe = 1/2 * 1 =
        // 1/2; kappa = 0.
        QCOMPARE(report.pairs[1].first, std::string("alice"));
        QCOMPARE(report.pairs[1].second, std::string("carol"));
        QCOMPARE(report.pairs[1].items, int64_t(2));
        QVERIFY(near(report.pairs[1].kappa, 0.0));
        // bob/carol on items 1, 2, 5: (A,A) (B,A) (B,B). po = 2/3; bob A 1/3 B 2/3, carol A 2/3
        // B 1/3: pe = 2/9 + 2/9 = 4/9; kappa = (6/9 - 4/9) / (5/9) = 0.4.
        QCOMPARE(report.pairs[2].first, std::string("bob"));
        QCOMPARE(report.pairs[2].second, std::string("carol"));
        QCOMPARE(report.pairs[2].items, int64_t(3));
        QVERIFY(near(report.pairs[2].kappa, 0.4));
        // Fleiss over items 1, 2, 3, 5 (counts A, B, Tie, BothBad):
        //   {3,0,0,0}: P = (9 - 3) / 6 = 1;   {1,2,0,0}: P = (1 + 4 - 3) / 6 = 1/3
        //   {1,0,1,0}: P = (2 - 2) / 2 = 0;   {0,2,0,0}: P = (4 - 2) / 2 = 1
        // Pbar = (7/3) / 4 = 7/12. Totals A 5, B 4, Tie 1 of 10: Pe = (25 + 16 + 1) / 100 = 0.42.
        // kappa = (7/12 - 0.42) / 0.58 = 49/174 = 0.28161.
        QCOMPARE(report.sharedItems, int64_t(4));
        QVERIFY(near(report.fleiss, 49.0 / 174.0));
    }

    void agreementOfBothBadAndUndefined()
    {
        // Two annotators who both say "both bad" every time: pe = 1, kappa undefined, for the
        // pair and for Fleiss alike.
        const std::vector<Label> labels = {
            label(1, "x", Judgment::BothBad), label(1, "y", Judgment::BothBad),
            label(2, "x", Judgment::BothBad), label(2, "y", Judgment::BothBad)};
        const auto report = agreementOf(labels);
        QCOMPARE(report.pairs.size(), size_t(1));
        QCOMPARE(report.pairs[0].items, int64_t(2));
        QVERIFY(!report.pairs[0].kappa);
        QVERIFY(!report.fleiss);
        QCOMPARE(report.sharedItems, int64_t(2));

        // Annotators with no common item form no pair.
        const std::vector<Label> apart = {label(1, "x", Judgment::A), label(2, "y", Judgment::B)};
        const auto none = agreementOf(apart);
        QVERIFY(none.pairs.empty());
        QVERIFY(!none.fleiss);
        QCOMPARE(none.sharedItems, int64_t(0));
    }
};

QTEST_APPLESS_MAIN(TestAgreement)
#include "test_agreement.moc"
