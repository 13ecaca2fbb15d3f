#include "widgets/stagewizard/wizardstartpage.h"

#include "core/model/hf_config.h"
#include "core/store/project.h"
#include "core/train/finetune_config.h"
#include "core/train/option_ranges.h"
#include "widgets/stagewizard/labelfilterfields.h"
#include "widgets/stagewizard/lorafields.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wizardstagepage.h"
#include "widgets/stagewizard/wordcombo.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QSignalBlocker>
#include <QSpinBox>

#include <exception>
#include <filesystem>

namespace rlhf::widgets {

namespace {

// Which dataset kinds a stage reads: chat for SFT, pairs for the reward model and DPO, and the
// prompts of either for PPO and GRPO.
using store::RunStage;

// The reward model and DPO train on pairs: a preference dataset or this project's labels.
bool trainsOnPairs(std::optional<RunStage> stage)
{
    return stage == RunStage::Reward || stage == RunStage::Dpo;
}

bool stageReads(RunStage stage, store::DatasetKind kind)
{
    if (stage == RunStage::Sft) return kind == store::DatasetKind::Chat;
    if (trainsOnPairs(stage)) return kind == store::DatasetKind::Preference;
    return kind == store::DatasetKind::Chat || kind == store::DatasetKind::Preference;
}

QString kindsOf(std::optional<RunStage> stage)
{
    if (stage == RunStage::Sft) return QObject::tr("chat");
    if (trainsOnPairs(stage)) return QObject::tr("preference");
    return QObject::tr("chat or preference");
}

// ", LoRA adapter on qwen2.5-0.5b" for an adapter checkpoint (named by its base's folder), else
// nothing.
QString adapterNote(const std::filesystem::path& folder)
{
    if (!std::filesystem::is_regular_file(folder / "adapter_config.json")) return {};
    try {
        const auto base = model::adapterBaseFolder(folder);
        return QObject::tr(", LoRA adapter on %1")
            .arg(QString::fromStdString(base.filename().string()));
    } catch (const std::exception&) {
        return QObject::tr(", LoRA adapter whose base is missing");
    }
}

} // namespace

WizardStartPage::WizardStartPage(const QString& projectPath, const WizardStagePage* stage,
                                 QWidget* parent)
    : QWizardPage(parent), m_projectPath(projectPath), m_stagePage(stage)
{
    setTitle(tr("Start from"));
    setSubTitle(tr("The checkpoint the model starts from (its shape is kept) and the data."));

    m_init = new QComboBox(this);
    m_init->setObjectName(QStringLiteral("initCheckpoint"));
    m_init->setToolTip(tr("The checkpoint whose weights the trained model starts from; for DPO, "
                          "PPO and GRPO it is also the frozen reference the KL term compares "
                          "with. Newest runs first; DPO, PPO and GRPO start from the newest "
                          "completed SFT run's last checkpoint when there is one."));
    m_shape = new QLabel(this);
    m_shape->setObjectName(QStringLiteral("initShape"));
    m_shape->setWordWrap(true);
    m_tokenizer = new QComboBox(this);
    m_tokenizer->setObjectName(QStringLiteral("startTokenizer"));
    m_tokenizer->setToolTip(tr("The tokenizer that encodes the data; normally the one saved in "
                               "the checkpoint, which the model was trained with. It must have "
                               "the chat template's special tokens (<|user|>, <|end|>, ...)."));
    m_dataset = new QComboBox(this);
    m_dataset->setObjectName(QStringLiteral("startDataset"));
    m_train = new QComboBox(this);
    m_train->setObjectName(QStringLiteral("trainSplit"));
    m_train->setToolTip(tr("The split of the dataset the stage trains on."));
    m_val = new QComboBox(this);
    m_val->setObjectName(QStringLiteral("valSplit"));
    m_val->setToolTip(tr("The split evaluated on (held out from training); \"none\" skips "
                         "evaluation. PPO and GRPO score its prompts with the rule reward."));
    m_maxLength = spinBox(this, "maxLength", train::ranges::maxLength, 0,
                          tr("Tokens per sequence (prompt and reply); longer ones are cut. 0 "
                             "uses the checkpoint's context length."));
    m_maxLength->setSpecialValueText(tr("the model's context"));
    m_message = messageLabel(this, "startMessage");
    m_labels = new LabelFilterFields(projectPath, this);
    m_labels->setObjectName(QStringLiteral("labelFilter"));
    m_lora = new LoraFields(this);
    m_lora->setObjectName(QStringLiteral("loraFields"));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Init checkpoint"), m_init);
    layout->addRow(QString(), m_shape);
    layout->addRow(tr("Tokenizer"), m_tokenizer);
    layout->addRow(tr("Dataset"), m_dataset);
    layout->addRow(tr("Which labels"), m_labels);
    layout->setRowVisible(m_labels, false);
    m_form = layout;
    layout->addRow(tr("Train split"), m_train);
    layout->addRow(tr("Validation split"), m_val);
    layout->addRow(tr("Max length (tokens)"), m_maxLength);
    layout->addRow(tr("LoRA"), m_lora);
    layout->addRow(m_message);

    loadCheckpoints();
    auto changed = [this] {
        refresh();
        Q_EMIT completeChanged();
    };
    connect(m_init, &QComboBox::currentIndexChanged, this, changed);
    connect(m_tokenizer, &QComboBox::currentIndexChanged, this, changed);
    connect(m_dataset, &QComboBox::currentIndexChanged, this, [this, changed] {
        refreshSplits();
        changed();
    });
    connect(m_train, &QComboBox::currentIndexChanged, this, changed);
    connect(m_val, &QComboBox::currentIndexChanged, this, changed);
    connect(m_maxLength, &QSpinBox::valueChanged, this, changed);
    connect(m_labels, &LabelFilterFields::changed, this, changed);
    connect(m_lora, &LoraFields::changed, this, changed);
}

bool WizardStartPage::usesLabels() const
{
    return m_dataset->currentData(labelsRole).toBool();
}

void WizardStartPage::loadCheckpoints()
{
    m_tokenizer->addItem(tr("the checkpoint's own tokenizer.json"), QString());
    try {
        auto project = store::Project::open(m_projectPath.toStdString());
        const auto& database = project.database();
        const auto runs = database.runs();
        for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
            const auto checkpoints = database.checkpoints(run->id);
            for (auto point = checkpoints.rbegin(); point != checkpoints.rend(); ++point) {
                m_init->addItem(tr("run #%1 %2 (%3) step %4%5")
                                    .arg(run->id)
                                    .arg(QString::fromStdString(run->name),
                                         wordText(store::runStageName(run->stage)))
                                    .arg(point->step)
                                    .arg(adapterNote(project.paths().absolute(point->path))),
                                QString::fromStdString(point->path));
                m_init->setItemData(m_init->count() - 1, QString::fromStdString(point->path),
                                    Qt::ToolTipRole);
                m_init->setItemData(m_init->count() - 1, int(run->stage), runStageRole);
                m_init->setItemData(m_init->count() - 1, run->status == store::RunStatus::Completed,
                                    completedRole);
            }
        }
        // Base models (Hugging Face folders the user added) after the runs' checkpoints.
        for (const auto& model : database.models()) {
            m_init->addItem(
                tr("base model %1 (%2)")
                    .arg(QString::fromStdString(model.name), QString::fromStdString(model.family)),
                QString::fromStdString(model.path));
            m_init->setItemData(m_init->count() - 1, QString::fromStdString(model.path),
                                Qt::ToolTipRole);
        }
        for (const auto& tokenizer : database.tokenizers())
            m_tokenizer->addItem(QString::fromStdString(tokenizer.name),
                                 QString::fromStdString(tokenizer.path));
    } catch (const std::exception& error) {
        m_loadError = tr("Cannot read the project %1: %2").arg(m_projectPath, error.what());
    }
}

