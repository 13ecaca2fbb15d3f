// Database: the chat arena's battles, one row per vote (schema version 5 in schema.cpp). The
// vote is about the stored sides A and B; turning a battle into a comparison item and a label
// is core/eval/label_queue.cpp's job, not the store's.
#include "core/store/database.h"

#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace rlhf::store {

namespace {

constexpr std::string_view battleColumns = "id, model_a, model_b, conversation_a, conversation_b, "
                                           "settings_a, settings_b, vote, voter, created";

Battle readBattle(const Statement& row)
{
    Battle battle;
    battle.id = row.columnInt64(0);
    battle.modelA = row.columnText(1);
    battle.modelB = row.columnText(2);
    battle.conversationA = row.columnText(3);
    battle.conversationB = row.columnText(4);
    battle.settingsA = row.columnText(5);
    battle.settingsB = row.columnText(6);
    battle.vote = parseJudgment(row.columnText(7));
    battle.voter = row.columnText(8);
    battle.created = row.columnDouble(9);
    return battle;
}

void requireJson(const std::string& text, const char* what)
{
    if (!nlohmann::json::accept(text)) throw Error(std::string(what) + " is not valid JSON");
}

} // namespace

Id Database::addBattle(const Battle& battle)
{
    const std::string action = "storing a battle of " + battle.modelA + " and " + battle.modelB;
    return withContext(context(action), [&] {
        requireJson(battle.conversationA, "conversation A");
        requireJson(battle.conversationB, "conversation B");
        requireJson(battle.settingsA, "settings A");
        requireJson(battle.settingsB, "settings B");
        Transaction transaction(handle());
        Statement insert(handle(), "INSERT INTO battles (model_a, model_b, conversation_a, "
                                   "conversation_b, settings_a, settings_b, vote, voter, created) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        insert.bindAll(battle.modelA, battle.modelB, battle.conversationA, battle.conversationB,
                       battle.settingsA, battle.settingsB, judgmentName(battle.vote), battle.voter,
                       battle.created);
        insert.run();
        const Id id = sqlite3_last_insert_rowid(handle());
        transaction.commit();
        return id;
    });
}

std::vector<Battle> Database::battles() const
{
    return withContext(context("listing battles"), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(battleColumns) + " FROM battles ORDER BY id");
        std::vector<Battle> result;
        while (query.step())
            result.push_back(readBattle(query));
        return result;
    });
}

std::optional<Battle> Database::battle(Id id) const
{
    return withContext(context("reading battle " + std::to_string(id)), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(battleColumns) + " FROM battles WHERE id = ?");
        query.bindAll(id);
        std::optional<Battle> result;
        if (query.step()) result = readBattle(query);
        return result;
    });
}

} // namespace rlhf::store
