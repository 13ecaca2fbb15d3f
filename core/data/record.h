// One imported example, whatever file format and record shape it came from: a plain text, a
// chat (a dialogue of system / user / assistant messages), or a preference pair (a prompt
// dialogue with a chosen and a rejected assistant reply). Readers produce Records, the cleaning
// pipeline edits or removes them, the importer stores them as documents.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::data {

enum class RecordKind {
    Text,       // pretraining and tokenizer text
    Chat,       // a dialogue for supervised fine-tuning
    Preference, // prompt + chosen + rejected, for reward models and DPO
};

// The stored words "text", "chat", "preference" (the same as store::DatasetKind's), and back;
// parseRecordKind throws rlhf::Error on an unknown word.
std::string_view recordKindName(RecordKind kind);
RecordKind parseRecordKind(std::string_view word);

struct Message {
    std::string role;    // "system", "user" or "assistant"
    std::string content; // UTF-8
    bool operator==(const Message&) const = default;
};

// Where a record (or a problem) is in its input: the file as the user named it and the 1-based
// line of its first byte.
struct SourceLocation {
    std::string file;
    int64_t line = 0;
    bool operator==(const SourceLocation&) const = default;
};

struct Record {
    RecordKind kind = RecordKind::Text;
    std::string text;              // Text: the document
    std::vector<Message> messages; // Chat: the dialogue; Preference: the prompt (ends with user)
    std::string chosen, rejected;  // Preference: the two assistant replies
    SourceLocation source;
    bool operator==(const Record&) const = default;
};

// A row that a reader could not turn into a Record. Never fatal: it goes to the quarantine and
// reading goes on with the next row.
struct ReadProblem {
    SourceLocation source;
    std::string field;  // the offending field ("text", "conversations[2].value"); "" = whole row
    std::string reason; // e.g. "invalid JSON: unclosed string"
    std::string raw;    // the row's bytes as found (maybe not UTF-8), cut to at most 4 KiB
};

// Calls `visit(field, value)` for every string of the record a cleaning step may edit, in a
// fixed order: "text"; "messages[i].content"; "chosen"; "rejected".
void forEachField(Record& record,
                  const std::function<void(std::string_view field, std::string& value)>& visit);
void forEachField(
    const Record& record,
    const std::function<void(std::string_view field, const std::string& value)>& visit);

// All text of the record joined with '\n' (message contents, then chosen, then rejected): what
// deduplication, language detection and length filters look at.
std::string joinedText(const Record& record);

// The documents table holds a Text record as its text, and the other kinds as compact JSON:
//   Chat:       {"messages":[{"role":"user","content":"..."}, ...]}
//   Preference: {"prompt":[{"role":"user","content":"..."}],"chosen":"...","rejected":"..."}
// toDocumentText and fromDocumentText are exact inverses; fromDocumentText throws rlhf::Error
// on a document that is not of that shape.
std::string toDocumentText(const Record& record);
Record fromDocumentText(RecordKind kind, std::string_view document, SourceLocation source = {});

} // namespace rlhf::data
