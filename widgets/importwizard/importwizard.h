// The import wizard (File > Import data…): files and dataset name, detected format with a
// preview, field mapping, cleaning steps with live counts on a sample, split, then the import
// itself with progress and a summary. Every page edits one part of an ImportRecipe; the recipe
// can be saved for `rlhf import --recipe`, which does the same import headless.
#pragma once

#include "core/data/importer.h"

#include <QWizard>

namespace rlhf::widgets {

class ImportFilesPage;
class ImportFormatPage;
class ImportMappingPage;
class ImportCleaningPage;
class ImportSplitPage;
class ImportRunPage;

class ImportWizard : public QWizard {
    Q_OBJECT

public:
    enum PageId { FilesPage, FormatPage, MappingPage, CleaningPage, SplitPage, RunPage };

    // `projectPath` is a project folder (holding project.sqlite).
    explicit ImportWizard(const QString& projectPath, QWidget* parent = nullptr);

    QString projectPath() const { return m_projectPath; }

    // The import as currently entered, with absolute file paths.
    data::ImportRecipe recipe() const;
    // Where "Save recipe…" last wrote it; empty before that.
    QString recipePath() const { return m_recipePath; }
    // Writes recipe().toJson() to `path`; false with `error` set when it cannot.
    bool saveRecipe(const QString& path, QString* error);
    // `rlhf import -p '<project>' --recipe '<recipe>'`, shell-quoted, for a terminal.
    QString command(const QString& recipePath) const;

    ImportRunPage* runPage() const { return m_run; }

    // Cancel while importing asks the import to stop (committed batches stay) instead of closing.
    void reject() override;

private:
    QString defaultRecipePath() const; // <project>/recipes/<dataset>.json
    void saveRecipeDialog();
    void copyCommand();

    QString m_projectPath;
    QString m_recipePath;
    ImportFilesPage* m_files = nullptr; // owned by the wizard, like the pages below
    ImportFormatPage* m_format = nullptr;
    ImportMappingPage* m_mapping = nullptr;
    ImportCleaningPage* m_cleaning = nullptr;
    ImportSplitPage* m_split = nullptr;
    ImportRunPage* m_run = nullptr;
};

} // namespace rlhf::widgets
