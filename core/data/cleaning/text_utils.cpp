// ASCII detection, code point counting and the dedup normal form. The UTF-8 validator and
// repairer live in utf8_step.cpp beside the step that uses them most.
#include "core/data/cleaning/text_utils.h"

#include <utf8proc.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace rlhf::data::cleaning {

bool isAscii(std::string_view text)
{
    const char* p = text.data();
    size_t n = text.size();
    uint64_t any = 0;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        any |= word;
    }
    for (; n > 0; ++p, --n)
        any |= static_cast<unsigned char>(*p);
    return (any & 0x8080808080808080ULL) == 0;
}

int64_t countCodePoints(std::string_view text)
{
    int64_t count = 0;
    for (unsigned char c : text)
        count += (c & 0xC0) != 0x80;
    return count;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool nfkc(std::string_view text, std::string& out, bool casefold)
{
    int options = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE;
    if (casefold) options |= UTF8PROC_CASEFOLD;
    utf8proc_uint8_t* mapped = nullptr;
    const utf8proc_ssize_t length =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                     static_cast<utf8proc_ssize_t>(text.size()), &mapped,
                     static_cast<utf8proc_option_t>(options));
    if (length < 0) return false; // utf8proc_map frees nothing on failure: mapped stays null
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(mapped, &std::free);
    out.assign(reinterpret_cast<const char*>(mapped), static_cast<size_t>(length));
    return true;
}

namespace {

// Appends `text` with ASCII letters lowered and whitespace runs collapsed to one space; the
// caller trims. Lowering here is exactly NFKC-casefold on ASCII, which is why the fast path
// needs no utf8proc call.
void collapseLowered(std::string_view text, std::string& out)
{
    bool pendingSpace = false;
    for (unsigned char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace) {
            out.push_back(' ');
            pendingSpace = false;
        }
        out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
}

} // namespace

void normaliseForDedup(std::string_view text, std::string& out)
{
    out.clear();
    if (isAscii(text)) {
        collapseLowered(text, out);
        return;
    }
    std::string valid;
    if (firstInvalidUtf8(text) != std::string_view::npos) {
        repairUtf8(text, valid);
        text = valid;
    }
    std::string folded;
    if (!nfkc(text, folded, /*casefold=*/true)) folded.assign(text);
    // Non-ASCII white space (NBSP, ideographic space) became U+0020 under NFKC already.
    collapseLowered(folded, out);
}

} // namespace rlhf::data::cleaning
