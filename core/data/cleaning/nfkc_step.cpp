// The NFKC step: Unicode compatibility normalisation through utf8proc ("ﬁ" -> "fi", fullwidth
// "Ａ" -> "A"). Pure ASCII is already NFKC, so it is detected first and never copied.
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"

namespace rlhf::data::cleaning {

namespace {

class NfkcStep final : public FieldStep {
protected:
    bool edit(std::string& value, std::string&) override
    {
        if (isAscii(value)) return false;
        // Invalid UTF-8 (no utf8 step ran before) is left for later steps rather than lost.
        if (!nfkc(value, m_scratch)) return false;
        if (m_scratch == value) return false;
        value.swap(m_scratch);
        return true;
    }
};

} // namespace

std::unique_ptr<Step> makeNfkcStep()
{
    return std::make_unique<NfkcStep>();
}

} // namespace rlhf::data::cleaning
