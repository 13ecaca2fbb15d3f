// The allowed range of one numeric option and the one message for a value outside it, in the
// style of gen::checkSampling: "training.steps: 0 is out of range (1 to 1000000000)". What the
// ranges are is not here: core/train/option_ranges.h holds the stage documents' table.
#pragma once

#include <cstdint>
#include <string>

namespace rlhf {

// Whether a range's end belongs to it: lr is above 0 (Open), beta1 is below 1 (Open).
enum class Bound { Closed, Open };

struct ValueRange {
    double minimum = 0;
    double maximum = 0;
    Bound low = Bound::Closed;
    Bound high = Bound::Closed;

    // Finite and within both ends (NaN and infinities never are).
    bool contains(double value) const;
    // "1 to 1000000000", "above 0 to 10", "0 to below 1".
    std::string text() const;
};

// A number as messages write it: whole numbers in full ("1000000000"), others as %g ("3e-05").
std::string numberText(double value);

// "" when `value` lies in `range`, else "VALUE is out of range (RANGE)" with `valueText` as
// VALUE (the text the user wrote, e.g. a document's "9223372036854775808").
std::string rangeProblem(const ValueRange& range, double value, const std::string& valueText);

// Throws rlhf::Error "field: VALUE is out of range (RANGE)" when `value` is outside `range`.
void checkRange(const std::string& field, const ValueRange& range, double value);
void checkRange(const std::string& field, const ValueRange& range, int64_t value);

} // namespace rlhf
