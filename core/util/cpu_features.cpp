#include "core/util/cpu_features.h"

#include <sched.h>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace rlhf {

bool cpuHasAvx512Bf16()
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // Leaf 7, sub-leaf 1: EAX bit 5 is AVX512_BF16.
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
    const bool bf16 = (eax >> 5) & 1u;
    // The OS must also save the AVX-512 state (XCR0 bits 5-7 with 1-2).
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !((ecx >> 27) & 1u)) return false;
    unsigned xcr0Low = 0, xcr0High = 0;
    __asm__("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
    const unsigned needed = 0xE6; // opmask, ZMM_Hi256, Hi16_ZMM, SSE, AVX
    return bf16 && (xcr0Low & needed) == needed;
#else
    return false;
#endif
}

int availableCores()
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
    const unsigned hardware = std::thread::hardware_concurrency();
    return hardware > 0 ? static_cast<int>(hardware) : 1;
}

} // namespace rlhf
