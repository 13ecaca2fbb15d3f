// The cleaning pipeline: an ordered, configurable list of steps that edit records (normalise,
// strip, scrub) or remove them (too short, wrong language, blocklisted, duplicate). Each step
// counts what it examined, changed and removed; a removed record comes back with the step, the
// reason and, for duplicates, the id of the record it duplicates, for the quarantine.
#pragma once

#include "core/data/record.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rlhf::text {
class Tokenizer;
}

namespace rlhf::data {

enum class StepKind {
    Utf8,       // invalid UTF-8: reject the record, or repair (each bad sequence -> U+FFFD)
    Nfkc,       // Unicode NFKC (utf8proc)
    Control,    // remove control characters (except \n and \t) and zero-width characters
    Whitespace, // trim lines, collapse runs of spaces/tabs, at most one blank line, CRLF -> LF
    Html,       // strip tags, comments, <script>/<style> bodies; decode character entities
    Length,     // min / max length in characters and in tokens (tokens need a tokenizer)
    Language,   // keep only the given languages (CLD2), with a minimum confidence
    Pii,        // e-mails, phone numbers, IP addresses, card numbers -> <EMAIL> <PHONE> <IP> <CARD>
    Blocklist,  // remove records containing any of the user's words or phrases (case-insensitive)
    ExactDedup, // xxHash64 of the normalised text (NFKC-casefolded, whitespace collapsed)
    NearDedup,  // MinHash over word shingles + LSH bands, at a Jaccard threshold
};

std::string_view stepKindName(StepKind kind);  // "utf8", "nfkc", "control", ... "near_dedup"
StepKind parseStepKind(std::string_view word); // throws rlhf::Error on unknown words

struct StepConfig {
    StepKind kind = StepKind::Utf8;
    bool repairUtf8 = true;               // Utf8: true = repair, false = reject
    int64_t minChars = 0, maxChars = 0;   // Length: in code points; 0 = no bound
    int64_t minTokens = 0, maxTokens = 0; // Length: 0 = no bound; nonzero needs a tokenizer
    std::vector<std::string> languages;   // Language: ISO 639-1 codes to keep, e.g. {"en"}
    double minLanguageConfidence = 0.5;   // Language: below this the record is "unknown"
    bool keepUnknownLanguage = false;     // Language: keep text CLD2 cannot identify
    std::vector<std::string> piiTypes = {"email", "phone", "ip", "card"}; // Pii: which to scrub
    std::vector<std::string> blocklist; // Blocklist: words or phrases
    // NearDedup: 3-word shingles at Jaccard 0.5 find copies with 5% of words edited (recall
    // 0.99 on Genesis, test_cleaning_dedup) while distinct passages share at most 0.3.
    double jaccardThreshold = 0.5; // NearDedup: remove at estimated Jaccard >= this
    int shingleWords = 3;          // NearDedup: words per shingle
    int permutations = 128;        // NearDedup: MinHash signature length
};

// The recipe's "cleaning" part: {"steps": [{"step": "nfkc"}, {"step": "length", "min_chars":
// 20}, ...]}. Parsed strictly (unknown keys are errors, with their JSON path).
struct CleaningConfig {
    std::vector<StepConfig> steps;
    static CleaningConfig defaults(); // utf8 repair, nfkc, control, whitespace, exact_dedup
    static CleaningConfig fromJson(std::string_view json);
    std::string toJson() const;
};

// What the pipeline decided about one record.
struct Verdict {
    bool keep = true;
    std::string step;                   // the removing step's name, e.g. "near_dedup"
    std::string field;                  // the field that decided it, "" for the whole record
    std::string reason;                 // e.g. "language fr (0.97) not in [en]"
    std::optional<int64_t> duplicateOf; // ExactDedup / NearDedup: the kept record's id
};

struct StepReport {
    std::string step;     // e.g. "pii"
    int64_t examined = 0; // records that reached this step
    int64_t changed = 0;  // records it edited
    int64_t removed = 0;  // records it removed
    // The step's own tallies, e.g. Pii: {"email", 3}, {"phone", 1}, ... (replacements).
    std::vector<std::pair<std::string, int64_t>> counts;
};

// Not thread-safe: one pipeline per import. Memory grows only with the dedup indexes: about
// 16-46 bytes per kept record for exact dedup (a 16-byte slot, table at most 70% full), and
// for near dedup the signature's low bytes (1 x permutations bytes), an 8-byte id, and about
// 8-23 bytes per LSH band.
class CleaningPipeline {
public:
    // `tokenizer` may be null unless a Length step has token bounds (then: rlhf::Error).
    explicit CleaningPipeline(CleaningConfig config, const text::Tokenizer* tokenizer = nullptr);
    ~CleaningPipeline();
    CleaningPipeline(CleaningPipeline&&) noexcept;
    CleaningPipeline& operator=(CleaningPipeline&&) noexcept;

    // Runs the steps in order on `record`, editing it in place; stops at the first removal.
    // `id` identifies the record to later duplicates (the importer passes its ordinal).
    Verdict process(Record& record, int64_t id);
    // Whether any step remembers records (the dedup steps).
    bool remembers() const;
    // Shows `record` to the steps that remember (and only to them), as a record kept earlier
    // with the id `id`: later copies of it are then removed as its duplicates. For documents a
    // dataset holds before an import appends to it. Counts nothing in the report.
    void remember(Record& record, int64_t id);

    std::vector<StepReport> report() const; // one per step, in pipeline order
    size_t indexBytes() const;              // memory held by the dedup indexes

private:
    struct State;
    std::unique_ptr<State> m_state;
};

enum class Split { Train, Val, Test };
std::string_view splitName(Split split); // "train", "val", "test"
Split parseSplit(std::string_view word);

struct SplitConfig {
    double valFraction = 0.05; // e.g. 0.05
    double testFraction = 0.0; // e.g. 0.01
    uint64_t seed = 0;         // another seed, another (equally sized) split
};

// Deterministic by a hash of the record's normalised text: the same record lands in the same
// split in every import, whatever the file order, and exact duplicates never straddle splits.
Split assignSplit(const Record& record, const SplitConfig& config);

} // namespace rlhf::data
