// Counts heap allocations of the process it is linked into, so benchmarks can prove that a
// hot path allocates nothing. Linked only into benchmark executables.
#ifndef WARD_MALLOC_COUNTER_H
#define WARD_MALLOC_COUNTER_H
#include <stdint.h>
/// Allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) so far.
uint64_t ward_allocation_count(void);
#endif
