// Small builders shared by the StageWizard's pages: C-locale number fields (their text is what
// the JSON document holds), spin boxes, red message labels, each with its object name and a
// tooltip saying what the field does. The overloads taking a ValueRange take a stage
// document field's limits from core/train/option_ranges.h, so the wizard offers what a
// document may hold.
#pragma once

#include "core/util/value_range.h"

#include <QString>

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QWidget;

namespace rlhf::widgets {

// A number field in C locale accepting [minimum, maximum], e.g. "3e-4".
QLineEdit* numberEdit(QWidget* parent, const char* name, const QString& text, double minimum,
                      double maximum, const QString& toolTip);
QSpinBox* spinBox(QWidget* parent, const char* name, int minimum, int maximum, int value,
                  const QString& toolTip);
// The same with `range`'s limits: an open end excluded, the maximum capped at INT_MAX (a spin
// box holds an int). A number field's open ends are left to its page's check.
QLineEdit* numberEdit(QWidget* parent, const char* name, const QString& text,
                      const ValueRange& range, const QString& toolTip);
QSpinBox* spinBox(QWidget* parent, const char* name, const ValueRange& range, int value,
                  const QString& toolTip);
void setRange(QSpinBox* box, const ValueRange& range);
// An open end moves in by one step of the box's decimals.
void setRange(QDoubleSpinBox* box, const ValueRange& range);
// A word-wrapped red label for a page's problem message, hidden while empty.
QLabel* messageLabel(QWidget* parent, const char* name);
void showMessage(QLabel* label, const QString& text);
// The value of a numberEdit (C locale); 0 when the text is not a number.
double numberOf(const QLineEdit* edit);

} // namespace rlhf::widgets
