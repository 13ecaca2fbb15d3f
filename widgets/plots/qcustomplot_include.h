// The one way to include qcustomplot.h: it uses bare `signals:` and `foreach`, which
// QT_NO_KEYWORDS (needed beside LibTorch) turns off, so they are mapped for its duration.
#pragma once

#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef foreach
#undef signals
