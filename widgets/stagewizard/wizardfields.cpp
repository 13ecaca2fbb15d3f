#include "widgets/stagewizard/wizardfields.h"

#include <QDoubleValidator>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>

namespace rlhf::widgets {

QLineEdit* numberEdit(QWidget* parent, const char* name, const QString& text, double minimum,
                      double maximum, const QString& toolTip)
{
    auto* edit = new QLineEdit(text, parent);
    edit->setObjectName(QLatin1String(name));
    auto* validator = new QDoubleValidator(minimum, maximum, /*decimals=*/12, edit);
    validator->setNotation(QDoubleValidator::ScientificNotation);
    validator->setLocale(QLocale::c());
    edit->setValidator(validator);
    edit->setToolTip(toolTip);
    return edit;
}

QSpinBox* spinBox(QWidget* parent, const char* name, int minimum, int maximum, int value,
                  const QString& toolTip)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(minimum, maximum);
    box->setValue(value);
    box->setToolTip(toolTip);
    return box;
}

QLabel* messageLabel(QWidget* parent, const char* name)
{
    auto* label = new QLabel(parent);
    label->setObjectName(QLatin1String(name));
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setStyleSheet(QStringLiteral("color: #b00020"));
    label->hide();
    return label;
}

void showMessage(QLabel* label, const QString& text)
{
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

double numberOf(const QLineEdit* edit)
{
    return QLocale::c().toDouble(edit->text());
}

} // namespace rlhf::widgets
