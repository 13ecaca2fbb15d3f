// The record shapes (Alpaca, ShareGPT, OpenAI messages, preference pairs, HH-RLHF transcripts,
// plain text): the fields a shape reads, pulled out of one row whatever its format (JSON object
// or CSV row), and how those fields become a Record. Also guesses the shape from field names.
#pragma once

#include "core/data/readers/reader.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::data {

// The canonical fields of FieldMapping, in a fixed order.
enum class Field {
    Text,
    Instruction,
    Input,
    Output,
    System,
    Conversations,
    Messages,
    Prompt,
    Chosen,
    Rejected
};
constexpr size_t kFieldCount = 10;
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "text",          "instruction", "input",  "output", "system",
    "conversations", "messages",    "prompt", "chosen", "rejected"};

// One field's value as found in a row.
struct FieldValue {
    enum class Type { Missing, String, List, Other };
    Type type = Type::Missing;
    std::string text;              // String
    std::vector<Message> messages; // List that parsed as messages
    std::string listProblemField;  // List that did not: where ("conversations[2].from") ...
    std::string listProblem;       // ... and why; empty when it parsed
    std::string_view otherType;    // Other: "number", "object", "null", ...
};

// The values a shape may need, reused from row to row so their strings keep their capacity.
struct RowFields {
    explicit RowFields(const FieldMapping& mapping);
    std::array<std::string, kFieldCount> names; // the name each field has in the file
    std::array<FieldValue, kFieldCount> values;
    FieldValue& operator[](Field field) { return values[static_cast<size_t>(field)]; }
    const FieldValue& operator[](Field field) const { return values[static_cast<size_t>(field)]; }
    const std::string& name(Field field) const { return names[static_cast<size_t>(field)]; }
    void clear(); // every value Missing
};

// Maps a role word of ShareGPT ("human", "gpt") or OpenAI ("user", "assistant") to
// "system" / "user" / "assistant"; "" when unknown.
std::string_view canonicalRole(std::string_view role);

// Fills `record` (kind, messages, text, chosen, rejected; not source) from `fields`. On failure
// returns false with the file's name of the offending field (or "") and the reason.
bool buildRecord(RecordShape shape, const RowFields& fields, Record& record,
                 std::string& problemField, std::string& reason);

RecordKind kindOfShape(RecordShape shape);

// Splits an HH-RLHF transcript ("\n\nHuman: ...\n\nAssistant: ...") into messages; false with
// a reason when it is not one.
bool parseHhTranscript(std::string_view transcript, std::vector<Message>& messages,
                       std::string& reason);

// The shape that field names suggest, given the user's mapping; for Text, the mapping gains
// the field the text is in. `chosenIsTranscript`: a first row's chosen starts "\n\nHuman:".
struct ShapeGuess {
    RecordShape shape = RecordShape::Text;
    FieldMapping mapping;
    std::string explanation; // e.g. "ShareGPT (field 'conversations')"
    bool found = false;      // false: no known field; Text on "text" is the fallback
};
ShapeGuess guessShape(const std::vector<std::string>& fields, const FieldMapping& mapping,
                      bool chosenIsTranscript);

} // namespace rlhf::data
