// FieldStep: runs a step's per-field edit over every text field of a record, in record.h's
// fixed field order, and turns a rejection into the record's removal naming that field.
#include "core/data/cleaning/step.h"

namespace rlhf::data::cleaning {

Outcome FieldStep::apply(Record& record, int64_t, Verdict& verdict)
{
    bool changed = false;
    std::string rejection;
    std::string rejectedField;
    const auto visit = [&](std::string_view field, std::string& value) {
        if (!rejection.empty()) return; // the record is already going; leave the rest as is
        changed |= edit(value, rejection);
        if (!rejection.empty()) rejectedField = field;
    };
    // A plain text has one field: called directly, as a std::function would allocate room for
    // this capture on every call, four steps a record.
    if (record.kind == RecordKind::Text && record.messages.empty()) {
        visit("text", record.text);
    } else {
        forEachField(record, visit);
    }
    if (!rejection.empty()) {
        verdict.field = rejectedField;
        verdict.reason = std::move(rejection);
        return Outcome::Removed;
    }
    return changed ? Outcome::Changed : Outcome::Unchanged;
}

} // namespace rlhf::data::cleaning
