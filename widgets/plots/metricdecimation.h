// Min/max decimation of an x-sorted series to a pixel-column budget: for each column the first,
// minimum, maximum and last point survive, so spikes stay visible at any zoom. Pure logic; it
// knows nothing about Qt or the plot.
#pragma once

#include <span>
#include <vector>

namespace rlhf::widgets {

struct PlotPoint {
    double x = 0.0;
    double y = 0.0;
};

// Which y values may reach the output: a log axis cannot show zero or negative values.
enum class ValueFilter { All, PositiveOnly };

// Decimates the points (xs[i], ys[i]), sorted by x, that lie in [xMin, xMax] into `columns`
// equal-width columns. Returns, per column, its first, min, max and last points in x order
// (duplicates merged), so at most 4 * columns points. NaN y values and those rejected by
// `filter` are skipped. Throws std::invalid_argument when xs and ys differ in size.
std::vector<PlotPoint> decimateMinMax(std::span<const double> xs, std::span<const double> ys,
                                      double xMin, double xMax, int columns,
                                      ValueFilter filter = ValueFilter::All);

} // namespace rlhf::widgets