void WizardStartPage::selectDefaultInit(RunStage stage)
{
    int chosen = 0; // newest run first, newest checkpoint first
    if (stage == RunStage::Dpo || stage == RunStage::Ppo || stage == RunStage::Grpo) {
        for (int i = 0; i < m_init->count(); ++i) {
            const QVariant runStage = m_init->itemData(i, runStageRole);
            if (runStage.isValid() && runStage.toInt() == int(RunStage::Sft) &&
                m_init->itemData(i, completedRole).toBool()) {
                chosen = i;
                break;
            }
        }
    }
    if (m_init->count() > 0) m_init->setCurrentIndex(chosen);
}

void WizardStartPage::loadDatasets(RunStage stage)
{
    const QSignalBlocker blocker(m_dataset);
    m_dataset->clear();
    m_dataset->setToolTip(
        tr("The project's %1 datasets: the examples this stage reads.").arg(kindsOf(stage)));
    try {
        auto project = store::Project::open(m_projectPath.toStdString());
        for (const auto& dataset : project.database().datasets()) {
            if (!stageReads(stage, dataset.kind)) continue;
            m_dataset->addItem(
                tr("%1 (%2, %3 documents)")
                    .arg(QString::fromStdString(dataset.name),
                         QString::fromStdString(std::string(store::datasetKindName(dataset.kind))),
                         QLocale().toString(qint64(project.database().documentCount(dataset.id)))),
                QString::fromStdString(dataset.name));
            m_dataset->setItemData(m_dataset->count() - 1, qint64(dataset.id), Qt::UserRole + 1);
        }
        if (trainsOnPairs(stage)) {
            m_dataset->addItem(tr("Labels of this project (Labeling tab and arena votes)"),
                               QString());
            m_dataset->setItemData(m_dataset->count() - 1, true, labelsRole);
        }
    } catch (const std::exception& error) {
        m_loadError = tr("Cannot read the project %1: %2").arg(m_projectPath, error.what());
    }
    m_loadedStage = stage;
    {
        const QSignalBlocker trainBlocker(m_train), valBlocker(m_val);
        m_train->clear(); // the stage's own default splits, not the previous stage's choice
        m_val->clear();
    }
    refreshSplits();
}

