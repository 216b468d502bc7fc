// Memory policy for large weight buffers.
#include "ckernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ssa_limit_heap_growth(void) {
#if defined(__GLIBC__)
  // A fixed threshold (setting it disables glibc's dynamic raise after large frees): allocations of
  // 1 MiB and more get their own mapping and return to the system when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}
