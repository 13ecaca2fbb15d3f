// The dashboard's system line: what training costs the machine while it runs. CPU and resident
// memory of the studio and every process below it (a multi-process run's launcher and ranks),
// and, on a CUDA machine, each GPU's utilisation and memory from nvidia-smi. Refreshes every
// two seconds while shown.
#pragma once

#include "core/util/process_usage.h"

#include <QElapsedTimer>
#include <QLabel>
#include <QTimer>

class QProcess;

namespace rlhf::widgets {

class SystemPanel : public QLabel {
    Q_OBJECT
public:
    explicit SystemPanel(QWidget* parent = nullptr);
    ~SystemPanel() override;

    void setGpuCount(int gpus); // 0: no GPU line (and nvidia-smi is never started)
    void refreshNow();          // one reading now (tests; the timer does it every 2 s)
    int processCount() const { return m_processes; } // in the last reading

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    void queryGpus();
    void render();

    QTimer m_timer;
    QElapsedTimer m_clock;
    std::optional<ProcessUsage> m_last; // the previous reading, summed over the processes
    double m_lastAt = 0;
    double m_cpuPercent = -1; // -1 before two readings
    int64_t m_residentBytes = 0;
    int m_processes = 0;
    int m_gpus = 0;
    QString m_gpuText;
    QProcess* m_smi = nullptr; // owned by this widget; one query at a time
};

} // namespace rlhf::widgets
