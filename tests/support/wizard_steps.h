// Steps of driving the StageWizard in tests, as a user would: find a named field, pick a
// stage or a combo entry by its data, fill the optimisation and run pages for a quick run and
// press Finish, and read the document the wizard wrote.
#pragma once

#include "widgets/stagewizard/stagewizard.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QFile>
#include <QClipboard>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

namespace fixtures {

using rlhf::widgets::StageWizard;

template <typename T> T* child(const QWidget& parent, const QString& name)
{
    auto* widget = parent.findChild<T*>(name);
    if (!widget) qFatal("no child widget '%s'", qPrintable(name));
    return widget;
}

inline void chooseStage(StageWizard& wizard, const char* stage)
{
    auto* combo = child<QComboBox>(wizard, QStringLiteral("stage"));
    combo->setCurrentIndex(combo->findData(QLatin1String(stage)));
}

inline void chooseData(QComboBox* combo, const QString& data)
{
    const int index = combo->findData(data);
    if (index < 0) qFatal("no item '%s'", qPrintable(data));
    combo->setCurrentIndex(index);
}

// Quick optimisation and run settings for a few steps on one CPU thread, then Finish.
inline void finishQuickly(StageWizard& wizard, int steps, int batch,
                          const QString& lr = QStringLiteral("1e-3"))
{
    QCOMPARE(wizard.currentId(), int(StageWizard::OptimisationPage));
    child<QLineEdit>(wizard, QStringLiteral("lr"))->setText(lr);
    child<QLineEdit>(wizard, QStringLiteral("minLr"))->setText(QStringLiteral("1e-4"));
    child<QSpinBox>(wizard, QStringLiteral("warmupSteps"))->setValue(0);
    child<QSpinBox>(wizard, QStringLiteral("steps"))->setValue(steps);
    child<QSpinBox>(wizard, QStringLiteral("batchSize"))->setValue(batch);
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::RunPage));
    child<QComboBox>(wizard, QStringLiteral("precision"))->setCurrentIndex(1); // fp32
    child<QSpinBox>(wizard, QStringLiteral("threads"))->setValue(1);
    child<QSpinBox>(wizard, QStringLiteral("evalEvery"))->setValue(0);
    child<QSpinBox>(wizard, QStringLiteral("checkpointEvery"))->setValue(0);
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::SummaryPage));
    QVERIFY2(child<QLabel>(wizard, QStringLiteral("summaryMessage"))->isHidden(),
             qPrintable(child<QLabel>(wizard, QStringLiteral("summaryMessage"))->text()));
    QTest::mouseClick(child<QPushButton>(wizard, QStringLiteral("copyCommand")), Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(), wizard.command());
    QVERIFY(wizard.button(QWizard::FinishButton)->isEnabled());
    QTest::mouseClick(wizard.button(QWizard::FinishButton), Qt::LeftButton);
    QCOMPARE(wizard.result(), int(QDialog::Accepted));
}

inline nlohmann::json writtenDocument(const StageWizard& wizard)
{
    QFile file(wizard.documentPath());
    if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(file.fileName()));
    return nlohmann::json::parse(file.readAll().toStdString());
}

} // namespace fixtures
