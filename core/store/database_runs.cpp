// Database: training runs, their metric series and checkpoints, and the tokenizer index.
// Opening the connection, datasets and documents are in database.cpp.
#include "core/store/database.h"

#include "core/store/names.h"
#include "core/store/process_tag.h"
#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cmath>

namespace rlhf::store {

namespace {

constexpr std::string_view runColumns =
    "id, stage, name, config, status, started, ended, parent, owner";
constexpr std::string_view checkpointColumns = "id, run, step, path, metrics, created";
constexpr std::string_view tokenizerColumns = "id, name, path, vocab_size, created";

Run readRun(const Statement& row)
{
    Run run;
    run.id = row.columnInt64(0);
    run.stage = parseRunStage(row.columnText(1));
    run.name = row.columnText(2);
    run.configJson = row.columnText(3);
    run.status = parseRunStatus(row.columnText(4));
    run.started = row.columnDouble(5);
    run.ended = row.columnOptionalDouble(6);
    run.parent = row.columnOptionalInt64(7);
    run.owner = row.columnText(8); // NULL reads as ""
    return run;
}

Checkpoint readCheckpoint(const Statement& row)
{
    Checkpoint checkpoint;
    checkpoint.id = row.columnInt64(0);
    checkpoint.run = row.columnInt64(1);
    checkpoint.step = row.columnInt64(2);
    checkpoint.path = row.columnText(3);
    checkpoint.metricsJson = row.columnText(4);
    checkpoint.created = row.columnDouble(5);
    return checkpoint;
}

Tokenizer readTokenizer(const Statement& row)
{
    Tokenizer tokenizer;
    tokenizer.id = row.columnInt64(0);
    tokenizer.name = row.columnText(1);
    tokenizer.path = row.columnText(2);
    tokenizer.vocabSize = row.columnInt64(3);
    tokenizer.created = row.columnDouble(4);
    return tokenizer;
}

void requireJson(std::string_view text, const char* what)
{
    if (!nlohmann::json::accept(text)) throw Error(std::string(what) + " is not valid JSON");
}

// Runs an UPDATE of one run and fails when no such run exists.
void updateOneRun(sqlite3* db, Statement& update, Id run)
{
    update.run();
    if (sqlite3_changes(db) == 0) throw Error("no run " + std::to_string(run));
}

} // namespace

Id Database::createRun(RunStage stage, std::string_view name, std::string_view configJson,
                       std::optional<Id> parent)
{
    return withContext(context("creating run '" + std::string(name) + "'"), [&] {
        requireJson(configJson, "the run config");
        Statement insert(handle(), "INSERT INTO runs (stage, name, config, status, started, "
                                   "parent, owner) VALUES (?, ?, ?, ?, ?, ?, ?)");
        insert.bindAll(runStageName(stage), name, configJson, runStatusName(RunStatus::Running),
                       unixSecondsNow(), parent, thisProcessTag());
        insert.run();
        return static_cast<Id>(sqlite3_last_insert_rowid(handle()));
    });
}

void Database::updateRunStatus(Id run, RunStatus status)
{
    withContext(context("setting status of run " + std::to_string(run)), [&] {
        if (isFinal(status)) {
            throw Error("'" + std::string(runStatusName(status)) + "' ends a run: use finishRun");
        }
        Statement update(handle(), "UPDATE runs SET status = ? WHERE id = ?");
        update.bindAll(runStatusName(status), run);
        updateOneRun(handle(), update, run);
    });
}

void Database::finishRun(Id run, RunStatus status, std::optional<double> ended)
{
    withContext(context("finishing run " + std::to_string(run)), [&] {
        if (!isFinal(status)) {
            throw Error("'" + std::string(runStatusName(status)) + "' is not a final status");
        }
        Statement update(handle(), "UPDATE runs SET status = ?, ended = ? WHERE id = ?");
        update.bindAll(runStatusName(status), ended.value_or(unixSecondsNow()), run);
        updateOneRun(handle(), update, run);
    });
}

std::vector<Run> Database::runs() const
{
    return withContext(context("listing runs"), [&] {
        Statement query(handle(), "SELECT " + std::string(runColumns) + " FROM runs ORDER BY id");
        std::vector<Run> result;
        while (query.step())
            result.push_back(readRun(query));
        return result;
    });
}

std::optional<Run> Database::run(Id id) const
{
    return withContext(context("reading run " + std::to_string(id)), [&] {
        Statement query(handle(), "SELECT " + std::string(runColumns) + " FROM runs WHERE id = ?");
        query.bindAll(id);
        return query.step() ? std::optional(readRun(query)) : std::nullopt;
    });
}

void Database::appendMetrics(Id run, std::span<const MetricPoint> points)
{
    withContext(context("appending metrics to run " + std::to_string(run)), [&] {
        Transaction transaction(handle());
        Statement insert(handle(), "INSERT INTO metrics (run, step, name, value, wall_time) "
                                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run, name, step) DO "
                                   "UPDATE SET value = excluded.value, "
                                   "wall_time = excluded.wall_time");
        for (const MetricPoint& point : points) {
            insert.bindAll(run, point.step, point.name, point.value, point.wallTime);
            insert.run();
        }
        transaction.commit();
    });
}

