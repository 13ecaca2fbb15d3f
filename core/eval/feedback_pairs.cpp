// Preference pairs from the Chat tab's thumbs and the arena's votes (see feedback_pairs.h).
#include "core/eval/feedback_pairs.h"

#include "core/eval/label_queue.h"
#include "core/store/database.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <tuple>

namespace rlhf::eval {

namespace {

using nlohmann::ordered_json;

constexpr uint64_t splitBuckets = 1000; // val fraction resolution: 0.1% of the prompts

// FNV-1a over the bytes, then splitmix64's finaliser so similar prompts spread evenly.
uint64_t hashText(const std::string& text)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const unsigned char byte : text) {
        hash ^= byte;
        hash *= 0x100000001b3ull;
    }
    hash += 0x9e3779b97f4a7c15ull;
    hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9ull;
    hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebull;
    return hash ^ (hash >> 31);
}

// The prompt of a feedback row in its one canonical spelling, so rows of the same conversation
// group together however they were written. Throws when it is no dialogue ending with a user turn.
std::string canonicalPrompt(const std::string& promptJson)
{
    const data::Record chat =
        data::fromDocumentText(data::RecordKind::Chat, R"({"messages":)" + promptJson + "}");
    if (chat.messages.empty() || chat.messages.back().role != "user")
        throw Error("prompt: does not end with a user turn");
    return messagesJson(chat.messages);
}

// The rows of one prompt, by rating, in row order.
struct PromptRows {
    std::string prompt;
    std::vector<const store::Feedback*> liked, disliked;
};

void pairThumbs(const std::vector<store::Feedback>& rows, FeedbackPairs& result)
{
    std::vector<PromptRows> prompts; // in order of their first row
    std::map<std::string, size_t> indexOf;
    for (const store::Feedback& row : rows) {
        std::string prompt;
        try {
            prompt = canonicalPrompt(row.promptJson);
        } catch (const std::exception& error) {
            result.report.problems.push_back("feedback " + std::to_string(row.id) + ": " +
                                             error.what());
            continue;
        }
        const auto [at, added] = indexOf.try_emplace(prompt, prompts.size());
        if (added) prompts.push_back({prompt, {}, {}});
        PromptRows& group = prompts[at->second];
        (row.rating == store::Rating::Up ? group.liked : group.disliked).push_back(&row);
    }
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const PromptRows& group : prompts) {
        if (group.disliked.empty()) {
            result.report.likedWithoutCounterpart += int64_t(group.liked.size());
            continue;
        }
        if (group.liked.empty()) {
            result.report.dislikedWithoutCounterpart += int64_t(group.disliked.size());
            continue;
        }
        for (const store::Feedback* liked : group.liked) {
            for (const store::Feedback* disliked : group.disliked) {
                if (liked->reply == disliked->reply) {
                    ++result.report.sameText;
                    continue;
                }
                if (!seen.emplace(group.prompt, liked->reply, disliked->reply).second) {
                    ++result.report.duplicates;
                    continue;
                }
                result.pairs.push_back({group.prompt, liked->reply, disliked->reply,
                                        "feedback#" + std::to_string(liked->id) + ">feedback#" +
                                            std::to_string(disliked->id),
                                        "feedback", liked->id});
                ++result.report.thumbPairs;
            }
        }
    }
}

void pairBattles(const std::vector<store::Battle>& battles, FeedbackPairs& result)
{
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const FeedbackPair& pair : result.pairs)
        seen.emplace(pair.promptJson, pair.chosen, pair.rejected);
    for (const store::Battle& battle : battles) {
        std::optional<BattlePair> pair;
        try {
            pair = battlePair(battle);
        } catch (const std::exception& error) {
            result.report.problems.push_back(error.what()); // names the battle and its side
            continue;
        }
        if (!pair) {
            ++result.report.noWinner;
            continue;
        }
        if (pair->chosen == pair->rejected) {
            ++result.report.sameText;
            continue;
        }
        if (!seen.emplace(pair->promptJson, pair->chosen, pair->rejected).second) {
            ++result.report.duplicates;
            continue;
        }
        result.pairs.push_back({pair->promptJson, pair->chosen, pair->rejected,
                                "battle#" + std::to_string(battle.id), "battles", battle.id});
        ++result.report.battlePairs;
    }
}

std::string plural(int64_t count, const std::string& one, const std::string& many)
{
    return std::to_string(count) + " " + (count == 1 ? one : many);
}

} // namespace

