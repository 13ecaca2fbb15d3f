#include "widgets/stagewizard/wizardfields.h"

#include <QDoubleSpinBox>
#include <QDoubleValidator>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>

#include <algorithm>
#include <cmath>
#include <limits>

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

QLineEdit* numberEdit(QWidget* parent, const char* name, const QString& text,
                      const ValueRange& range, const QString& toolTip)
{
    return numberEdit(parent, name, text, range.minimum, range.maximum, toolTip);
}

QSpinBox* spinBox(QWidget* parent, const char* name, const ValueRange& range, int value,
                  const QString& toolTip)
{
    QSpinBox* box = spinBox(parent, name, 0, 0, 0, toolTip);
    setRange(box, range);
    box->setValue(value);
    return box;
}

void setRange(QSpinBox* box, const ValueRange& range)
{
    const double most = std::numeric_limits<int>::max();
    const double low =
        range.low == Bound::Open ? std::floor(range.minimum) + 1 : std::ceil(range.minimum);
    const double high =
        range.high == Bound::Open ? std::ceil(range.maximum) - 1 : std::floor(range.maximum);
    box->setRange(int(std::clamp(low, -most, most)), int(std::clamp(high, -most, most)));
}

void setRange(QDoubleSpinBox* box, const ValueRange& range)
{
    const double step = std::pow(10.0, -box->decimals());
    box->setRange(range.low == Bound::Open ? range.minimum + step : range.minimum,
                  range.high == Bound::Open ? range.maximum - step : range.maximum);
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
