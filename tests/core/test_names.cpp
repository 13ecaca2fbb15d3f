// User-given names that become files in the project (tokenizers/<name>.json, the token files,
// adapters/<name>/) cannot leave it: "../../evil" as a tokenizer, dataset or model name is
// refused, naming the rule, before any work and with nothing written anywhere; names in any
// script stay allowed; names that differ only in characters a file name cannot hold no longer
// share token files.
#include "core/data/token_splits.h"
#include "core/store/names.h"
#include "core/store/project.h"
#include "core/util/error.h"
#include "tests/support/arithmetic_project.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;
using namespace rlhf;

namespace {

// Every file below `folder`, relative to it.
std::set<std::string> filesBelow(const fs::path& folder)
{
    std::set<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        files.insert(entry.path().lexically_relative(folder).string());
    return files;
}

} // namespace

class TestNames : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void refusesNamesThatArePaths_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("why");
        QTest::newRow("parent") << "../../evil"
                                << "must not contain '/'";
        QTest::newRow("absolute") << "/tmp/evil"
                                  << "must not contain '/'";
        QTest::newRow("backslash") << "..\\evil"
                                   << "must not contain '/' or '\\'";
        QTest::newRow("dot-dot") << ".."
                                 << "folder reference";
        QTest::newRow("empty") << ""
                               << "is empty";
        QTest::newRow("newline") << "a\nb"
                                 << "control characters";
        QTest::newRow("blank") << " a"
                               << "start or end with a blank";
        QTest::newRow("long") << QString(129, 'x') << "at most 128";
    }
    void refusesNamesThatArePaths()
    {
        QFETCH(QString, name);
        QFETCH(QString, why);
        try {
            store::checkName("tokenizer", name.toStdString());
            QFAIL("accepted");
        } catch (const Error& error) {
            const std::string message = error.what();
            QVERIFY2(message.starts_with("tokenizer name '") &&
                         message.find(why.toStdString()) != std::string::npos,
                     error.what());
        }
    }

    void acceptsNamesInAnyScript()
    {
        for (const char* name : {"kjv-bpe", "sft lr 1e-4", "数据 v2", "Qwen2.5-0.5B", "a.b"})
            store::checkName("dataset", name);
    }

    void fileNamesDoNotCollide()
    {
        QCOMPARE(store::fileNameOf("arith-sft"), std::string("arith-sft")); // as before
        const std::set<std::string> names{store::fileNameOf("a b"), store::fileNameOf("a/b"),
                                          store::fileNameOf("a_b"), store::fileNameOf("a:b")};
        QCOMPARE(names.size(), size_t(4));
        QVERIFY(store::fileNameOf("a b").starts_with("a_b~"));
        QCOMPARE(store::fileNameOf("数据"), store::fileNameOf("数据")); // stable
        for (const std::string& name : names)
            QVERIFY(name.find('/') == std::string::npos);
    }

    // Through the real project: nothing is trained, recorded or written, in or above it.
    void aProjectRefusesTraversalNames()
    {
        QTemporaryDir dir;
        const fs::path outer = dir.path().toStdString();
        const fs::path root = outer / "a" / "project";
        fixtures::writeArithmeticProject(root);
        store::Project project = store::Project::open(root);
        const auto dataset = project.database().datasetByName("arith-sft");
        QVERIFY(dataset);
        const auto before = filesBelow(outer);
        text::TrainConfig config;
        config.vocabSize = 270;
        try {
            data::trainProjectTokenizer(project, dataset->id, "../../evil", config);
            QFAIL("a tokenizer named ../../evil was trained");
        } catch (const Error& error) {
            QVERIFY2(std::string(error.what()).find("tokenizer name '../../evil'") !=
                         std::string::npos,
                     error.what());
        }
        for (auto add : {+[](store::Database& database) {
                             database.addDataset("../up", store::DatasetKind::Text, "");
                         },
                         +[](store::Database& database) {
                             database.addModel({0, "../../m", "/x", "llama", 1});
                         }}) {
            try {
                add(project.database());
                QFAIL("a traversal name was recorded");
            } catch (const Error& error) {
                QVERIFY2(std::string(error.what()).find("must not contain '/'") !=
                             std::string::npos,
                         error.what());
            }
        }
        QCOMPARE(filesBelow(outer), before);
        QVERIFY(!project.database().tokenizer("../../evil"));
    }
};

QTEST_GUILESS_MAIN(TestNames)
#include "test_names.moc"
