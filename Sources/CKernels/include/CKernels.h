#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "CKAttention.h"

/// Hint to the core that the caller is spinning (x86 PAUSE), so a sibling hyperthread
/// gets the pipeline and the spin loop draws less power.
static inline void ck_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
