/*  memory: a process keeps the heap it has touched.

    On the VMs rcmq is measured on, a page fault costs ~11 us (a first
    touch of an anonymous page, against well under 1 us on bare metal),
    and the kernel was a third of every process's CPU. glibc by default
    hands memory back eagerly: a block of 128 KB or more is its own mmap,
    unmapped when freed, and more than 128 KB free at the heap's top is
    trimmed. A service that parses a file, answers a batch or fans out a
    frame then faults the same pages in again for the next one: claims'
    submit took 4 faults a claim (docs/performance.md, session 13).

    memory_init raises both thresholds once at start-up, so the heap grows
    to a process's working set and stays there; what a process holds at
    its peak is what it held before (RssAnon's maximum does not move),
    only the pages are not given back between peaks.

    memory_settle merges the small chunks freed since the last call into
    whole free blocks without giving their pages back: where a batch frees
    thousands of small chunks at once, the next batch is then carved from
    whole blocks instead of from the fast bins in the order they were
    freed, all over the heap.

    Under a sanitizer the allocator is the sanitizer's: both do nothing.
*/
#ifndef RCMQ_MEMORY_H
#define RCMQ_MEMORY_H

#include <stdbool.h>

//  A block below this comes from the heap (glibc's ceiling for the option).
#define MEMORY_MMAP_THRESHOLD   (32u << 20)
//  The heap's free top is given back only beyond this.
#define MEMORY_TRIM_THRESHOLD   (128u << 20)

//  Sets both thresholds; true when glibc's allocator took them.
bool memory_init (void);
//  Merges freed small chunks into free blocks, keeping their pages.
void memory_settle (void);

#endif
