// A compiled pre-tokenizer regex (PCRE2 with UTF, UCP and JIT) that matches the way HF tokenizers'
// Oniguruma does: before compiling, \s, \p{L} and \p{N} are rewritten to the exact character sets
// tokenizers 0.21 uses (its Unicode is newer than PCRE2 10.42's). Not a general regex wrapper.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace rlhf::text {

class Regex {
public:
    // Compiles an HF-style (Oniguruma syntax) pattern; throws rlhf::Error naming the offset of a
    // syntax error. `literal` true matches `pattern` as plain text (HF's Split "String" pattern).
    explicit Regex(std::string pattern, bool literal = false);
    ~Regex();
    Regex(Regex&& other) noexcept;
    Regex& operator=(Regex&& other) noexcept;
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // The pattern as given (what tokenizer.json stores).
    const std::string& pattern() const { return m_pattern; }
    bool isLiteral() const { return m_literal; }

    // HF's Split with behavior Isolated: emits every match and every gap between matches, in
    // order, none empty. `subject` must be valid UTF-8 (it is not checked again, for speed).
    // Thread-safe: each call uses its own match data.
    void splitIsolated(std::string_view subject,
                       const std::function<void(std::string_view)>& emit) const;

private:
    struct Compiled;
    std::string m_pattern;
    bool m_literal = false;
    std::unique_ptr<Compiled> m_compiled; // owned PCRE2 code
};

// The PCRE2 pattern that behaves like Oniguruma's reading of `pattern` (exposed for tests).
// Throws rlhf::Error for constructs it cannot translate faithfully, e.g. \S inside [...].
std::string toPcre2Pattern(std::string_view pattern);

} // namespace rlhf::text
