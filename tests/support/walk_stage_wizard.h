// Walks the open stage wizard as a user would for a quick run: a name, many steps (room to
// pause, resume and cancel), evaluation every 5 steps, the tiny model shape on one thread (the
// GUI flow is under test: on a shared 2-core machine the default small shape on two threads took
// 157 s for its first 10 steps), then Next with the defaults to the last page. The caller
// accepts it (Start run). Returns false, after a test failure, when a page refused Next.
#pragma once

#include "widgets/stagewizard/stagewizard.h"

#include <QtTest>

namespace test_support {

inline bool walkToTinyRun(rlhf::widgets::StageWizard& wizard, const QString& runName)
{
    wizard.setField("runName", runName);
    wizard.setField("steps", 100000);
    wizard.setField("evalEvery", 5);
    wizard.setField("preset", "tiny");
    wizard.setField("threads", 1);
    while (wizard.currentId() != wizard.pageIds().last()) {
        const int before = wizard.currentId();
        wizard.next();
        if (!QTest::qVerify(wizard.currentId() != before, "wizard.next()",
                            "the wizard refused Next with defaults", __FILE__, __LINE__))
            return false;
    }
    return true;
}

} // namespace test_support
