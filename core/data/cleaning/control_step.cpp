// The control-character step: removes C0 controls (except \t, \n and \r), DEL, C1 controls,
// and the invisible characters that only hide differences between texts: zero-width space,
// non-joiner and joiner (U+200B..U+200D), word joiner (U+2060), BOM / ZWNBSP (U+FEFF) and the
// soft hyphen (U+00AD). \r is kept because it is a line break: the whitespace step turns CRLF
// and lone CR into LF, where removing it here would glue old-Mac lines together.
#include "core/data/cleaning/byte_block.h"
#include "core/data/cleaning/step.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace rlhf::data::cleaning {

namespace {

// Bytes that start something this step may remove; everything else is copied as is.
constexpr std::array<bool, 256> interestingBytes()
{
    std::array<bool, 256> table{};
    for (int c = 0; c < 0x20; ++c)
        table[c] = c != '\t' && c != '\n' && c != '\r';
    table[0x7F] = true;
    table[0xC2] = true; // U+0080..U+009F, U+00AD
    table[0xE2] = true; // U+200B..U+200D, U+2060
    table[0xEF] = true; // U+FEFF
    return table;
}
constexpr std::array<bool, 256> kInteresting = interestingBytes();

// Length of the removable character at text[i], 0 when it is to be kept.
size_t removableAt(std::string_view text, size_t i)
{
    const auto at = [&](size_t k) {
        return k < text.size() ? static_cast<unsigned char>(text[k]) : 0;
    };
    const unsigned char c = at(i);
    if (c < 0x20 || c == 0x7F) return 1; // only reached for the removable C0 ones
    if (c == 0xC2) return (at(i + 1) >= 0x80 && at(i + 1) <= 0x9F) || at(i + 1) == 0xAD ? 2 : 0;
    if (c == 0xE2) {
        if (at(i + 1) == 0x80 && at(i + 2) >= 0x8B && at(i + 2) <= 0x8D) return 3;
        if (at(i + 1) == 0x81 && at(i + 2) == 0xA0) return 3;
        return 0;
    }
    if (c == 0xEF) return at(i + 1) == 0xBB && at(i + 2) == 0xBF ? 3 : 0;
    return 0;
}

// True when some byte of `text` may start something removable: a C0 control other than \t,
// \n and \r, DEL, or the lead byte C2, E2 or EF. Most texts have none and are left untouched
// after this one read-only pass, 64 bytes a round.
bool mayHoldRemovable(std::string_view text)
{
    return !forEachBlock(text.data(), text.size(), 'x', [](const ByteBlock& block) {
        // Plain printable ASCII, by far the most common block, costs three compares.
        if ((block.atMost(0x1F) | block.nonAscii() | block.equal('\x7F')) == 0) return true;
        const uint64_t controls =
            block.atMost(0x1F) & ~block.equal('\t') & ~block.equal('\n') & ~block.equal('\r');
        const uint64_t leads =
            block.equal('\x7F') | block.equal('\xC2') | block.equal('\xE2') | block.equal('\xEF');
        return (controls | leads) == 0;
    });
}

class ControlStep final : public FieldStep {
protected:
    bool edit(std::string& value, std::string&) override
    {
        if (!mayHoldRemovable(value)) return false;
        // Compacts in place: the write index never passes the read index.
        size_t write = 0;
        bool changed = false;
        const size_t n = value.size();
        for (size_t read = 0; read < n;) {
            const unsigned char c = static_cast<unsigned char>(value[read]);
            if (kInteresting[c]) {
                if (const size_t drop = removableAt(value, read)) {
                    read += drop;
                    changed = true;
                    continue;
                }
            }
            if (changed) value[write] = value[read];
            ++write;
            ++read;
        }
        value.resize(write);
        return changed;
    }
};

} // namespace

std::unique_ptr<Step> makeControlStep()
{
    return std::make_unique<ControlStep>();
}

} // namespace rlhf::data::cleaning
