#include "core/util/value_range.h"

#include "core/util/error.h"

#include <cmath>
#include <cstdio>

namespace rlhf {

bool ValueRange::contains(double value) const
{
    if (!std::isfinite(value)) return false;
    const bool aboveLow = low == Bound::Open ? value > minimum : value >= minimum;
    const bool belowHigh = high == Bound::Open ? value < maximum : value <= maximum;
    return aboveLow && belowHigh;
}

std::string ValueRange::text() const
{
    return (low == Bound::Open ? "above " : "") + numberText(minimum) + " to " +
           (high == Bound::Open ? "below " : "") + numberText(maximum);
}

std::string numberText(double value)
{
    char text[32];
    if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < 1e15)
        std::snprintf(text, sizeof(text), "%lld", static_cast<long long>(value));
    else
        std::snprintf(text, sizeof(text), "%g", value);
    return text;
}

std::string rangeProblem(const ValueRange& range, double value, const std::string& valueText)
{
    if (range.contains(value)) return {};
    return valueText + " is out of range (" + range.text() + ")";
}

void checkRange(const std::string& field, const ValueRange& range, double value)
{
    if (const std::string problem = rangeProblem(range, value, numberText(value)); !problem.empty())
        throw Error(field + ": " + problem);
}

void checkRange(const std::string& field, const ValueRange& range, int64_t value)
{
    const std::string problem = rangeProblem(range, double(value), std::to_string(value));
    if (!problem.empty()) throw Error(field + ": " + problem);
}

} // namespace rlhf
