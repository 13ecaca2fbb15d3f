// Min/max decimation of an x-sorted series to a pixel-column budget (see metricdecimation.h).
#include "widgets/plots/metricdecimation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace rlhf::widgets {

namespace {

bool accepted(double y, ValueFilter filter)
{
    if (std::isnan(y)) return false;
    return filter == ValueFilter::All || y > 0.0;
}

// The four kept indices of one column; appends them to `out` in x (index) order, once each.
struct ColumnExtremes {
    std::size_t first = 0;
    std::size_t min = 0;
    std::size_t max = 0;
    std::size_t last = 0;

    void emit(std::span<const double> xs, std::span<const double> ys,
              std::vector<PlotPoint>& out) const
    {
        std::array<std::size_t, 4> indices{first, min, max, last};
        std::sort(indices.begin(), indices.end());
        const auto end = std::unique(indices.begin(), indices.end());
        for (auto it = indices.begin(); it != end; ++it)
            out.push_back({xs[*it], ys[*it]});
    }
};

} // namespace

std::vector<PlotPoint> decimateMinMax(std::span<const double> xs, std::span<const double> ys,
                                      double xMin, double xMax, int columns, ValueFilter filter)
{
    if (xs.size() != ys.size())
        throw std::invalid_argument("decimateMinMax: " + std::to_string(xs.size()) +
                                    " x values but " + std::to_string(ys.size()) + " y values");
    std::vector<PlotPoint> out;
    if (columns <= 0 || xs.empty() || !(xMin <= xMax)) return out;

    const auto begin = std::lower_bound(xs.begin(), xs.end(), xMin) - xs.begin();
    const auto end = std::upper_bound(xs.begin(), xs.end(), xMax) - xs.begin();
    const double width = xMax - xMin;
    const double columnsPerUnit = width > 0.0 ? columns / width : 0.0;

    out.reserve(std::min<std::size_t>(4 * static_cast<std::size_t>(columns), end - begin));
    ColumnExtremes current;
    long long currentColumn = -1;
    for (auto i = static_cast<std::size_t>(begin); i < static_cast<std::size_t>(end); ++i) {
        const double y = ys[i];
        if (!accepted(y, filter)) continue;
        const auto column = std::min<long long>(
            static_cast<long long>((xs[i] - xMin) * columnsPerUnit), columns - 1);
        if (column != currentColumn) {
            if (currentColumn >= 0) current.emit(xs, ys, out);
            current = {i, i, i, i};
            currentColumn = column;
            continue;
        }
        if (y < ys[current.min]) current.min = i;
        if (y > ys[current.max]) current.max = i;
        current.last = i;
    }
    if (currentColumn >= 0) current.emit(xs, ys, out);
    return out;
}

} // namespace rlhf::widgets