void WizardStartPage::refreshSplits()
{
    const bool labels = usesLabels(); // labelled pairs are split by item, not by a stored split
    m_form->setRowVisible(m_labels, labels);
    m_form->setRowVisible(m_train, !labels);
    m_form->setRowVisible(m_val, !labels);
    if (labels) m_labels->recount();
    const QSignalBlocker trainBlocker(m_train), valBlocker(m_val);
    // Every stage evaluates on "val" by default; "test" stays held out for the final report.
    const QString train = m_train->count() ? m_train->currentData().toString() : "train";
    const QString val = m_val->count() ? m_val->currentData().toString() : "val";
    m_train->clear();
    m_val->clear();
    m_val->addItem(tr("none (no evaluation)"), QString());
    const QVariant id = m_dataset->currentData(Qt::UserRole + 1);
    for (const char* split : {"train", "val", "test"}) {
        QString text = QLatin1String(split);
        if (id.isValid()) {
            try {
                auto project = store::Project::open(m_projectPath.toStdString());
                const auto count = project.database().documentCount(id.toLongLong(), split);
                text = tr("%1 (%2 documents)").arg(text, QLocale().toString(qint64(count)));
            } catch (const std::exception&) { // the page's message reports an unreadable project
            }
        }
        m_train->addItem(text, QLatin1String(split));
        m_val->addItem(text, QLatin1String(split));
    }
    m_train->setCurrentIndex(std::max(0, m_train->findData(train)));
    m_val->setCurrentIndex(std::max(0, m_val->findData(val)));
}

void WizardStartPage::initializePage()
{
    const RunStage stage = m_stagePage->stage();
    if (stage != m_loadedStage) { // keep the choices when only passing by
        selectDefaultInit(stage);
        loadDatasets(stage);
    }
    refresh();
}

