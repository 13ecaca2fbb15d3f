// The system line under the dashboard's controls (see systempanel.h).
#include "widgets/window/systempanel.h"

#include "core/model/torch_runtime.h"
#include "core/util/cpu_features.h"

#include <QLocale>
#include <QProcess>

namespace rlhf::widgets {

namespace {
constexpr int kRefreshMs = 2000;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
} // namespace

SystemPanel::SystemPanel(QWidget* parent) : QLabel(parent)
{
    setObjectName("systemPanel");
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // never widens the window
    setToolTip(tr("The studio and every process it started (a run's ranks): CPU (100% = one "
                  "busy core) and resident memory; GPUs as nvidia-smi reports them"));
    m_clock.start();
    m_timer.setInterval(kRefreshMs);
    connect(&m_timer, &QTimer::timeout, this, &SystemPanel::refreshNow);
}

SystemPanel::~SystemPanel()
{
    if (m_smi) {
        m_smi->disconnect(this);
        m_smi->kill();
        m_smi->waitForFinished(1000);
    }
}

void SystemPanel::setGpuCount(int gpus)
{
    m_gpus = gpus;
    render();
}

void SystemPanel::showEvent(QShowEvent* event)
{
    QLabel::showEvent(event);
    refreshNow();
    m_timer.start();
}

void SystemPanel::hideEvent(QHideEvent* event)
{
    QLabel::hideEvent(event);
    m_timer.stop();
}

void SystemPanel::refreshNow()
{
    ProcessUsage total;
    int processes = 0;
    std::vector<int64_t> pids = descendantProcesses();
    pids.insert(pids.begin(), 0); // this process first
    for (const int64_t pid : pids) {
        if (const auto usage = processUsage(pid)) {
            total.cpuSeconds += usage->cpuSeconds;
            total.residentBytes += usage->residentBytes;
            ++processes;
        }
    }
    const double now = double(m_clock.nsecsElapsed()) / 1e9;
    // A process that exited between readings takes its CPU time with it: no negative share.
    if (m_last && now > m_lastAt)
        m_cpuPercent = std::max(0.0, cpuPercent(*m_last, total, now - m_lastAt));
    m_last = total;
    m_lastAt = now;
    m_residentBytes = total.residentBytes;
    m_processes = processes;
    if (m_gpus > 0) queryGpus();
    render();
}

void SystemPanel::queryGpus()
{
    if (m_smi) return; // the previous query still runs
    m_smi = new QProcess(this);
    connect(m_smi, &QProcess::finished, this, [this] {
        QStringList parts;
        for (const QString& line : QString::fromUtf8(m_smi->readAllStandardOutput()).split('\n')) {
            const QStringList fields = line.split(',');
            if (fields.size() != 4) continue;
            parts.append(tr("GPU %1 %2%, %3 of %4 GiB")
                             .arg(fields[0].trimmed(), fields[1].trimmed())
                             .arg(fields[2].trimmed().toDouble() / 1024.0, 0, 'f', 1)
                             .arg(fields[3].trimmed().toDouble() / 1024.0, 0, 'f', 0));
        }
        m_gpuText = parts.isEmpty() ? tr("GPU: nvidia-smi gave no reading") : parts.join(" · ");
        m_smi->deleteLater();
        m_smi = nullptr;
        render();
    });
    connect(m_smi, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return;
        m_gpuText = tr("GPU: nvidia-smi not found");
        m_smi->deleteLater();
        m_smi = nullptr;
        render();
    });
    m_smi->start("nvidia-smi", {"--query-gpu=index,utilization.gpu,memory.used,memory.total",
                                "--format=csv,noheader,nounits"});
}

void SystemPanel::render()
{
    QString text =
        tr("CPU %1 of %2 cores")
            .arg(m_cpuPercent < 0 ? QString("…") : QString("%1%").arg(m_cpuPercent, 0, 'f', 0))
            .arg(availableCores());
    text += tr(" · memory %1 of %2 GiB")
                .arg(double(m_residentBytes) / kGiB, 0, 'f', 2)
                .arg(double(model::hostMemoryBytes()) / kGiB, 0, 'f', 1);
    if (m_processes > 1) text += tr(" (%1 processes)").arg(m_processes);
    if (m_gpus > 0) text += " · " + (m_gpuText.isEmpty() ? tr("GPU …") : m_gpuText);
    setText(text);
}

} // namespace rlhf::widgets
