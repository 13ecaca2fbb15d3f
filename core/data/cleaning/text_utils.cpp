// ASCII detection, code point counting and the dedup normal form. The UTF-8 validator and
// repairer live in utf8_step.cpp beside the step that uses them most.
#include "core/data/cleaning/text_utils.h"
#include "core/data/cleaning/byte_block.h"

#include <utf8proc.h>

#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rlhf::data::cleaning {

bool isAscii(std::string_view text)
{
    return forEachBlock(text.data(), text.size(), 'x',
                        [](const ByteBlock& block) { return block.nonAscii() == 0; });
}

int64_t countCodePoints(std::string_view text)
{
    int64_t count = 0;
    for (unsigned char c : text)
        count += (c & 0xC0) != 0x80;
    return count;
}

namespace {

// utf8proc's NFKC (and casefold) of one piece, appended to `out`.
bool mapPiece(std::string_view piece, std::string& out, bool casefold)
{
    int options = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE;
    if (casefold) options |= UTF8PROC_CASEFOLD;
    utf8proc_uint8_t* mapped = nullptr;
    const utf8proc_ssize_t length =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(piece.data()),
                     static_cast<utf8proc_ssize_t>(piece.size()), &mapped,
                     static_cast<utf8proc_option_t>(options));
    if (length < 0) return false; // utf8proc_map frees nothing on failure: mapped stays null
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(mapped, &std::free);
    out.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(length));
    return true;
}

void appendAscii(std::string_view ascii, std::string& out, bool lower)
{
    if (!lower) {
        out.append(ascii);
        return;
    }
    const size_t at = out.size();
    out.resize(at + ascii.size());
    char* o = out.data() + at;
    for (unsigned char c : ascii)
        *o++ = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

// True when `run` holds only U+00C0..U+00FF (bytes C3 80..C3 BF), the Latin-1 letters of
// French, German, Spanish...: they are NFKC already, and with no combining mark in the run
// nothing composes with them.
bool latin1Letters(std::string_view run)
{
    if (run.size() % 2 != 0) return false;
    for (size_t i = 0; i < run.size(); i += 2)
        if (run[i] != '\xC3' || static_cast<unsigned char>(run[i + 1]) < 0x80 ||
            static_cast<unsigned char>(run[i + 1]) > 0xBF)
            return false;
    return true;
}

// Appends a latin1Letters() run, casefolded as utf8proc would: À..Þ -> à..þ (not ×), ß -> ss.
void appendLatin1(std::string_view run, std::string& out, bool casefold)
{
    if (!casefold) {
        out.append(run);
        return;
    }
    for (size_t i = 0; i < run.size(); i += 2) {
        const auto second = static_cast<unsigned char>(run[i + 1]);
        if (second == 0x9F) {
            out.append("ss");
        } else {
            out.push_back('\xC3');
            out.push_back(
                static_cast<char>(second <= 0x9E && second != 0x97 ? second + 0x20 : second));
        }
    }
}

} // namespace

size_t firstNonAscii(std::string_view text, size_t i)
{
    for (; i + ByteBlock::kSize <= text.size(); i += ByteBlock::kSize)
        if (const uint64_t high = ByteBlock(text.data() + i).nonAscii())
            return i + static_cast<size_t>(std::countr_zero(high));
    while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80)
        ++i;
    return i;
}

bool nfkc(std::string_view text, std::string& out, bool casefold)
{
    // utf8proc costs ~100 ns a character, so only the non-ASCII runs go through it. That is
    // exact: every ASCII character is a normalisation boundary (a starter that never composes
    // with what precedes it), so NFKC of the text is NFKC of the pieces between boundaries.
    // The ASCII character just before a run goes with it, as it may compose with the run's
    // combining marks ("e" + U+0301 -> "é").
    out.clear();
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const size_t run = firstNonAscii(text, i);
        if (run == text.size()) {
            appendAscii(text.substr(i), out, casefold);
            break;
        }
        const size_t runStart = run > i ? run - 1 : run;
        appendAscii(text.substr(i, runStart - i), out, casefold);
        size_t runEnd = run;
        while (runEnd < text.size() && static_cast<unsigned char>(text[runEnd]) >= 0x80)
            ++runEnd;
        if (latin1Letters(text.substr(run, runEnd - run))) {
            appendAscii(text.substr(runStart, run - runStart), out, casefold);
            appendLatin1(text.substr(run, runEnd - run), out, casefold);
        } else if (!mapPiece(text.substr(runStart, runEnd - runStart), out, casefold)) {
            return false;
        }
        i = runEnd;
    }
    return true;
}

