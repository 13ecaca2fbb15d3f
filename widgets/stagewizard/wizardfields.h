// Small builders shared by the StageWizard's pages: C-locale number fields (their text is what
// the JSON document holds), spin boxes, red message labels, each with its object name and a
// tooltip saying what the field does.
#pragma once

#include <QString>

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
// A word-wrapped red label for a page's problem message, hidden while empty.
QLabel* messageLabel(QWidget* parent, const char* name);
void showMessage(QLabel* label, const QString& text);
// The value of a numberEdit (C locale); 0 when the text is not a number.
double numberOf(const QLineEdit* edit);

} // namespace rlhf::widgets
