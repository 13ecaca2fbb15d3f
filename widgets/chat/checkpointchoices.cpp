// The checkpoints a chat pane offers (see checkpointchoices.h).
#include "widgets/chat/checkpointchoices.h"

#include "core/model/hf_config.h"
#include "core/store/database.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QSignalBlocker>

#include <algorithm>
#include <filesystem>

namespace rlhf::widgets {

namespace {

namespace fs = std::filesystem;

// The same folder, however each is written (project-relative or absolute, with "..").
bool sameFolder(const fs::path& a, const fs::path& b)
{
    std::error_code error;
    return fs::equivalent(a, b, error);
}

// Moves each adapter checkpoint under the choice that is its base (after the adapters already
// there), indented; an adapter whose base is not offered stays put and names it.
std::vector<CheckpointChoice> groupAdapters(std::vector<CheckpointChoice> choices,
                                            const fs::path& root)
{
    auto absolute = [&](const QString& path) { return root / path.toStdString(); };
    for (CheckpointChoice& choice : choices) {
        const fs::path folder = absolute(choice.path);
        if (!fs::is_regular_file(folder / "adapter_config.json")) continue;
        try {
            choice.base = QString::fromStdString(model::adapterBaseFolder(folder).string());
        } catch (const Error&) { // its base is gone: still offered, to be seen failing to load
            choice.base = QObject::tr("a missing base");
        }
    }
    if (std::all_of(choices.begin(), choices.end(),
                    [](const CheckpointChoice& choice) { return choice.base.isEmpty(); }))
        return choices; // no adapter: the order as it is
    std::vector<CheckpointChoice> grouped;
    std::vector<bool> placed(choices.size(), false);
    for (size_t i = 0; i < choices.size(); ++i) {
        if (placed[i]) continue;
        const bool adapter = !choices[i].base.isEmpty();
        const bool baseOffered =
            adapter && std::any_of(choices.begin(), choices.end(), [&](const auto& other) {
                return other.base.isEmpty() &&
                       sameFolder(absolute(other.path), choices[i].base.toStdString());
            });
        if (baseOffered) continue; // placed under its base
        placed[i] = true;
        CheckpointChoice choice = choices[i];
        if (adapter)
            choice.label += QObject::tr(" · LoRA on %1")
                                .arg(QString::fromStdString(
                                    fs::path(choice.base.toStdString()).filename().string()));
        grouped.push_back(choice);
        if (adapter) continue;
        for (size_t j = 0; j < choices.size(); ++j) {
            if (placed[j] || choices[j].base.isEmpty() ||
                !sameFolder(absolute(choices[i].path), choices[j].base.toStdString()))
                continue;
            placed[j] = true;
            CheckpointChoice child = choices[j];
            child.label = QStringLiteral("    \u2514 %1 · LoRA").arg(child.label);
            grouped.push_back(child);
        }
    }
    return grouped;
}

// The "init" of a run's stage document: the checkpoint it started from.
QString initOf(const store::Run& run)
{
    const nlohmann::json document = nlohmann::json::parse(run.configJson, nullptr, false);
    if (!document.is_object()) return {};
    const auto init = document.find("init");
    return init != document.end() && init->is_string()
               ? QString::fromStdString(init->get<std::string>())
               : QString();
}

} // namespace

std::vector<CheckpointChoice> checkpointChoices(const store::Database& database)
{
    std::vector<CheckpointChoice> choices;
    std::vector<store::Run> runs = database.runs();
    std::reverse(runs.begin(), runs.end()); // the newest run first: usually the one to try
    for (const store::Run& run : runs) {
        const QString name = QString::fromStdString(run.name);
        const QString from = initOf(run);
        std::vector<store::Checkpoint> checkpoints = database.checkpoints(run.id);
        std::reverse(checkpoints.begin(), checkpoints.end()); // latest step first
        for (const store::Checkpoint& checkpoint : checkpoints)
            choices.push_back(
                {.label = QStringLiteral("%1 · step %2").arg(name).arg(checkpoint.step),
                 .path = QString::fromStdString(checkpoint.path),
                 .run = run.id,
                 .parentRun = run.parent.value_or(0),
                 .from = from,
                 .step = checkpoint.step,
                 .completed = run.status == store::RunStatus::Completed,
                 .chats = run.stage != store::RunStage::Reward});
    }
    for (const store::BaseModel& model : database.models()) // Hugging Face models as they came
        choices.push_back(
            {.label = QStringLiteral("%1 · base model").arg(QString::fromStdString(model.name)),
             .path = QString::fromStdString(model.path)});
    return groupAdapters(std::move(choices), database.file().parent_path());
}

QString defaultCheckpoint(const std::vector<CheckpointChoice>& choices)
{
    const CheckpointChoice* newest = nullptr;
    for (const CheckpointChoice& choice : choices) {
        if (choice.run == 0 || !choice.completed || !choice.chats) continue;
        if (!newest || std::pair(choice.run, choice.step) > std::pair(newest->run, newest->step))
            newest = &choice;
    }
    if (newest) return newest->path;
    const auto chatting = std::find_if(choices.begin(), choices.end(),
                                       [](const CheckpointChoice& choice) { return choice.chats; });
    return chatting == choices.end() ? QString() : chatting->path;
}

QString opponentCheckpoint(const std::vector<CheckpointChoice>& choices, const QString& first)
{
    const auto found =
        std::find_if(choices.begin(), choices.end(),
                     [&](const CheckpointChoice& choice) { return choice.path == first; });
    const CheckpointChoice self = found == choices.end() ? CheckpointChoice{} : *found;
    // Lower is better; the list's order (newest run first, latest step first) breaks ties.
    const auto rank = [&](const CheckpointChoice& other) {
        if (!other.chats) return 4; // a different checkpoint still beats the same one twice
        if (self.parentRun != 0 && other.run == self.parentRun) return 0; // the run's base
        const bool otherModel = other.run != self.run || other.run == 0;
        if (otherModel) return other.completed || other.run == 0 ? 1 : 2;
        return 3; // another step of the same run
    };
    const CheckpointChoice* best = nullptr;
    for (const CheckpointChoice& choice : choices) {
        if (choice.path == first || choice.path.isEmpty()) continue;
        if (!best || rank(choice) < rank(*best)) best = &choice;
    }
    return best ? best->path : QString();
}

void fillCheckpointCombo(QComboBox& combo, const std::vector<CheckpointChoice>& choices,
                         const QString& preferred)
{
    const QString chosen = combo.currentData().toString();
    const QSignalBlocker blocker(combo); // the caller decides what a refill changes
    combo.clear();
    for (const CheckpointChoice& choice : choices) {
        combo.addItem(choice.label, choice.path);
        combo.setItemData(combo.count() - 1, choice.path, Qt::ToolTipRole);
    }
    if (choices.empty()) combo.addItem(QObject::tr("(no checkpoint)"), QString());
    int index = chosen.isEmpty() ? -1 : combo.findData(chosen);
    if (index < 0 && !preferred.isEmpty()) index = combo.findData(preferred);
    combo.setCurrentIndex(std::max(index, 0));
}

QString checkpointLabel(const std::vector<CheckpointChoice>& choices, const QString& path)
{
    for (const CheckpointChoice& choice : choices)
        if (choice.path == path) return choice.label;
    return path;
}

} // namespace rlhf::widgets
