// One logged sample of a training metric as the plot stores it: the step, the wall-clock time in
// seconds since the Unix epoch, and the value. A plain value type shared by the plot and its CSV.
#pragma once

#include <QtGlobal>

namespace rlhf::widgets {

struct MetricPoint {
    qint64 step = 0;       // optimiser step at which the value was logged, e.g. 400
    double wallTime = 0.0; // seconds since the Unix epoch, e.g. 1795900000.25
    double value = 0.0;    // the metric value, e.g. 2.31 for a loss

    friend bool operator==(const MetricPoint&, const MetricPoint&) = default;
};

} // namespace rlhf::widgets
