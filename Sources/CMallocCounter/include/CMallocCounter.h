// Counts heap allocations per thread, for `sentinel bench` and the allocation tests: the
// allocation functions of the C library are interposed (see counter.c).
#ifndef SENTINEL_MALLOC_COUNTER_H
#define SENTINEL_MALLOC_COUNTER_H

/// The number of heap allocations (malloc, calloc, realloc, aligned allocations) the calling
/// thread has made since it started; 0 forever when interposition is not in effect.
unsigned long long sentinel_thread_allocations(void);

/// Whether the allocation functions are interposed (the count is meaningful).
int sentinel_allocation_counting(void);

/// Returns the allocator's free pages to the system (glibc's `malloc_trim(0)`); 1 when memory
/// was released. Used by the daemon once start-up is done.
int sentinel_release_free_memory(void);

#endif