std::vector<MetricSample> Database::metricSeries(Id run, std::string_view name) const
{
    return withContext(context("reading metric '" + std::string(name) + "'"), [&] {
        Statement query(handle(), "SELECT step, value, wall_time FROM metrics "
                                  "WHERE run = ? AND name = ? ORDER BY step");
        query.bindAll(run, name);
        std::vector<MetricSample> result;
        while (query.step())
            result.push_back({query.columnInt64(0),
                              query.columnOptionalDouble(1).value_or(std::nan("")), // NaN: NULL
                              query.columnDouble(2)});
        return result;
    });
}

std::vector<std::string> Database::metricNames(Id run) const
{
    return withContext(context("listing metrics of run " + std::to_string(run)), [&] {
        Statement query(handle(), "SELECT DISTINCT name FROM metrics WHERE run = ? ORDER BY name");
        query.bindAll(run);
        std::vector<std::string> result;
        while (query.step())
            result.emplace_back(query.columnText(0));
        return result;
    });
}

Id Database::addCheckpoint(Id run, int64_t step, std::string_view path,
                           std::string_view metricsJson)
{
    const std::string action =
        "adding checkpoint of run " + std::to_string(run) + " at step " + std::to_string(step);
    return withContext(context(action), [&] {
        requireJson(metricsJson, "the checkpoint metrics");
        Statement insert(handle(), "INSERT INTO checkpoints (run, step, path, metrics, created) "
                                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run, step) DO UPDATE "
                                   "SET path = excluded.path, metrics = excluded.metrics, "
                                   "created = excluded.created RETURNING id");
        insert.bindAll(run, step, path, metricsJson, unixSecondsNow());
        insert.step();
        const Id id = insert.columnInt64(0);
        insert.reset();
        return id;
    });
}

std::vector<Checkpoint> Database::checkpoints(Id run) const
{
    return withContext(context("listing checkpoints of run " + std::to_string(run)), [&] {
        Statement query(handle(), "SELECT " + std::string(checkpointColumns) +
                                      " FROM checkpoints WHERE run = ? ORDER BY step");
        query.bindAll(run);
        std::vector<Checkpoint> result;
        while (query.step())
            result.push_back(readCheckpoint(query));
        return result;
    });
}

std::optional<Checkpoint> Database::latestCheckpoint(Id run) const
{
    return withContext(context("reading latest checkpoint of run " + std::to_string(run)), [&] {
        Statement query(handle(), "SELECT " + std::string(checkpointColumns) +
                                      " FROM checkpoints WHERE run = ? ORDER BY step DESC LIMIT 1");
        query.bindAll(run);
        return query.step() ? std::optional(readCheckpoint(query)) : std::nullopt;
    });
}

std::optional<Checkpoint> Database::checkpointAt(std::string_view path) const
{
    return withContext(context("reading the checkpoint at " + std::string(path)), [&] {
        Statement query(handle(), "SELECT " + std::string(checkpointColumns) +
                                      " FROM checkpoints WHERE path = ? ORDER BY id DESC LIMIT 1");
        query.bindAll(path);
        return query.step() ? std::optional(readCheckpoint(query)) : std::nullopt;
    });
}

Id Database::addTokenizer(std::string_view name, std::string_view path, int64_t vocabSize)
{
    return withContext(context("adding tokenizer '" + std::string(name) + "'"), [&] {
        checkName("tokenizer", name);
        Transaction transaction(handle());
        if (tokenizer(name)) throw Error("a tokenizer with this name already exists");
        Statement insert(handle(), "INSERT INTO tokenizers (name, path, vocab_size, created) "
                                   "VALUES (?, ?, ?, ?)");
        insert.bindAll(name, path, vocabSize, unixSecondsNow());
        insert.run();
        const Id id = sqlite3_last_insert_rowid(handle());
        transaction.commit();
        return id;
    });
}

std::optional<Tokenizer> Database::tokenizer(std::string_view name) const
{
    return withContext(context("reading tokenizer '" + std::string(name) + "'"), [&] {
        Statement query(handle(), "SELECT " + std::string(tokenizerColumns) +
                                      " FROM tokenizers WHERE name = ?");
        query.bindAll(name);
        return query.step() ? std::optional(readTokenizer(query)) : std::nullopt;
    });
}

std::vector<Tokenizer> Database::tokenizers() const
{
    return withContext(context("listing tokenizers"), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(tokenizerColumns) + " FROM tokenizers ORDER BY id");
        std::vector<Tokenizer> result;
        while (query.step())
            result.push_back(readTokenizer(query));
        return result;
    });
}

} // namespace rlhf::store
