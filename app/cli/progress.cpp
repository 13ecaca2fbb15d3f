#include "app/cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace rlhf::cli {

namespace {

std::string format(const char* pattern, double value)
{
    char text[64];
    std::snprintf(text, sizeof(text), pattern, value);
    return text;
}

} // namespace

ProgressPrinter::ProgressPrinter(std::ostream& log)
    : m_log(log), m_terminal(isatty(STDERR_FILENO) == 1)
{
}

ProgressPrinter::~ProgressPrinter()
{
    if (m_barShown) std::cerr << std::endl;
}

void ProgressPrinter::clearBar()
{
    if (m_barShown) std::cerr << "\r\033[K";
    m_barShown = false;
}

void ProgressPrinter::onMetrics(const train::StepMetrics& metrics)
{
    for (const auto& [name, value] : metrics.values)
        m_latest[name] = value;
}

void ProgressPrinter::onLog(const std::string& line)
{
    clearBar();
    m_log << line << std::endl;
}

void ProgressPrinter::onProgress(int64_t step, int64_t total)
{
    if (!m_terminal) return;
    const auto now = std::chrono::steady_clock::now();
    if (step < total && now - m_lastDraw < std::chrono::milliseconds(100)) return;
    m_lastDraw = now;
    const int width = 30;
    const int filled = total > 0 ? int(width * step / total) : 0;
    std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    std::string text = "\r\033[K" + bar + " " + std::to_string(step) + "/" + std::to_string(total);
    if (m_latest.count("train/loss")) text += "  loss " + format("%.4f", m_latest["train/loss"]);
    if (m_latest.count("train/tokens_per_s"))
        text += "  " + format("%.0f", m_latest["train/tokens_per_s"]) + " tok/s";
    if (step > 0)
        text += "  eta " + format("%.0f", elapsed / double(step) * double(total - step)) + " s";
    std::cerr << text << std::flush;
    m_barShown = true;
}

void ProgressPrinter::onCheckpoint(const std::string& path, int64_t step)
{
    onLog("checkpoint at step " + std::to_string(step) + ": " + path);
}

} // namespace rlhf::cli
