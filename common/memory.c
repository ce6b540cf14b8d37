/*  memory: see memory.h. glibc only; elsewhere (or under a sanitizer,
    whose allocator replaces glibc's) both calls do nothing.
*/
#include "memory.h"

#include <stdlib.h>     //  defines __GLIBC__ where it is glibc

#if defined (__SANITIZE_ADDRESS__)             //  gcc
#   define MEMORY_SANITIZED 1
#elif defined (__has_feature)                   //  clang
#   if __has_feature (address_sanitizer)
#       define MEMORY_SANITIZED 1
#   endif
#endif
#if defined (__GLIBC__) && !defined (MEMORY_SANITIZED)
#include <malloc.h>
#define MEMORY_GLIBC 1
#endif

bool
memory_init (void)
{
#ifdef MEMORY_GLIBC
    //  A fixed threshold also stops glibc moving it with each freed mmap.
    return mallopt (M_MMAP_THRESHOLD, (int) MEMORY_MMAP_THRESHOLD) == 1
        && mallopt (M_TRIM_THRESHOLD, (int) MEMORY_TRIM_THRESHOLD) == 1;
#else
    return false;
#endif
}

void
memory_settle (void)
{
#ifdef MEMORY_GLIBC
    //  glibc merges the fast bins into free blocks first thing in every
    //  mallopt call (it must, before the fast bins' limit may change);
    //  setting that limit to its default changes nothing else. malloc_trim
    //  would merge them too, but then madvise every free page away.
    mallopt (M_MXFAST, (int) (64 * sizeof (size_t) / 4));
#endif
}
