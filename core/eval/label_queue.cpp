// Filling the labeling queue from a preference dataset (its pairs, judged again) and from the
// arena's battles (with their vote as a label). Adding is idempotent: an item's origin is
// unique per source, so queueing the same thing twice adds nothing.
#include "core/eval/label_queue.h"

#include "core/data/record.h"
#include "core/store/database.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <span>

namespace rlhf::eval {

namespace {

using nlohmann::ordered_json;

constexpr size_t itemsPerBatch = 10000; // comparison items per transaction

// Messages as compact JSON with role before content, the shape label_records.h documents.
std::string messagesJson(const std::vector<data::Message>& messages)
{
    ordered_json list = ordered_json::array();
    for (const data::Message& message : messages)
        list.push_back({{"role", message.role}, {"content", message.content}});
    return list.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// A conversation split before its final reply: the dialogue up to the last user turn, and the
// assistant's answer to it.
struct LastExchange {
    std::vector<data::Message> prompt; // ends with a user turn
    std::string reply;
};

LastExchange lastExchange(const std::string& conversationJson, const std::string& what)
{
    return withContext(what, [&] {
        // The chat document shape parses and checks the messages for us.
        const data::Record chat = data::fromDocumentText(
            data::RecordKind::Chat, R"({"messages":)" + conversationJson + "}");
        const std::vector<data::Message>& messages = chat.messages;
        if (messages.size() < 2 || messages.back().role != "assistant" ||
            messages[messages.size() - 2].role != "user")
            throw Error("does not end with a user turn answered by the assistant");
        return LastExchange{{messages.begin(), messages.end() - 1}, messages.back().content};
    });
}

std::string battleOrigin(store::Id battle)
{
    return "battle#" + std::to_string(battle);
}

} // namespace

int64_t queueDataset(store::Database& database, const std::string& dataset,
                     const std::string& split)
{
    return withContext("queueing dataset '" + dataset + "' for labeling", [&] {
        const std::optional<store::Dataset> found = database.datasetByName(dataset);
        if (!found) throw Error("no such dataset");
        if (found->kind != store::DatasetKind::Preference) {
            throw Error("a " + std::string(store::datasetKindName(found->kind)) +
                        " dataset, not a preference dataset");
        }
        std::vector<store::ComparisonItem> batch;
        int64_t added = 0;
        database.forEachDocument(found->id, [&](const store::Document& document) {
            if (!split.empty() && document.split != split) return;
            const data::Record pair =
                withContext("document " + std::to_string(document.ordinal), [&] {
                    return data::fromDocumentText(data::RecordKind::Preference, document.text);
                });
            batch.push_back({.source = store::ItemSource::Import,
                             .origin = dataset + "#" + std::to_string(document.ordinal),
                             .promptJson = messagesJson(pair.messages),
                             .responseA = pair.chosen,
                             .responseB = pair.rejected,
                             .modelA = "chosen",
                             .modelB = "rejected"});
        });
        // Added after the read: forEachDocument holds a read statement open on the connection.
        for (size_t at = 0; at < batch.size(); at += itemsPerBatch) {
            const size_t count = std::min(itemsPerBatch, batch.size() - at);
            added += database.addComparisonItems(std::span(batch).subspan(at, count));
        }
        return added;
    });
}

int64_t queueBattles(store::Database& database)
{
    std::set<std::string> queued;
    for (const store::ComparisonItem& item : database.comparisonItems()) {
        if (item.source == store::ItemSource::Arena) queued.insert(item.origin);
    }
    // Every new battle is checked before anything is written, so a malformed one leaves the
    // queue as it was.
    std::vector<store::ComparisonItem> items;
    const std::vector<store::Battle> battles = database.battles();
    for (const store::Battle& battle : battles) {
        if (queued.count(battleOrigin(battle.id))) continue;
        const std::string what = "battle " + std::to_string(battle.id) + ": conversation ";
        const LastExchange a = lastExchange(battle.conversationA, what + "A");
        const LastExchange b = lastExchange(battle.conversationB, what + "B");
        items.push_back({.source = store::ItemSource::Arena,
                         .origin = battleOrigin(battle.id),
                         .promptJson = messagesJson(a.prompt),
                         .responseA = a.reply,
                         .responseB = b.reply,
                         .modelA = battle.modelA,
                         .modelB = battle.modelB,
                         .created = battle.created});
    }
    const int64_t added = items.empty() ? 0 : database.addComparisonItems(items);

    // The vote is a label like any other, so agreement and exports count it. Items and labels
    // are separate transactions: a process killed between them left an item without its vote,
    // so every battle's label is checked, not only the new ones (the kill -9 test found this).
    std::map<std::string, store::Id> idOf;
    for (const store::ComparisonItem& item : database.comparisonItems()) {
        if (item.source == store::ItemSource::Arena) idOf[item.origin] = item.id;
    }
    for (const store::Battle& battle : battles) {
        const auto item = idOf.find(battleOrigin(battle.id));
        const std::string annotator = "arena:" + battle.voter;
        if (item == idOf.end() || database.label(item->second, annotator)) continue;
        database.setLabel({.item = item->second,
                           .annotator = annotator,
                           .judgment = battle.vote,
                           .created = battle.created});
    }
    return added;
}

std::optional<BattlePair> battlePair(const store::Battle& battle)
{
    if (battle.vote != store::Judgment::A && battle.vote != store::Judgment::B) return std::nullopt;
    const bool aWins = battle.vote == store::Judgment::A;
    const std::string what = "battle " + std::to_string(battle.id) + ": conversation ";
    const LastExchange winner = lastExchange(aWins ? battle.conversationA : battle.conversationB,
                                             what + (aWins ? "A" : "B"));
    const LastExchange loser = lastExchange(aWins ? battle.conversationB : battle.conversationA,
                                            what + (aWins ? "B" : "A"));
    return BattlePair{messagesJson(winner.prompt), winner.reply, loser.reply};
}

} // namespace rlhf::eval
