/*  test_spool: common/spool, a file received in chunks (issue 19).

      chunks      a file declared at begin arrives in chunks at offsets, a
                  chunk sent twice lands on itself, the spooled file holds
                  exactly the bytes sent (0600), complete only when every
                  declared byte arrived; the same begin token finds the same
                  spool; spool_remove takes the file away;
      refusals    an unknown id, another identity's spool, a chunk at an
                  offset past what arrived, one running past the declared
                  size, an empty one, a path asked before the file is
                  whole: each refused with an error naming the upload id,
                  and the spool unchanged (it still completes);
      limits      size 0, a size over <svc>/upload-max-bytes, a third spool
                  of one caller (uploads-per-caller = 2), uploads-max and
                  uploads-total-bytes; an abort frees its slot and file;
      expiry      a spool untouched past upload-idle-seconds is removed with
                  its file, a touched one stays; a new spool object empties
                  the folder a previous one left.

    The settings live under "unitspool/" so no RCMQ_ variable of the
    caller's environment changes an outcome.
*/
#include "suites.h"
#include "spool.h"
#include "clock.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir [PATH_MAX];
    config_t *config;
    spool_t *spool;
    char error [512];
} s_fixture_t;

static void
s_setup (s_fixture_t *fx)
{
    snprintf (fx->dir, sizeof fx->dir, "%s/rcmq-spool-XXXXXX", getenv ("TMPDIR")? getenv ("TMPDIR"): "/tmp");
    ck_assert_ptr_nonnull (mkdtemp (fx->dir));
    fx->config = config_new ();
    char folder [PATH_MAX + 16];
    snprintf (folder, sizeof folder, "%s/up", fx->dir);
    config_set (fx->config, "unitspool/upload-dir", folder);
    config_set (fx->config, "unitspool/uploads-per-caller", "2");
    config_set (fx->config, "unitspool/uploads-max", "3");
    config_set (fx->config, "unitspool/upload-max-bytes", "1000");
    config_set (fx->config, "unitspool/uploads-total-bytes", "2500");
    config_set (fx->config, "unitspool/upload-idle-seconds", "5");
    fx->spool = spool_new (fx->config, "unitspool", fx->error, sizeof fx->error);
    ck_assert_msg (fx->spool, "spool_new: %s", fx->error);
}

static void
s_teardown (s_fixture_t *fx)
{
    spool_destroy (&fx->spool);
    ck_assert_ptr_null (fx->spool);
    config_destroy (&fx->config);
    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf '%s'", fx->dir);
    ck_assert_int_eq (system (command), 0);
}

static size_t
s_files (s_fixture_t *fx)
{
    char folder [PATH_MAX + 16];
    snprintf (folder, sizeof folder, "%s/up", fx->dir);
    DIR *dir = opendir (folder);
    size_t count = 0;
    for (struct dirent *entry = dir? readdir (dir): NULL; entry; entry = readdir (dir))
        if (*entry->d_name != '.')
            count++;
    if (dir)
        closedir (dir);
    return count;
}

//  Begins a spool of size bytes for caller; its id (a copy in id).
static void
s_begin (s_fixture_t *fx, const char *caller, const char *token, uint64_t size, char *id, size_t id_size)
{
    Spool info = SPOOL__INIT;
    Status status = spool_begin (fx->spool, caller, token, "f.x12", size, &info, fx->error, sizeof fx->error);
    ck_assert_msg (status == STATUS__OK, "spool_begin: %s", fx->error);
    ck_assert_str_eq (info.state, "receiving");
    snprintf (id, id_size, "%s", info.upload_id);
}

