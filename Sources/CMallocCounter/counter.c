// Allocation counting by interposition: this object defines malloc, calloc, realloc,
// posix_memalign, aligned_alloc and memalign. Linked into an executable, these definitions take
// precedence over the C library's for every shared library of the process (the Swift runtime
// included); each one counts the call in a thread-local counter and forwards to glibc's own
// implementation (`__libc_malloc`, …), so `free` (not interposed) stays glibc's and matches.
//
// Why this and not the alternatives: glibc 2.34 removed `__malloc_hook`; `mallinfo2()` reports
// bytes in use, not the number of allocations (an allocation freed before the next reading is
// invisible); an LD_PRELOAD library would have to be built and injected by every caller. The
// cost is one thread-local increment per allocation. Allocations glibc makes internally through
// its private aliases are not counted (none happen on the paths `sentinel bench` measures).
//
// Only on Linux with glibc; elsewhere the functions are not interposed and the count stays 0.

#include "CMallocCounter.h"

#include <errno.h>  // first: a C library header defines __GLIBC__
#include <stddef.h>

#if defined(__linux__) && defined(__GLIBC__)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static __thread unsigned long long allocations __attribute__((tls_model("initial-exec")));

void *malloc(size_t size) {
  allocations += 1;
  return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
  allocations += 1;
  return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
  allocations += 1;
  return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
  allocations += 1;
  return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
  allocations += 1;
  return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
  allocations += 1;
  void *p = __libc_memalign(alignment, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

unsigned long long sentinel_thread_allocations(void) { return allocations; }
int sentinel_allocation_counting(void) { return 1; }

#else

unsigned long long sentinel_thread_allocations(void) { return 0; }
int sentinel_allocation_counting(void) { return 0; }

#endif

#include <malloc.h>

int sentinel_release_free_memory(void) { return malloc_trim(0); }

int sentinel_fix_mmap_threshold(int bytes) {
  // glibc's dynamic mode keeps the trim threshold at twice the mmap threshold; fixing one
  // leaves the other at its 128 KiB default, and `free` would then shrink the heap's top often.
  return mallopt(M_MMAP_THRESHOLD, bytes) && mallopt(M_TRIM_THRESHOLD, 2 * bytes);
}

int sentinel_pad_heap_growth(int bytes) { return mallopt(M_TOP_PAD, bytes); }

void sentinel_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
