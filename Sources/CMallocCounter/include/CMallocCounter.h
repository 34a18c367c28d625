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

/// Fixes the size from which glibc serves an allocation with its own `mmap` (returned to the
/// system when freed) at `bytes`, turning off glibc's dynamic threshold, which rises after the
/// first large block is freed and then keeps later large blocks in the heap. The trim threshold
/// (the free space at the heap's top that `free` gives back) is set to twice `bytes`, as glibc's
/// dynamic mode keeps it. 1 on success.
int sentinel_fix_mmap_threshold(int bytes);

/// Makes each heap grow by `bytes` more than it needs when it grows (glibc's `M_TOP_PAD`, 128 KiB
/// by default), so that a program whose heap grows steadily changes its mapping seldom: a
/// thread's arena grows with an `mprotect` call under the arena's lock. 1 on success.
int sentinel_pad_heap_growth(int bytes);

/// The processor's spin-wait hint (`pause` on x86-64, `yield` on AArch64), for a loop that waits
/// for another thread: under a hypervisor, a vCPU spinning on it can be descheduled for others.
void sentinel_spin_pause(void);

#endif
