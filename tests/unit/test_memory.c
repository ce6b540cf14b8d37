/*  test_memory: memory_init keeps a large block in the heap and the heap's
    pages after a free; memory_settle merges freed small chunks without
    giving their pages back. Each test runs in its own forked process (Check's
    default), so the thresholds set here reach no other test.
*/
#include "suites.h"
#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined (__SANITIZE_ADDRESS__)
#   define TEST_SANITIZED 1
#elif defined (__has_feature)
#   if __has_feature (address_sanitizer)
#       define TEST_SANITIZED 1
#   endif
#endif

#if defined (__GLIBC__) && !defined (TEST_SANITIZED)
#include <malloc.h>

//  Resident anonymous memory of this process, in KB.
static long
s_rss_anon_kb (void)
{
    FILE *file = fopen ("/proc/self/status", "r");
    ck_assert_ptr_nonnull (file);
    char line [256];
    long kb = -1;
    while (fgets (line, sizeof line, file))
        if (sscanf (line, "RssAnon: %ld kB", &kb) == 1)
            break;
    fclose (file);
    ck_assert_int_ge (kb, 0);
    return kb;
}

START_TEST (test_large_block_stays_in_heap)
{
    ck_assert (memory_init ());
    //  8 MB: glibc's default would map it apart and unmap it when freed.
    size_t size = 8u << 20;
    char *block = (char *) malloc (size);
    ck_assert_ptr_nonnull (block);
    memset (block, 1, size);
    ck_assert_uint_eq (mallinfo2 ().hblkhd, 0);
    long before = s_rss_anon_kb ();
    free (block);
    //  Not trimmed either: the pages stay for the next block.
    ck_assert_int_ge (s_rss_anon_kb (), before - 1024);
    ck_assert_uint_ge (mallinfo2 ().arena, size);
}
END_TEST

START_TEST (test_settle_merges_and_keeps_pages)
{
    ck_assert (memory_init ());
    enum { COUNT = 200000 };
    void **chunks = (void **) malloc (COUNT * sizeof (void *));
    ck_assert_ptr_nonnull (chunks);
    for (size_t i = 0; i < COUNT; i++) {
        chunks [i] = malloc (64);
        ck_assert_ptr_nonnull (chunks [i]);
        memset (chunks [i], 2, 64);
    }
    for (size_t i = 0; i < COUNT; i++)
        free (chunks [i]);
    //  Freed 64-byte chunks wait on the fast bins, unmerged.
    ck_assert_uint_gt (mallinfo2 ().fsmblks, 1u << 20);
    long before = s_rss_anon_kb ();
    memory_settle ();
    ck_assert_uint_eq (mallinfo2 ().fsmblks, 0);
    //  ~15 MB merged, none of it given back (malloc_trim would).
    ck_assert_int_ge (s_rss_anon_kb (), before - 1024);
    //  And a block as large as all of them together comes from them.
    char *merged = (char *) malloc ((size_t) COUNT * 64);
    ck_assert_ptr_nonnull (merged);
    ck_assert_uint_eq (mallinfo2 ().hblkhd, 0);
    free (merged);
    free (chunks);
}
END_TEST

Suite *
memory_suite (void)
{
    Suite *suite = suite_create ("memory");
    TCase *tc = tcase_create ("glibc");
    tcase_add_test (tc, test_large_block_stays_in_heap);
    tcase_add_test (tc, test_settle_merges_and_keeps_pages);
    suite_add_tcase (suite, tc);
    return suite;
}

#else

START_TEST (test_inert_under_sanitizer)
{
    //  The sanitizer's allocator is in charge: nothing to set.
    ck_assert (!memory_init ());
    memory_settle ();
}
END_TEST

Suite *
memory_suite (void)
{
    Suite *suite = suite_create ("memory");
    TCase *tc = tcase_create ("sanitizer");
    tcase_add_test (tc, test_inert_under_sanitizer);
    suite_add_tcase (suite, tc);
    return suite;
}

#endif
