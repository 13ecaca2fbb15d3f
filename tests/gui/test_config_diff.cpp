// Run > Compare Configs as a user meets it: two stage documents flattened to dotted keys in a
// resizable 700x420 table (key, run A, run B), the changed and one-sided keys highlighted and
// shown alone, the identical ones behind a check box, and the shown rows copied as text with the
// button saying "Copied" for a moment. Screenshot: build/screenshots/config_diff.png.
#include "widgets/window/configdiffdialog.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QtTest>

using rlhf::widgets::ConfigDiffDialog;

namespace {

const nlohmann::json runA = {
    {"stage", "sft"},
    {"init", "checkpoints/1/step-000010"},
    {"optimizer", {{"lr", 0.001}, {"warmup_steps", 10}}},
    {"training", {{"steps", 200}, {"batch_size", 8}, {"precision", "bf16"}}},
    {"lora", {{"rank", 8}, {"target_modules", {"q_proj", "v_proj"}}}}};

nlohmann::json runB()
{
    nlohmann::json b = runA;
    b["optimizer"]["lr"] = 0.0003;                          // changed
    b["training"]["steps"] = "200";                         // same digits, another type
    b["lora"]["target_modules"] = {"q_proj", "k_proj"};     // an array is one value
    b["training"].erase("precision");                       // only in A
    b["data"] = {{"dataset", "arith-sft"}, {"val", "val"}}; // only in B
    return b;
}

// The row of `key`; -1 when there is none.
int rowOf(const ConfigDiffDialog& dialog, const QString& key)
{
    for (int row = 0; row < dialog.table()->rowCount(); ++row)
        if (dialog.table()->item(row, 0)->text() == key) return row;
    return -1;
}

// The visible rows' cells, "key|A|B" each.
QStringList shownRows(const ConfigDiffDialog& dialog)
{
    QStringList rows;
    const QTableWidget* table = dialog.table();
    for (int row = 0; row < table->rowCount(); ++row)
        if (!table->isRowHidden(row))
            rows << table->item(row, 0)->text() + "|" + table->item(row, 1)->text() + "|" +
                        table->item(row, 2)->text();
    return rows;
}

} // namespace

class TestConfigDiff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void showsChangedKeysAsATable()
    {
        ConfigDiffDialog dialog(QStringLiteral("run #1 sft-1"), runA,
                                QStringLiteral("run #2 sft-2"), runB());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.size(), QSize(700, 420));
        QVERIFY(dialog.isSizeGripEnabled());
        QVERIFY(dialog.minimumSize().width() < 700); // the user may make it smaller or larger

        const QTableWidget* table = dialog.table();
        QCOMPARE(table->columnCount(), 3);
        QCOMPARE(table->horizontalHeaderItem(0)->text(), QStringLiteral("Key"));
        QCOMPARE(table->horizontalHeaderItem(1)->text(), QStringLiteral("run #1 sft-1"));
        QCOMPARE(table->horizontalHeaderItem(2)->text(), QStringLiteral("run #2 sft-2"));
        QCOMPARE(shownRows(dialog),
                 (QStringList{"data.dataset|(absent)|\"arith-sft\"", "data.val|(absent)|\"val\"",
                              "lora.target_modules|[\"q_proj\",\"v_proj\"]|[\"q_proj\",\"k_proj\"]",
                              "optimizer.lr|0.001|0.0003", "training.precision|\"bf16\"|(absent)",
                              "training.steps|200|\"200\""}));
        QCOMPARE(dialog.summaryLabel()->text(),
                 QStringLiteral("6 of 11 keys differ (highlighted)."));
        QVERIFY(!dialog.showIdenticalBox()->isChecked());
        // Changed rows are highlighted, identical ones are not.
        const int lr = rowOf(dialog, QStringLiteral("optimizer.lr"));
        for (int column = 0; column < 3; ++column)
            QVERIFY(table->item(lr, column)->background().style() != Qt::NoBrush);

        // Identical keys too, on request, without a highlight.
        dialog.showIdenticalBox()->click();
        const QStringList all = shownRows(dialog);
        QCOMPARE(all.size(), 11);
        QVERIFY(all.contains("lora.rank|8|8"));
        QVERIFY(all.contains("stage|\"sft\"|\"sft\""));
        QCOMPARE(table->item(rowOf(dialog, QStringLiteral("lora.rank")), 1)->background().style(),
                 Qt::NoBrush);
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/config_diff.png"));
        dialog.showIdenticalBox()->click();
        QCOMPARE(shownRows(dialog).size(), 6);
    }

    void copiesTheShownRowsAsText()
    {
        ConfigDiffDialog dialog(QStringLiteral("run #1"), runA, QStringLiteral("run #2"), runB());
        dialog.show();
        QPushButton* copy = dialog.copyButton();
        QCOMPARE(copy->text(), QStringLiteral("Copy as text"));
        QTest::mouseClick(copy, Qt::LeftButton);
        const QString text = QGuiApplication::clipboard()->text();
        QVERIFY2(text.startsWith("Config diff: run #1 → run #2\n"), qPrintable(text));
        QVERIFY2(text.contains("optimizer.lr: 0.001 → 0.0003\n"), qPrintable(text));
        QVERIFY2(text.contains("training.precision: \"bf16\" → (absent)\n"), qPrintable(text));
        QVERIFY(!text.contains("lora.rank"));
        QCOMPARE(copy->text(), QStringLiteral("Copied"));
        QTRY_COMPARE_WITH_TIMEOUT(copy->text(), QStringLiteral("Copy as text"), 4000);

        dialog.showIdenticalBox()->setChecked(true);
        QTest::mouseClick(copy, Qt::LeftButton);
        QVERIFY(QGuiApplication::clipboard()->text().contains("lora.rank: 8\n"));
    }

    void identicalConfigsSaySo()
    {
        ConfigDiffDialog dialog(QStringLiteral("a"), runA, QStringLiteral("b"), runA);
        QCOMPARE(dialog.summaryLabel()->text(),
                 QStringLiteral("The configs are identical (9 keys)."));
        QVERIFY(dialog.showIdenticalBox()->isChecked()); // not an empty table
        QCOMPARE(shownRows(dialog).size(), 9);
        const auto rows = ConfigDiffDialog::diffRows(runA, runA);
        QCOMPARE(int(rows.size()), 9);
        for (const auto& row : rows)
            QVERIFY(!row.changed);
        // An empty object is a value of its own, not nothing.
        const auto empty = ConfigDiffDialog::diffRows({{"lora", nlohmann::json::object()}},
                                                      {{"lora", {{"rank", 4}}}});
        QCOMPARE(int(empty.size()), 2);
        QCOMPARE(empty[0].key, QStringLiteral("lora"));
        QCOMPARE(empty[0].b, ConfigDiffDialog::absentText());
    }
};

QTEST_MAIN(TestConfigDiff)
#include "test_config_diff.moc"