START_TEST (test_chunks)
{
    s_fixture_t fx;
    s_setup (&fx);
    uint8_t data [700];
    for (size_t i = 0; i < sizeof data; i++)
        data [i] = (uint8_t) (i * 7 + 3);
    char id [64];
    s_begin (&fx, "ana", "key/req-1", sizeof data, id, sizeof id);
    //  The same begin again (a resend) is the same spool.
    Spool info = SPOOL__INIT;
    ck_assert_int_eq (spool_begin (fx.spool, "ana", "key/req-1", "f.x12", sizeof data, &info, fx.error,
                                   sizeof fx.error), STATUS__OK);
    ck_assert_str_eq (info.upload_id, id);
    ck_assert_uint_eq (spool_open_count (fx.spool), 1);

    ck_assert_int_eq (spool_chunk (fx.spool, "ana", id, 0, data, 300, &info, fx.error, sizeof fx.error), STATUS__OK);
    ck_assert_uint_eq (info.bytes_received, 300);
    //  Sent twice: lands on itself.
    ck_assert_int_eq (spool_chunk (fx.spool, "ana", id, 0, data, 300, &info, fx.error, sizeof fx.error), STATUS__OK);
    ck_assert_uint_eq (info.bytes_received, 300);
    const char *path = NULL;
    ck_assert_int_eq (spool_path (fx.spool, "ana", id, &path, NULL, fx.error, sizeof fx.error),
                      STATUS__FAILED_PRECONDITION);
    ck_assert_msg (strstr (fx.error, id) && strstr (fx.error, "300 of its 700"), "%s", fx.error);
    ck_assert_int_eq (spool_chunk (fx.spool, "ana", id, 300, data + 300, 400, &info, fx.error, sizeof fx.error),
                      STATUS__OK);
    ck_assert_str_eq (info.state, "complete");
    ck_assert_int_eq (spool_path (fx.spool, "ana", id, &path, &info, fx.error, sizeof fx.error), STATUS__OK);
    ck_assert_str_eq (info.filename, "f.x12");
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_mode & 0777, 0600);
    ck_assert_int_eq (st.st_size, (off_t) sizeof data);
    FILE *file = fopen (path, "rb");
    uint8_t back [800];
    ck_assert_uint_eq (fread (back, 1, sizeof back, file), sizeof data);
    fclose (file);
    ck_assert_int_eq (memcmp (back, data, sizeof data), 0);
    ck_assert_uint_eq (spool_open_bytes (fx.spool), sizeof data);
    spool_remove (fx.spool, id);
    ck_assert_uint_eq (spool_open_count (fx.spool), 0);
    ck_assert_uint_eq (s_files (&fx), 0);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_refusals)
{
    s_fixture_t fx;
    s_setup (&fx);
    uint8_t data [500];
    memset (data, 'x', sizeof data);
    char id [64];
    s_begin (&fx, "ana", "key/req-1", sizeof data, id, sizeof id);
    ck_assert_int_eq (spool_chunk (fx.spool, "ana", id, 0, data, 100, NULL, fx.error, sizeof fx.error), STATUS__OK);
    static const struct {
        const char *caller, *id;
        uint64_t offset;
        size_t length;
        Status status;
        const char *says;
    } cases [] = {
        { "ana", "S000000", 0,   10,  STATUS__NOT_FOUND,           "no upload 'S000000'" },
        { "bob", NULL,      100, 10,  STATUS__PERMISSION_DENIED,   "another identity" },
        { "ana", NULL,      150, 10,  STATUS__FAILED_PRECONDITION, "at byte 150, but it has only 100" },
        { "ana", NULL,      100, 401, STATUS__INVALID_ARGUMENT,    "past the 500 bytes declared" },
        { "ana", NULL,      100, 0,   STATUS__INVALID_ARGUMENT,    "empty chunk" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        const char *which = cases [i].id? cases [i].id: id;
        fx.error [0] = 0;
        Status status = spool_chunk (fx.spool, cases [i].caller, which, cases [i].offset, data,
                                     cases [i].length, NULL, fx.error, sizeof fx.error);
        ck_assert_msg (status == cases [i].status, "case %zu: status %d: %s", i, status, fx.error);
        ck_assert_msg (strstr (fx.error, cases [i].says), "case %zu: %s", i, fx.error);
        ck_assert_msg (strstr (fx.error, which), "case %zu names no upload id: %s", i, fx.error);
    }
    //  Another identity can neither read nor abort it.
    const char *path;
    ck_assert_int_eq (spool_path (fx.spool, "bob", id, &path, NULL, fx.error, sizeof fx.error),
                      STATUS__PERMISSION_DENIED);
    ck_assert_int_eq (spool_abort (fx.spool, "bob", id, NULL, fx.error, sizeof fx.error), STATUS__PERMISSION_DENIED);
    //  Nothing changed: the spool completes from where it was.
    Spool info = SPOOL__INIT;
    ck_assert_int_eq (spool_chunk (fx.spool, "ana", id, 100, data, 400, &info, fx.error, sizeof fx.error), STATUS__OK);
    ck_assert_uint_eq (info.bytes_received, 500);
    ck_assert_str_eq (info.state, "complete");
    ck_assert_int_eq (spool_path (fx.spool, "ana", id, &path, NULL, fx.error, sizeof fx.error), STATUS__OK);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_limits)
{
    s_fixture_t fx;
    s_setup (&fx);
    Spool info = SPOOL__INIT;
    char a [64], b [64], c [64];
    ck_assert_int_eq (spool_begin (fx.spool, "ana", "t0", "f", 0, &info, fx.error, sizeof fx.error),
                      STATUS__INVALID_ARGUMENT);
    ck_assert_msg (strstr (fx.error, "size"), "%s", fx.error);
    ck_assert_int_eq (spool_begin (fx.spool, "ana", "t0", "f", 1001, &info, fx.error, sizeof fx.error),
                      STATUS__RESOURCE_EXHAUSTED);
    ck_assert_msg (strstr (fx.error, "unitspool/upload-max-bytes"), "%s", fx.error);
    s_begin (&fx, "ana", "t1", 900, a, sizeof a);
    s_begin (&fx, "ana", "t2", 900, b, sizeof b);
    ck_assert_int_eq (spool_begin (fx.spool, "ana", "t3", "f", 10, &info, fx.error, sizeof fx.error),
                      STATUS__RESOURCE_EXHAUSTED);
    ck_assert_msg (strstr (fx.error, "unitspool/uploads-per-caller"), "%s", fx.error);
    //  1800 declared: 800 more would pass uploads-total-bytes (2500).
    ck_assert_int_eq (spool_begin (fx.spool, "bob", "t4", "f", 800, &info, fx.error, sizeof fx.error),
                      STATUS__RESOURCE_EXHAUSTED);
    ck_assert_msg (strstr (fx.error, "unitspool/uploads-total-bytes"), "%s", fx.error);
    s_begin (&fx, "bob", "t5", 600, c, sizeof c);
    ck_assert_int_eq (spool_begin (fx.spool, "cy", "t6", "f", 1, &info, fx.error, sizeof fx.error),
                      STATUS__RESOURCE_EXHAUSTED);
    ck_assert_msg (strstr (fx.error, "unitspool/uploads-max"), "%s", fx.error);
    ck_assert_uint_eq (s_files (&fx), 3);
    //  An abort frees the slot and the file at once.
    ck_assert_int_eq (spool_abort (fx.spool, "ana", a, &info, fx.error, sizeof fx.error), STATUS__OK);
    ck_assert_str_eq (info.state, "aborted");
    ck_assert_str_eq (info.upload_id, a);
    free (info.upload_id);
    free (info.filename);
    ck_assert_uint_eq (s_files (&fx), 2);
    ck_assert_int_eq (spool_chunk (fx.spool, "ana", a, 0, (const uint8_t *) "x", 1, NULL, fx.error, sizeof fx.error),
                      STATUS__NOT_FOUND);
    info = (Spool) SPOOL__INIT;
    ck_assert_int_eq (spool_begin (fx.spool, "ana", "t7", "f", 10, &info, fx.error, sizeof fx.error), STATUS__OK);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_expiry)
{
    s_fixture_t fx;
    s_setup (&fx);
    char old [64], fresh [64];
    s_begin (&fx, "ana", "t1", 10, old, sizeof old);
    s_begin (&fx, "bob", "t2", 10, fresh, sizeof fresh);
    ck_assert_uint_eq (spool_expire (fx.spool, clock_monotonic_ms () + 4000), 0);
    //  bob sends a chunk 600 ms later: his spool was touched then, so
    //  4.7 s after that (idle 5 s) only ana's has been idle too long.
    zclock_sleep (600);
    ck_assert_int_eq (spool_chunk (fx.spool, "bob", fresh, 0, (const uint8_t *) "12345", 5, NULL, fx.error,
                                   sizeof fx.error), STATUS__OK);
    ck_assert_uint_eq (spool_expire (fx.spool, clock_monotonic_ms () + 4700), 1);
    ck_assert_uint_eq (spool_open_count (fx.spool), 1);
    ck_assert_uint_eq (s_files (&fx), 1);
    const char *path;
    ck_assert_int_eq (spool_path (fx.spool, "ana", old, &path, NULL, fx.error, sizeof fx.error), STATUS__NOT_FOUND);
    ck_assert_msg (strstr (fx.error, "unitspool/upload-idle-seconds"), "%s", fx.error);
    //  A new spool (a restart) empties what the previous one left.
    spool_t *again = spool_new (fx.config, "unitspool", fx.error, sizeof fx.error);
    ck_assert_ptr_nonnull (again);
    ck_assert_uint_eq (s_files (&fx), 0);
    ck_assert_uint_eq (spool_open_count (again), 0);
    spool_destroy (&again);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_bad_setting)
{
    config_t *config = config_new ();
    config_set (config, "unitspool/uploads-max", "ten");
    char error [512] = "";
    spool_t *spool = spool_new (config, "unitspool", error, sizeof error);
    ck_assert_ptr_null (spool);
    ck_assert_msg (strstr (error, "unitspool/uploads-max"), "%s", error);
    config_destroy (&config);
}
END_TEST

Suite *
spool_suite (void)
{
    Suite *suite = suite_create ("spool");
    TCase *tc = tcase_create ("spool");
    tcase_add_test (tc, test_chunks);
    tcase_add_test (tc, test_refusals);
    tcase_add_test (tc, test_limits);
    tcase_add_test (tc, test_expiry);
    tcase_add_test (tc, test_bad_setting);
    suite_add_tcase (suite, tc);
    return suite;
}
