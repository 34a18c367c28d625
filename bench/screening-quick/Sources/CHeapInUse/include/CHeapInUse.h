// The C heap's bytes in use, for the screening benchmark's memory report.
#ifndef SCREENING_HEAP_IN_USE_H
#define SCREENING_HEAP_IN_USE_H

#include <stddef.h>

/// glibc's mallinfo2(): bytes in use in the main arena (uordblks) plus bytes in mmapped chunks
/// (hblkhd); 0 where mallinfo2 is not available.
size_t screening_heap_in_use(void);

#endif
