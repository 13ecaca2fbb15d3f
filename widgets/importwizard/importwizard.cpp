#include "widgets/importwizard/importwizard.h"

#include "widgets/importwizard/importcleaningpage.h"
#include "widgets/importwizard/importfilespage.h"
#include "widgets/importwizard/importformatpage.h"
#include "widgets/importwizard/importmappingpage.h"
#include "widgets/importwizard/importrunpage.h"
#include "widgets/importwizard/importsplitpage.h"

#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMessageBox>
#include <QAbstractButton>
#include <QSaveFile>

namespace rlhf::widgets {

namespace {

QString shellQuoted(const QString& text)
{
    return QLatin1Char('\'') + QString(text).replace(QLatin1String("'"), QLatin1String("'\\''")) +
           QLatin1Char('\'');
}

// The format page is followed by the mapping page only when the files have named fields.
class FormatPageFlow : public ImportFormatPage {
public:
    using ImportFormatPage::ImportFormatPage;
    int nextId() const override
    {
        return ImportMappingPage::formatHasFields(detection().format) ? ImportWizard::MappingPage
                                                                      : ImportWizard::CleaningPage;
    }
};

} // namespace

ImportWizard::ImportWizard(const QString& projectPath, QWidget* parent)
    : QWizard(parent), m_projectPath(QDir(projectPath).absolutePath())
{
    setWindowTitle(tr("Import data"));
    setOption(QWizard::NoBackButtonOnStartPage);
    setOption(QWizard::HaveCustomButton1);
    setOption(QWizard::HaveCustomButton2);
    setButtonText(QWizard::CustomButton1, tr("Save recipe…"));
    setButtonText(QWizard::CustomButton2, tr("Copy as command"));
    button(QWizard::CustomButton1)->setObjectName(QStringLiteral("saveRecipe"));
    button(QWizard::CustomButton2)->setObjectName(QStringLiteral("copyCommand"));
    resize(900, 680);

    m_files = new ImportFilesPage(m_projectPath, this);
    m_format = new FormatPageFlow(m_files, this);
    m_mapping = new ImportMappingPage(m_format, this);
    m_cleaning = new ImportCleaningPage(this, m_projectPath, this);
    m_split = new ImportSplitPage(this);
    m_run = new ImportRunPage(this, this);
    setPage(FilesPage, m_files);
    setPage(FormatPage, m_format);
    setPage(MappingPage, m_mapping);
    setPage(CleaningPage, m_cleaning);
    setPage(SplitPage, m_split);
    setPage(RunPage, m_run);

    connect(this, &QWizard::customButtonClicked, this, [this](int which) {
        if (which == QWizard::CustomButton1) saveRecipeDialog();
        if (which == QWizard::CustomButton2) copyCommand();
    });
    auto showRecipeButtons = [this](int id) {
        button(QWizard::CustomButton1)->setVisible(id != FilesPage && id != RunPage);
        button(QWizard::CustomButton2)->setVisible(id != FilesPage && id != RunPage);
    };
    connect(this, &QWizard::currentIdChanged, this, showRecipeButtons);
    showRecipeButtons(FilesPage);
}

data::ImportRecipe ImportWizard::recipe() const
{
    data::ImportRecipe recipe;
    recipe.dataset = m_files->datasetName().toStdString();
    for (const QString& file : m_files->files())
        recipe.files.emplace_back(file.toStdString());
    recipe.read = m_format->readOptions();
    if (ImportMappingPage::formatHasFields(m_format->detection().format))
        recipe.read.mapping = m_mapping->mapping();
    recipe.cleaning = m_cleaning->config();
    recipe.split = m_split->split();
    recipe.tokenizer = m_cleaning->tokenizer().toStdString();
    return recipe;
}

bool ImportWizard::saveRecipe(const QString& path, QString* error)
{
    QSaveFile file(path);
    const QByteArray bytes = QByteArray::fromStdString(recipe().toJson() + "\n");
    if (!QDir().mkpath(QFileInfo(path).absolutePath()) || !file.open(QIODevice::WriteOnly) ||
        file.write(bytes) != bytes.size() || !file.commit()) {
        if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    m_recipePath = QFileInfo(path).absoluteFilePath();
    return true;
}

QString ImportWizard::command(const QString& recipePath) const
{
    return QStringLiteral("rlhf import -p %1 --recipe %2")
        .arg(shellQuoted(m_projectPath), shellQuoted(recipePath));
}

QString ImportWizard::defaultRecipePath() const
{
    // The dataset name as a file name: characters other than letters, digits, '.', '_' and '-'
    // become '_' (as ProjectPaths does for token files), so "a/b" stays inside recipes/.
    QString name = m_files->datasetName();
    for (QChar& c : name)
        if (!c.isLetterOrNumber() && c != QLatin1Char('.') && c != QLatin1Char('_') &&
            c != QLatin1Char('-'))
            c = QLatin1Char('_');
    return QDir(m_projectPath).filePath(QStringLiteral("recipes/%1.json").arg(name));
}

void ImportWizard::saveRecipeDialog()
{
    const QString suggested = m_recipePath.isEmpty() ? defaultRecipePath() : m_recipePath;
    const QString path = QFileDialog::getSaveFileName(this, tr("Save import recipe"), suggested,
                                                      tr("JSON recipe (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!saveRecipe(path, &error)) QMessageBox::critical(this, windowTitle(), error);
}

void ImportWizard::copyCommand()
{
    // The command needs the recipe on disk: keep the saved one up to date, or write one into
    // the project's recipes/ folder.
    const QString path = m_recipePath.isEmpty() ? defaultRecipePath() : m_recipePath;
    QString error;
    if (!saveRecipe(path, &error)) {
        QMessageBox::critical(this, windowTitle(), error);
        return;
    }
    QGuiApplication::clipboard()->setText(command(path));
}

void ImportWizard::reject()
{
    if (m_run->isRunning()) {
        m_run->cancel();
        return;
    }
    QWizard::reject();
}

} // namespace rlhf::widgets