std::optional<model::ModelConfig> WizardStartPage::modelConfig() const
{
    const QString path = m_init->currentData().toString();
    if (path.isEmpty()) return std::nullopt;
    const store::ProjectPaths paths(m_projectPath.toStdString());
    try { // a LoRA checkpoint answers with its base's config.json
        return model::readModelConfig(paths.absolute(path.toStdString()));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

int WizardStartPage::maxLength() const
{
    return m_maxLength->value();
}

QString WizardStartPage::problem() const
{
    if (!m_loadError.isEmpty()) return m_loadError;
    if (m_init->count() == 0)
        return tr("The project has no checkpoint yet: run a pretrain (or another) stage first, "
                  "or add a Hugging Face model (Project > Add model…); this stage starts from "
                  "one of them.");
    const QString path = m_init->currentData().toString();
    const store::ProjectPaths paths(m_projectPath.toStdString());
    const auto folder = paths.absolute(path.toStdString());
    if (!modelConfig())
        return tr("%1 has no readable config.json: the checkpoint folder is missing or damaged.")
            .arg(path);
    if (m_tokenizer->currentData().toString().isEmpty() &&
        !std::filesystem::exists(folder / "tokenizer.json"))
        return tr("%1 holds no tokenizer.json: choose the project's tokenizer the model was "
                  "trained with.")
            .arg(path);
    if (usesLabels() && m_labels->passingPairs() <= 0)
        return tr("No labelled pair passes this filter: judge some in the Labeling tab (or vote "
                  "in the arena), or loosen the filter.");
    if (m_dataset->count() == 0)
        return tr("The project has no %1 dataset: import one with the Import wizard or `rlhf "
                  "import FILES -p PROJECT -n NAME --shape %2`.")
            .arg(kindsOf(m_loadedStage), m_loadedStage == RunStage::Sft
                                             ? QStringLiteral("messages")
                                             : QStringLiteral("preference"));
    if (!usesLabels() && m_train->currentText().contains(QLatin1String("(0 ")))
        return tr("The train split \"%1\" of %2 is empty.")
            .arg(m_train->currentData().toString(), m_dataset->currentData().toString());
    if (!usesLabels() && m_val->currentText().contains(QLatin1String("(0 ")))
        return tr("The validation split \"%1\" is empty: choose another, or none.")
            .arg(m_val->currentData().toString());
    if (!usesLabels() && !m_val->currentData().toString().isEmpty() &&
        m_val->currentData() == m_train->currentData())
        return tr("Validation on the training split says nothing about held-out data: choose "
                  "another split, or none.");
    const auto shape = modelConfig();
    if (m_maxLength->value() > shape->contextLength)
        return tr("Max length %1 is longer than the checkpoint's context length %2.")
            .arg(m_maxLength->value())
            .arg(shape->contextLength);
    return {};
}

void WizardStartPage::refresh()
{
    const auto shape = modelConfig();
    const QString init = m_init->currentData().toString();
    if (shape && init != m_suggestedFor) { // a newly chosen model: suggest LoRA once for it
        m_suggestedFor = init;
        if (m_tooBigForFull && m_tooBigForFull(*shape)) m_lora->setEnabled(true);
    }
    m_shape->setText(shape ? tr("%1, %2 layers, %3 heads, dim %4, context %5, vocab %6")
                                 .arg(wordText(wordOf(model::flavourWords, shape->flavour)))
                                 .arg(shape->layers)
                                 .arg(shape->heads)
                                 .arg(shape->dim)
                                 .arg(shape->contextLength)
                                 .arg(shape->vocabSize)
                           : QString());
    showMessage(m_message, problem());
}

bool WizardStartPage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardStartPage::validatePage()
{
    refresh();
    return isComplete();
}

void WizardStartPage::apply(train::FineTuneConfig& config) const
{
    config.init = m_init->currentData().toString().toStdString();
    config.tokenizer = m_tokenizer->currentData().toString().toStdString();
    if (usesLabels()) {
        config.data.dataset.clear();
        config.data.labels = m_labels->filter();
        config.data.valFraction = m_labels->valFraction();
        config.data.train = "train";
        config.data.val = config.data.valFraction > 0 ? "val" : "";
    } else {
        config.data.dataset = m_dataset->currentData().toString().toStdString();
        config.data.train = m_train->currentData().toString().toStdString();
        config.data.val = m_val->currentData().toString().toStdString();
    }
    config.maxLength = m_maxLength->value();
    config.lora = m_lora->options();
}

} // namespace rlhf::widgets