namespace {

// Byte -> its dedup form: ASCII letters lowered, ASCII white space -> ' ', others as they are.
constexpr std::array<char, 256> foldTable()
{
    std::array<char, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    for (char c : {'\t', '\n', '\r', '\f', '\v'})
        table[static_cast<unsigned char>(c)] = ' ';
    return table;
}
constexpr std::array<char, 256> kFold = foldTable();

// Appends `text` with ASCII letters lowered and white space runs collapsed to one space,
// trimmed. Lowering is exactly
// NFKC-casefold on ASCII, which is why ASCII needs no utf8proc call. Branch-free: every byte
// is written, and the write position advances unless it repeats a space.
void collapseLowered(std::string_view text, std::string& out)
{
    const size_t at = out.size();
    out.resize(at + text.size()); // the result is never longer
    char* const begin = out.data() + at;
    char* o = begin;
    int previousSpace = 1; // drops leading space
    for (unsigned char c : text) {
        const char folded = kFold[c];
        const int space = folded == ' ';
        *o = folded;
        o += !(space & previousSpace);
        previousSpace = space;
    }
    if (o != begin && o[-1] == ' ') --o;
    out.resize(at + static_cast<size_t>(o - begin));
}

// What one pass over the text found: whether it is ASCII, and whether its white space is
// already collapsed (no run of two, nothing white at either end).
struct AsciiScan {
    bool ascii = true;
    bool collapsed = true; // when false, the white space may still be collapsed: only a hint
};

// One pass over `text`; with `stopAtNonAscii`, it ends (ascii = false, collapsed unknown) at
// the first non-ASCII byte, else it judges the white space of any UTF-8.
AsciiScan scanForDedup(std::string_view text, bool stopAtNonAscii)
{
    AsciiScan scan;
    if (text.empty()) return scan;
    scan.collapsed = static_cast<unsigned char>(text.front()) > ' ' &&
                     static_cast<unsigned char>(text.back()) > ' ';
    uint64_t lastWhite = 0;
    forEachBlock(text.data(), text.size(), 'x', [&](const ByteBlock& block) {
        if (block.nonAscii() != 0) {
            scan.ascii = false;
            if (stopAtNonAscii) return false;
        }
        // White space is \t \n \v \f \r (0x09..0x0D) and ' '; every byte <= ' ' is taken for
        // it here, one compare instead of three: a control byte beside a space only sends the
        // text down the exact (slower) collapse.
        const uint64_t white = block.atMost(' ');
        if ((white & ((white << 1) | (lastWhite >> 63))) != 0) scan.collapsed = false;
        lastWhite = white;
        return true;
    });
    return scan;
}

// Appends `text` with ASCII letters lowered and each ASCII white space byte turned into ' '
// (other bytes as they are), 16 bytes a round with SSE2, else 8 bytes a round where they are
// ASCII: for bytes below 0x80, adding (0x80 - lo) sets a byte's top bit exactly when it is
// >= lo, with no carry into the next byte.
void appendFolded(std::string_view text, std::string& out)
{
    const size_t at = out.size();
    out.resize(at + text.size());
    char* o = out.data() + at;
    constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const auto atLeast = [&](uint64_t word, unsigned lo) { return (word + ones * (0x80 - lo)); };
    size_t i = 0;
#if defined(__SSE2__)
    // 16 bytes a round where SSE2 is there (every x86-64). Signed compares: bytes >= 0x80 are
    // negative, never in a range, and stay as they are.
    const auto between = [](__m128i v, char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    for (; i + 16 <= text.size(); i += 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        const __m128i upper = between(v, 'A', 'Z'), white = between(v, 0x09, 0x0D);
        v = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        v = _mm_or_si128(_mm_andnot_si128(white, v), _mm_and_si128(white, _mm_set1_epi8(' ')));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i), v);
    }
#endif
    for (; i + 8 <= text.size(); i += 8) {
        uint64_t word;
        std::memcpy(&word, text.data() + i, 8);
        if ((word & highs) != 0) break; // non-ASCII: the byte loop below is right for any byte
        const uint64_t upper = atLeast(word, 'A') & ~atLeast(word, 'Z' + 1) & highs;
        const uint64_t white = atLeast(word, 0x09) & ~atLeast(word, 0x0E) & highs;
        const uint64_t whiteBytes = (white >> 7) * 0xFF;
        word = ((word | (upper >> 2)) & ~whiteBytes) | (whiteBytes & (ones * ' '));
        std::memcpy(o + i, &word, 8);
    }
    for (; i < text.size(); ++i)
        o[i] = kFold[static_cast<unsigned char>(text[i])];
}

} // namespace

void normaliseForDedup(std::string_view text, std::string& out)
{
    out.clear();
    const AsciiScan scan = scanForDedup(text, /*stopAtNonAscii=*/true);
    if (scan.ascii) {
        // Usually the whitespace step has run, and folding byte for byte is the whole job.
        if (scan.collapsed) {
            appendFolded(text, out);
        } else {
            collapseLowered(text, out);
        }
        return;
    }
    thread_local std::string valid, folded;       // reused: no allocation per record
    if (!nfkc(text, folded, /*casefold=*/true)) { // not UTF-8: normalise its repaired form
        repairUtf8(text, valid);
        if (!nfkc(valid, folded, /*casefold=*/true)) folded = valid;
    }
    // Non-ASCII white space (NBSP, ideographic space) became U+0020 under NFKC already.
    if (scanForDedup(folded, /*stopAtNonAscii=*/false).collapsed) {
        appendFolded(folded, out);
    } else {
        collapseLowered(folded, out);
    }
}

} // namespace rlhf::data::cleaning
