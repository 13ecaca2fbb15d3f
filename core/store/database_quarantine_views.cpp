// Database: summary reads of the import quarantine for the studio's dataset page (which steps
// turned rows away, and how many each), without reading the rows themselves.
#include "core/store/database.h"

#include "core/store/statement.h"
#include "core/util/error.h"

namespace rlhf::store {

std::vector<std::pair<std::string, int64_t>> Database::rejectedSteps(Id dataset) const
{
    return withContext(context("counting rejected rows by step"), [&] {
        Statement query(handle(), "SELECT step, COUNT(*) FROM rejected_rows WHERE dataset = ?"
                                  " AND restored_as IS NULL GROUP BY step ORDER BY step");
        query.bindAll(dataset);
        std::vector<std::pair<std::string, int64_t>> steps;
        while (query.step())
            steps.emplace_back(std::string(query.columnText(0)), query.columnInt64(1));
        return steps;
    });
}

} // namespace rlhf::store
