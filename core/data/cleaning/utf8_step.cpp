// The UTF-8 step and the decoder behind it: validate each field, then either repair it (each
// invalid sequence -> U+FFFD, one per WHATWG "maximal subpart") or reject the record naming the
// field and the byte offset of the first bad sequence.
#include "core/data/cleaning/byte_block.h"
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"

#include <bit>

namespace rlhf::data::cleaning {

namespace {

// Length of the valid sequence starting at text[i], or, negated, the length of the maximal
// subpart (>= 1) that must become one U+FFFD. The second byte's range depends on the lead
// byte so that overlongs, surrogates and code points above U+10FFFF are refused (Unicode
// Table 3-7), and the subpart then ends at the first byte that cannot continue it.
int sequenceAt(std::string_view text, size_t i)
{
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    int length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return -1; // a continuation byte or 0xC0, 0xC1, 0xF5..0xFF: never valid
    }
    for (int k = 1; k < length; ++k) {
        if (i + k >= text.size()) return -k;
        const unsigned char c = byte(i + k);
        if (k == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xBF)) return -k;
    }
    return length;
}

class Utf8Step final : public FieldStep {
public:
    explicit Utf8Step(bool repair) : m_repair(repair) {}

protected:
    bool edit(std::string& value, std::string& rejection) override
    {
        const size_t bad = firstInvalidUtf8(value);
        if (bad == std::string_view::npos) return false;
        if (!m_repair) {
            rejection = "invalid UTF-8 at byte " + std::to_string(bad);
            return false;
        }
        repairUtf8(value, m_scratch);
        value.swap(m_scratch);
        return true;
    }

private:
    bool m_repair;
};

} // namespace

size_t firstInvalidUtf8(std::string_view text)
{
    size_t i = firstNonAscii(text, 0);
    while (i < text.size()) {
        const int length = sequenceAt(text, i);
        if (length < 0) return i;
        i = firstNonAscii(text, i + static_cast<size_t>(length));
    }
    return std::string_view::npos;
}

void repairUtf8(std::string_view text, std::string& out)
{
    out.clear();
    out.reserve(text.size() + 8);
    size_t i = 0;
    while (i < text.size()) {
        const int length = sequenceAt(text, i);
        if (length > 0) {
            out.append(text.data() + i, static_cast<size_t>(length));
            i += static_cast<size_t>(length);
        } else {
            out.append("\xEF\xBF\xBD");
            i += static_cast<size_t>(-length);
        }
    }
}

std::unique_ptr<Step> makeUtf8Step(const StepConfig& config)
{
    return std::make_unique<Utf8Step>(config.repairUtf8);
}

} // namespace rlhf::data::cleaning
