// Comparing tensors with hand-computed values in Qt Test: floats() builds a float32 tensor from
// row-major values, mismatch() names the first element off by more than a tolerance, and
// EXPECT_TENSOR fails the test with that message.
#pragma once

#include <ATen/ATen.h>
#include <QString>
#include <QtTest>

#include <cmath>
#include <initializer_list>
#include <vector>

namespace test_support {

// A float32 tensor of `shape` from row-major values.
inline at::Tensor floats(std::initializer_list<float> values, at::IntArrayRef shape)
{
    return at::tensor(at::ArrayRef<float>(values.begin(), values.size())).reshape(shape);
}

// An empty string when `actual` (any shape, read row-major) equals `expected` within `tolerance`,
// else a message naming the first differing element.
inline QString mismatch(const at::Tensor& actual, const std::vector<double>& expected,
                        double tolerance = 1e-5)
{
    const at::Tensor flat = actual.detach().to(at::kDouble).contiguous().view({-1});
    if (flat.numel() != int64_t(expected.size()))
        return QStringLiteral("%1 elements, expected %2").arg(flat.numel()).arg(expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const double value = flat[int64_t(i)].item<double>();
        if (!(std::abs(value - expected[i]) <= tolerance))
            return QStringLiteral("element %1: %2, expected %3").arg(i).arg(value).arg(expected[i]);
    }
    return {};
}

inline bool near(double actual, double expected, double tolerance = 1e-5)
{
    return std::abs(actual - expected) <= tolerance;
}

} // namespace test_support

#define EXPECT_TENSOR(actual, ...)                                                                 \
    do {                                                                                           \
        const QString problem = test_support::mismatch(actual, __VA_ARGS__);                       \
        QVERIFY2(problem.isEmpty(), qPrintable(problem));                                          \
    } while (false)
