// The stage wizard's number fields take their limits from the stage documents' range table
// (core/train/option_ranges.h): every spin box and number field offers exactly what a document
// may hold (an int spin box up to INT_MAX), so the wizard and the documents cannot drift apart.
#include "widgets/stagewizard/stagewizard.h"

#include "core/store/project.h"
#include "core/train/option_ranges.h"

#include <QDoubleSpinBox>
#include <QDoubleValidator>
#include <QLineEdit>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

using rlhf::Bound;
using rlhf::ValueRange;
using rlhf::widgets::StageWizard;
namespace ranges = rlhf::train::ranges;

namespace {

template <typename Widget> Widget* child(const QWidget& parent, const char* name)
{
    auto* widget = parent.findChild<Widget*>(QLatin1String(name));
    if (!widget) qFatal("no widget named %s", name);
    return widget;
}

// The int limits a spin box can offer for `range`.
std::pair<int, int> intLimits(const ValueRange& range)
{
    const double most = std::numeric_limits<int>::max();
    const double low = range.low == Bound::Open ? range.minimum + 1 : range.minimum;
    const double high = range.high == Bound::Open ? range.maximum - 1 : range.maximum;
    return {int(std::min(low, most)), int(std::min(high, most))};
}

} // namespace

class TestWizardRanges : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyNumberFieldHasItsDocumentRange()
    {
        QTemporaryDir dir;
        const auto root = dir.filePath(QStringLiteral("project")).toStdString();
        rlhf::store::Project::create(root);
        const StageWizard wizard(QString::fromStdString(root), /*gpus=*/{});

        const std::pair<const char*, ValueRange> spinBoxes[] = {
            {"warmupSteps", ranges::warmupSteps},
            {"steps", ranges::steps},
            {"batchSize", ranges::batchSize},
            {"gradAccumulation", ranges::gradAccumulation},
            {"layers", ranges::layers},
            {"heads", ranges::heads},
            {"kvHeads", ranges::kvHeads},
            {"dim", ranges::dim},
            {"contextLength", ranges::contextLength},
            {"threads", ranges::threads},
            {"evalEvery", ranges::evalEvery},
            {"checkpointEvery", ranges::checkpointEvery},
            {"maxLength", ranges::maxLength},
            {"loraRank", ranges::loraRank},
            {"maxNewTokens", ranges::rolloutTokens},
            {"topK", ranges::topK},
            {"groupSize", ranges::groupSize},
            {"policyEpochs", ranges::epochs},
            {"minibatchSize", ranges::minibatchSize},
            {"evalPrompts", ranges::evalPrompts},
        };
        for (const auto& [name, range] : spinBoxes) {
            const auto* box = child<QSpinBox>(wizard, name);
            const auto [low, high] = intLimits(range);
            QVERIFY2(box->minimum() == low && box->maximum() == high,
                     qPrintable(QStringLiteral("%1: %2 to %3, the table %4 to %5")
                                    .arg(name)
                                    .arg(box->minimum())
                                    .arg(box->maximum())
                                    .arg(low)
                                    .arg(high)));
        }

        const std::pair<const char*, ValueRange> numberFields[] = {
            {"lr", ranges::lr},
            {"minLr", ranges::minLr},
            {"weightDecay", ranges::weightDecay},
            {"gradClip", ranges::gradClip},
            {"dpoBeta", ranges::dpoBeta},
            {"rewardModelWeight", ranges::rewardWeight},
            {"missingEosPenalty", ranges::rewardWeight},
            {"temperature", ranges::rolloutTemperature},
            {"topP", ranges::topP},
            {"klCoef", ranges::klCoef},
            {"klTarget", ranges::klTarget},
            {"klHorizon", ranges::klHorizon},
            {"clipRange", ranges::clipRange},
            {"valueLr", ranges::valueLr},
            {"valueClipRange", ranges::valueClipRange},
            {"gamma", ranges::discount},
            {"lambda", ranges::discount},
            {"ptxCoef", ranges::ptxCoef},
        };
        for (const auto& [name, range] : numberFields) {
            const auto* validator =
                qobject_cast<const QDoubleValidator*>(child<QLineEdit>(wizard, name)->validator());
            QVERIFY2(validator, name);
            QVERIFY2(validator->bottom() == range.minimum && validator->top() == range.maximum,
                     qPrintable(QStringLiteral("%1: %2 to %3")
                                    .arg(name)
                                    .arg(validator->bottom())
                                    .arg(validator->top())));
        }

        // LoRA's real-valued boxes: an open end moves in by one step of the box's decimals.
        for (const auto& [name, range] : {std::pair{"loraAlpha", ranges::loraAlpha},
                                          std::pair{"loraDropout", ranges::loraDropout}}) {
            const auto* box = child<QDoubleSpinBox>(wizard, name);
            const double step = std::pow(10.0, -box->decimals());
            QCOMPARE(box->minimum(),
                     range.low == Bound::Open ? range.minimum + step : range.minimum);
            QCOMPARE(box->maximum(),
                     range.high == Bound::Open ? range.maximum - step : range.maximum);
        }
    }
};

QTEST_MAIN(TestWizardRanges)
#include "test_wizard_ranges.moc"
