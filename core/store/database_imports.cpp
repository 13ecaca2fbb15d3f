// Database: the marks of imports under way.
#include "core/store/database.h"

#include "core/store/process_tag.h"
#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

namespace rlhf::store {

void Database::markImportStarted(Id dataset, int64_t firstOrdinal, Id lastRejected,
                                 bool createdDataset)
{
    withContext(context("starting the import into dataset " + std::to_string(dataset)), [&] {
        Transaction transaction(handle());
        Statement existing(handle(), "SELECT owner FROM imports_under_way WHERE dataset = ?");
        existing.bindAll(dataset);
        if (existing.step()) {
            const std::string owner(existing.columnText(0));
            if (processState(owner) != ProcessState::Gone)
                throw Error("another process is importing into this dataset (" + owner +
                            "); wait for it to finish");
        }
        existing.reset();
        Statement mark(handle(), "INSERT OR REPLACE INTO imports_under_way (dataset, owner, "
                                 "first_ordinal, last_rejected, created_dataset) "
                                 "VALUES (?, ?, ?, ?, ?)");
        mark.bindAll(dataset, thisProcessTag(), firstOrdinal, lastRejected,
                     int64_t(createdDataset ? 1 : 0));
        mark.run();
        transaction.commit();
    });
}

void Database::markImportFinished(Id dataset)
{
    withContext(context("finishing the import into dataset " + std::to_string(dataset)), [&] {
        Statement clear(handle(), "DELETE FROM imports_under_way WHERE dataset = ?");
        clear.bindAll(dataset);
        clear.run();
    });
}

std::vector<ImportUnderWay> Database::importsUnderWay() const
{
    return withContext(context("listing imports under way"), [&] {
        Statement query(handle(), "SELECT dataset, owner, first_ordinal, last_rejected, "
                                  "created_dataset FROM imports_under_way ORDER BY dataset");
        std::vector<ImportUnderWay> result;
        while (query.step())
            result.push_back({query.columnInt64(0), std::string(query.columnText(1)),
                              query.columnInt64(2), query.columnInt64(3),
                              query.columnInt64(4) != 0});
        return result;
    });
}

} // namespace rlhf::store
