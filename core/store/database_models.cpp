// Base models: Hugging Face model folders added to the project (see database.h).
#include "core/store/database.h"
#include "core/store/names.h"
#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <sqlite3.h>

namespace rlhf::store {

namespace {

constexpr const char* modelColumns = "id, name, path, family, parameters, created";

BaseModel readModel(const Statement& row)
{
    BaseModel model;
    model.id = row.columnInt64(0);
    model.name = row.columnText(1);
    model.path = row.columnText(2);
    model.family = row.columnText(3);
    model.parameters = row.columnInt64(4);
    model.created = row.columnDouble(5);
    return model;
}

} // namespace

Id Database::addModel(const BaseModel& model)
{
    return withContext(context("adding model '" + model.name + "'"), [&] {
        checkName("model", model.name);
        Transaction transaction(handle());
        if (this->model(model.name)) throw Error("a model with this name already exists");
        Statement insert(handle(), "INSERT INTO models (name, path, family, parameters, created) "
                                   "VALUES (?, ?, ?, ?, ?)");
        insert.bindAll(model.name, model.path, model.family, model.parameters, unixSecondsNow());
        insert.run();
        const Id id = sqlite3_last_insert_rowid(handle());
        transaction.commit();
        return id;
    });
}

std::optional<BaseModel> Database::model(std::string_view name) const
{
    return withContext(context("reading model '" + std::string(name) + "'"), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(modelColumns) + " FROM models WHERE name = ?");
        query.bindAll(name);
        return query.step() ? std::optional(readModel(query)) : std::nullopt;
    });
}

std::vector<BaseModel> Database::models() const
{
    return withContext(context("listing models"), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(modelColumns) + " FROM models ORDER BY id");
        std::vector<BaseModel> result;
        while (query.step())
            result.push_back(readModel(query));
        return result;
    });
}

} // namespace rlhf::store