std::string messagesJson(std::span<const data::Message> messages)
{
    ordered_json list = ordered_json::array();
    for (const data::Message& message : messages)
        list.push_back({{"role", message.role}, {"content", message.content}});
    return list.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::vector<std::string> FeedbackReport::lines() const
{
    std::vector<std::string> lines;
    lines.push_back(plural(pairs(), "preference pair", "preference pairs") + ": " +
                    std::to_string(thumbPairs) + " from thumbs (" +
                    plural(ratedReplies, "rated reply", "rated replies") + "), " +
                    std::to_string(battlePairs) + " from arena votes (" +
                    plural(battles, "battle", "battles") + ")");
    if (const int64_t alone = likedWithoutCounterpart + dislikedWithoutCounterpart; alone > 0)
        lines.push_back(plural(alone, "rated reply has", "rated replies have") +
                        " no counterpart: regenerate and rate the other one (" +
                        std::to_string(likedWithoutCounterpart) + " liked without a disliked " +
                        "reply to the same prompt, " + std::to_string(dislikedWithoutCounterpart) +
                        " disliked without a liked one)");
    if (sameText > 0)
        lines.push_back(plural(sameText, "liked and disliked reply pair has",
                               "liked and "
                               "disliked reply "
                               "pairs have") +
                        " the same text: no pair");
    if (duplicates > 0)
        lines.push_back(plural(duplicates, "pair repeats", "pairs repeat") +
                        " another's prompt, chosen and rejected reply: kept once");
    if (noWinner > 0)
        lines.push_back(plural(noWinner, "arena vote is", "arena votes are") +
                        " a tie or both bad: no winner, no pair");
    for (const std::string& problem : problems)
        lines.push_back("not read: " + problem);
    return lines;
}

FeedbackPairs feedbackPairs(const store::Database& database, BattleVotes battles)
{
    FeedbackPairs result;
    const std::vector<store::Feedback> rows = database.feedback();
    result.report.ratedReplies = int64_t(rows.size());
    pairThumbs(rows, result);
    if (battles == BattleVotes::Include) {
        const std::vector<store::Battle> stored = database.battles();
        result.report.battles = int64_t(stored.size());
        pairBattles(stored, result);
    }
    return result;
}

bool promptInValSplit(const std::string& promptJson, double valFraction)
{
    return double(hashText(promptJson) % splitBuckets) < valFraction * double(splitBuckets);
}

std::string nextDatasetName(const store::Database& database, const std::string& prefix)
{
    for (int number = 1;; ++number) {
        const std::string name = prefix + "-" + std::to_string(number);
        if (!database.datasetByName(name)) return name;
    }
}

FeedbackDataset writeFeedbackDataset(store::Database& database, const FeedbackPairs& pairs,
                                     const std::string& name, double valFraction)
{
    return withContext("writing the feedback dataset '" + name + "'", [&] {
        if (pairs.pairs.empty())
            throw Error("no preference pair: rate a liked and a disliked reply to the same prompt "
                        "in the Chat tab, or vote for a winner in the arena");
        if (database.datasetByName(name)) throw Error("the project has a dataset of this name");
        FeedbackDataset result{name, 0, 0, 0};
        std::vector<store::Document> documents;
        for (const FeedbackPair& pair : pairs.pairs) {
            const bool val = promptInValSplit(pair.promptJson, valFraction);
            ++(val ? result.val : result.train);
            ordered_json document{{"prompt", ordered_json::parse(pair.promptJson)},
                                  {"chosen", pair.chosen},
                                  {"rejected", pair.rejected}};
            // The row id as the line: "feedback:12" is row 12 of the feedback table.
            documents.push_back(
                {.text = document.dump(-1, ' ', false, ordered_json::error_handler_t::replace),
                 .sourceFile = pair.table,
                 .sourceLine = pair.row,
                 .split = val ? "val" : "train"});
        }
        if (result.train == 0)
            throw Error("all " + std::to_string(result.val) +
                        " pairs fell in the val split (val fraction " +
                        std::to_string(valFraction) +
                        "): lower it, or add feedback on more "
                        "prompts");
        result.id = database.addDataset(name, store::DatasetKind::Preference, "feedback");
        try {
            database.addDocuments(result.id, documents);
        } catch (...) {
            database.removeDataset(result.id); // no empty dataset left behind
            throw;
        }
        return result;
    });
}

} // namespace rlhf::eval
