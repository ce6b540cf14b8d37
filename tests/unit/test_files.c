/*  files: folders made 0700, files 0600, a new file never written over one
    already there (the outbound 837P files of a restored claims store once
    overwrote earlier ones), no half file under the final name.
*/
#include "suites.h"
#include "files.h"

#include <czmq.h>
#include <sys/stat.h>

static mode_t
s_mode (const char *path)
{
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    return st.st_mode & 07777;
}

START_TEST (test_dir_create)
{
    char *dir = test_tmpdir ("files");
    mode_t old = umask (022);
    char *nested = zsys_sprintf ("%s/a/b/c", dir);
    char error [256] = "";
    ck_assert_int_eq (files_dir_create (nested, error, sizeof error), 0);
    char *middle = zsys_sprintf ("%s/a/b", dir);
    ck_assert_int_eq (s_mode (nested), 0700);
    ck_assert_int_eq (s_mode (middle), 0700);
    //  Again: already there is fine.
    ck_assert_int_eq (files_dir_create (nested, error, sizeof error), 0);
    //  A file in the way is an error that names it.
    char *file = zsys_sprintf ("%s/plain", dir);
    ck_assert_int_eq (files_write_new (file, "x", 1, error, sizeof error), 0);
    char *under = zsys_sprintf ("%s/plain/sub", dir);
    ck_assert_int_eq (files_dir_create (under, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "plain"));
    umask (old);
    zstr_free (&nested);
    zstr_free (&middle);
    zstr_free (&file);
    zstr_free (&under);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_write_new)
{
    char *dir = test_tmpdir ("files");
    mode_t old = umask (022);
    char *path = zsys_sprintf ("%s/837P-A-20261102-000000001.x12", dir);
    char error [256] = "";
    ck_assert_int_eq (files_write_new (path, "first", 5, error, sizeof error), 0);
    ck_assert_int_eq (s_mode (path), 0600);
    ck_assert (files_same_content (path, "first", 5));
    ck_assert (!files_same_content (path, "firs", 4));
    ck_assert (!files_same_content (path, "second", 6));
    //  The same name again: refused, the file as it was.
    ck_assert_int_eq (files_write_new (path, "second", 6, error, sizeof error), FILES_EXISTS);
    ck_assert (files_same_content (path, "first", 5));
    //  A temporary left by a crash does not block the next write, and
    //  none is left behind.
    char *temp = zsys_sprintf ("%s/.837P-A-20261102-000000002.x12.tmp", dir);
    char *next = zsys_sprintf ("%s/837P-A-20261102-000000002.x12", dir);
    ck_assert_int_eq (files_write_new (temp, "half", 4, error, sizeof error), 0);
    ck_assert_int_eq (files_write_new (next, "whole", 5, error, sizeof error), 0);
    ck_assert (files_same_content (next, "whole", 5));
    ck_assert (!zsys_file_exists (temp));
    //  An empty file is a file.
    char *empty = zsys_sprintf ("%s/empty", dir);
    ck_assert_int_eq (files_write_new (empty, "", 0, error, sizeof error), 0);
    ck_assert (files_same_content (empty, "", 0));
    //  A folder that is not there: an error naming it.
    char *missing = zsys_sprintf ("%s/nowhere/file", dir);
    ck_assert_int_eq (files_write_new (missing, "x", 1, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "nowhere"));
    umask (old);
    zstr_free (&path);
    zstr_free (&temp);
    zstr_free (&next);
    zstr_free (&empty);
    zstr_free (&missing);
    test_rmtree (dir);
    free (dir);
}
END_TEST

Suite *
files_suite (void)
{
    Suite *suite = suite_create ("files");
    TCase *tc = tcase_create ("files");
    tcase_add_test (tc, test_dir_create);
    tcase_add_test (tc, test_write_new);
    suite_add_tcase (suite, tc);
    return suite;
}
