/*  test_config: precedence (flag > environment > file > default), the
    environment variable names, loading ZPL files and their errors, paths
    relative to the file or the working directory, and integer parsing.

    Keys live under "unittest/" so no real RCMQ_ variable in the caller's
    environment can change an outcome.
*/
#include "suites.h"
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Writes text to dir/name and returns the file's path (caller frees).
static char *
s_write_file (const char *dir, const char *name, const char *text)
{
    char *path = malloc (PATH_MAX);
    snprintf (path, PATH_MAX, "%s/%s", dir, name);
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    ck_assert_int_eq (fputs (text, file) >= 0, 1);
    fclose (file);
    return path;
}

static const char *s_zpl =
    "#   rcmq unit test config\n"
    "unittest\n"
    "    name = \"from-file\"\n"
    "    level = \"file\"\n"
    "    count = \"42\"\n"
    "    negative = \"-7\"\n"
    "    words = \"twelve\"\n"
    "    keys-dir = \"keys\"\n"
    "    nested-dir = \"sub/data\"\n"
    "    absolute = \"/srv/rcmq/keys\"\n"
    "    shared = \"same\"\n"
    "    empty = \"\"\n"
    "broker\n"
    "    ingest = \"tcp://127.0.0.1:7601\"\n"
    "    retention-hours = 24\n";

START_TEST (test_env_names)
{
    static const struct { const char *key, *env; } names [] = {
        { "broker/ingest",          "RCMQ_BROKER_INGEST" },
        { "broker/retention-hours", "RCMQ_BROKER_RETENTION_HOURS" },
        { "data/dir",               "RCMQ_DATA_DIR" },
        { "intake/api-bind",        "RCMQ_INTAKE_API_BIND" },
        { "client/name",            "RCMQ_CLIENT_NAME" },
        { "x",                      "RCMQ_X" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++) {
        char buf [64];
        memset (buf, 'Q', sizeof buf);
        config_env_name (names [i].key, buf, sizeof buf);
        ck_assert_str_eq (buf, names [i].env);
    }
    //  A short buffer gets a terminated prefix, never an overrun.
    char small [10];
    memset (small, 'Q', sizeof small);
    config_env_name ("broker/ingest", small, sizeof small);
    ck_assert_str_eq (small, "RCMQ_BROK");
}
END_TEST

START_TEST (test_precedence)
{
    char *dir = test_tmpdir ("config");
    char *path = s_write_file (dir, "rcmq.conf", s_zpl);
    config_t *config = config_new ();
    unsetenv ("RCMQ_UNITTEST_LEVEL");

    //  Nothing set: the default.
    ck_assert_str_eq (config_get (config, "unittest/level", "default"), "default");
    ck_assert_ptr_null (config_get (config, "unittest/level", NULL));
    //  File beats default.
    ck_assert_int_eq (config_load (config, path), 0);
    ck_assert_str_eq (config_get (config, "unittest/level", "default"), "file");
    //  Environment beats file.
    setenv ("RCMQ_UNITTEST_LEVEL", "env", 1);
    ck_assert_str_eq (config_get (config, "unittest/level", "default"), "env");
    //  A flag beats environment.
    config_set (config, "unittest/level", "flag");
    ck_assert_str_eq (config_get (config, "unittest/level", "default"), "flag");
    //  The flag's value is copied: the caller's buffer may change.
    char value [16] = "second";
    config_set (config, "unittest/level", value);
    strcpy (value, "XXXXXX");
    ck_assert_str_eq (config_get (config, "unittest/level", "default"), "second");
    //  An empty environment variable counts as unset.
    config_t *other = config_new ();
    ck_assert_int_eq (config_load (other, path), 0);
    setenv ("RCMQ_UNITTEST_LEVEL", "", 1);
    ck_assert_str_eq (config_get (other, "unittest/level", "default"), "file");
    //  An empty file value falls through to the default.
    ck_assert_str_eq (config_get (other, "unittest/empty", "default"), "default");
    //  Keys the file does not hold fall back, at any depth.
    ck_assert_str_eq (config_get (other, "unittest/missing", "d"), "d");
    ck_assert_str_eq (config_get (other, "nothing/here/at/all", "d"), "d");

    unsetenv ("RCMQ_UNITTEST_LEVEL");
    config_destroy (&other);
    config_destroy (&config);
    ck_assert_ptr_null (config);
    config_destroy (&config);          //  idempotent
    test_rmtree (dir);
    free (path);
    free (dir);
}
END_TEST

START_TEST (test_env_mapping_used)
{
    //  config_get really reads the mapped names, dashes included.
    config_t *config = config_new ();
    setenv ("RCMQ_UNITTEST_RETENTION_HOURS", "36", 1);
    setenv ("RCMQ_UNITTEST_INGEST", "tcp://10.0.0.1:9", 1);
    ck_assert_str_eq (config_get (config, "unittest/ingest", "x"), "tcp://10.0.0.1:9");
    ck_assert_int_eq (config_get_int (config, "unittest/retention-hours", 0), 36);
    unsetenv ("RCMQ_UNITTEST_RETENTION_HOURS");
    unsetenv ("RCMQ_UNITTEST_INGEST");
    ck_assert_int_eq (config_get_int (config, "unittest/retention-hours", 5), 5);
    ck_assert_ptr_null (config_bad_setting (config));
    //  A malformed value is the fallback for the caller and kept, so the
    //  process refuses to start naming it; the first one is named.
    setenv ("RCMQ_UNITTEST_RETENTION_HOURS", "36h", 1);
    setenv ("RCMQ_UNITTEST_LIMIT", "ten", 1);
    ck_assert_int_eq (config_get_int (config, "unittest/retention-hours", 5), 5);
    ck_assert_int_eq (config_get_int (config, "unittest/limit", 7), 7);
    unsetenv ("RCMQ_UNITTEST_RETENTION_HOURS");
    unsetenv ("RCMQ_UNITTEST_LIMIT");
    ck_assert_ptr_nonnull (config_bad_setting (config));
    ck_assert_str_eq (config_bad_setting (config), "unittest/retention-hours = '36h': expected a whole number");
    config_destroy (&config);
}
END_TEST

START_TEST (test_load_file)
{
    char *dir = test_tmpdir ("config");
    char *path = s_write_file (dir, "rcmq.conf", s_zpl);
    config_t *config = config_new ();
    ck_assert_ptr_null (config_file (config));
    ck_assert_int_eq (config_load (config, path), 0);
    ck_assert_str_eq (config_get (config, "unittest/name", NULL), "from-file");
    ck_assert_str_eq (config_get (config, "broker/ingest", NULL), "tcp://127.0.0.1:7601");
    ck_assert_str_eq (config_get (config, "broker/retention-hours", NULL), "24");
    //  config_file is the absolute, resolved path of what was loaded.
    char *real = realpath (path, NULL);
    ck_assert_ptr_nonnull (config_file (config));
    ck_assert_str_eq (config_file (config), real);
    free (real);
    config_destroy (&config);
    test_rmtree (dir);
    free (path);
    free (dir);
}
END_TEST

START_TEST (test_load_missing)
{
    char *dir = test_tmpdir ("config");
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/no-such.conf", dir);
    config_t *config = config_new ();
    ck_assert_int_eq (config_load (config, path), -1);
    ck_assert_ptr_nonnull (strstr (config_error (config), path));
    ck_assert_ptr_null (config_file (config));
    //  The config is still usable with defaults.
    ck_assert_str_eq (config_get (config, "unittest/name", "d"), "d");
    //  A directory is not a config file either.
    ck_assert_int_eq (config_load (config, dir), -1);
    ck_assert_ptr_nonnull (strstr (config_error (config), dir));
    config_destroy (&config);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_load_invalid)
{
    static const char *invalid [] = {
        "unittest\n    name = \"unterminated\n",
        "unittest\n   name = \"three spaces\"\n",
        "!!! {\n",
    };
    char *dir = test_tmpdir ("config");
    char *good = s_write_file (dir, "good.conf", s_zpl);
    for (size_t i = 0; i < sizeof invalid / sizeof invalid [0]; i++) {
        char name [32];
        snprintf (name, sizeof name, "bad-%zu.conf", i);
        char *path = s_write_file (dir, name, invalid [i]);
        config_t *config = config_new ();
        ck_assert_int_eq (config_load (config, good), 0);
        ck_assert_msg (config_load (config, path) == -1, "invalid file %zu loaded", i);
        ck_assert_msg (strstr (config_error (config), path), "error '%s' does not name %s",
                       config_error (config), path);
        //  A failed load leaves the file loaded before in force.
        ck_assert_str_eq (config_get (config, "unittest/name", NULL), "from-file");
        config_destroy (&config);
        free (path);
    }
    test_rmtree (dir);
    free (good);
    free (dir);
}
END_TEST

START_TEST (test_paths)
{
    char *dir = test_tmpdir ("config");
    char *real_dir = realpath (dir, NULL);
    char sub [PATH_MAX];
    snprintf (sub, sizeof sub, "%s/etc", dir);
    ck_assert_int_eq (mkdir (sub, 0700), 0);
    char *path = s_write_file (sub, "rcmq.conf", s_zpl);
    char *cwd = getcwd (NULL, 0);
    char expect [PATH_MAX * 2];
    config_t *config = config_new ();
    ck_assert_int_eq (config_load (config, path), 0);

    //  A relative value from the file is relative to the file's folder.
    snprintf (expect, sizeof expect, "%s/etc/keys", real_dir);
    ck_assert_str_eq (config_path (config, "unittest/keys-dir", NULL), expect);
    snprintf (expect, sizeof expect, "%s/etc/sub/data", real_dir);
    ck_assert_str_eq (config_path (config, "unittest/nested-dir", NULL), expect);
    //  Absolute values are left alone.
    ck_assert_str_eq (config_path (config, "unittest/absolute", NULL), "/srv/rcmq/keys");
    //  No value and no fallback: NULL.
    ck_assert_ptr_null (config_path (config, "unittest/none", NULL));
    //  A fallback, a flag or an environment value is relative to the
    //  working directory, even when it reads the same as the file's.
    snprintf (expect, sizeof expect, "%s/var/data", cwd);
    ck_assert_str_eq (config_path (config, "unittest/none", "var/data"), expect);
    setenv ("RCMQ_UNITTEST_SHARED", "same", 1);
    snprintf (expect, sizeof expect, "%s/same", cwd);
    ck_assert_str_eq (config_path (config, "unittest/shared", NULL), expect);
    unsetenv ("RCMQ_UNITTEST_SHARED");
    snprintf (expect, sizeof expect, "%s/etc/same", real_dir);
    ck_assert_str_eq (config_path (config, "unittest/shared", NULL), expect);
    config_set (config, "unittest/keys-dir", "keys");
    snprintf (expect, sizeof expect, "%s/keys", cwd);
    ck_assert_str_eq (config_path (config, "unittest/keys-dir", NULL), expect);
    config_set (config, "unittest/keys-dir", "/abs/keys");
    ck_assert_str_eq (config_path (config, "unittest/keys-dir", NULL), "/abs/keys");

    config_destroy (&config);
    test_rmtree (dir);
    free (cwd);
    free (path);
    free (real_dir);
    free (dir);
}
END_TEST

START_TEST (test_path_lifetime)
{
    //  config_path's strings belong to the config and live as long as it:
    //  asking again, or changing the setting, must not free one handed out.
    config_t *config = config_new ();
    config_set (config, "unittest/dir", "first");
    const char *first = config_path (config, "unittest/dir", NULL);
    char copy [PATH_MAX];
    snprintf (copy, sizeof copy, "%s", first);
    const char *again = config_path (config, "unittest/dir", NULL);
    ck_assert_str_eq (again, copy);
    config_set (config, "unittest/dir", "second");
    const char *second = config_path (config, "unittest/dir", NULL);
    ck_assert_ptr_nonnull (strstr (second, "second"));
    ck_assert_str_eq (first, copy);
    config_destroy (&config);
}
END_TEST

START_TEST (test_get_int)
{
    char *dir = test_tmpdir ("config");
    char *path = s_write_file (dir, "rcmq.conf", s_zpl);
    config_t *config = config_new ();
    ck_assert_int_eq (config_load (config, path), 0);
    ck_assert_int_eq (config_get_int (config, "unittest/count", -1), 42);
    ck_assert_int_eq (config_get_int (config, "unittest/negative", -1), -7);
    ck_assert_int_eq (config_get_int (config, "broker/retention-hours", -1), 24);
    ck_assert_int_eq (config_get_int (config, "unittest/words", -1), -1);
    ck_assert_int_eq (config_get_int (config, "unittest/missing", 99), 99);
    ck_assert_int_eq (config_get_int (config, "unittest/empty", 99), 99);

    static const struct { const char *text; int64_t value; } cases [] = {
        { "0", 0 },
        { "-0", 0 },
        { "9223372036854775807", INT64_MAX },
        { "-9223372036854775808", INT64_MIN },
        { "12abc", 555 },
        { "abc", 555 },
        { "", 555 },
        { "-", 555 },
        { "4.5", 555 },
        { "0x10", 555 },
        { "12 ", 555 },
        { "9223372036854775808", 555 },     //  one past INT64_MAX
        { "-99999999999999999999", 555 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        config_set (config, "unittest/count", cases [i].text);
        int64_t value = config_get_int (config, "unittest/count", 555);
        ck_assert_msg (value == cases [i].value, "'%s' gave %lld, expected %lld", cases [i].text,
                       (long long) value, (long long) cases [i].value);
    }
    config_destroy (&config);
    test_rmtree (dir);
    free (path);
    free (dir);
}
END_TEST

//  The checked read refuses what config_get_int takes for its fallback,
//  naming the key and the value, and keeps the fallback for unset / empty.
START_TEST (test_get_int_checked)
{
    config_t *config = config_new ();
    int64_t value = -1;
    char error [256] = "";
    ck_assert_int_eq (config_get_int_checked (config, "unittest/days", 30, 0, 3650, &value, error, sizeof error), 0);
    ck_assert_int_eq (value, 30);
    config_set (config, "unittest/days", "");
    ck_assert_int_eq (config_get_int_checked (config, "unittest/days", 30, 0, 3650, &value, error, sizeof error), 0);
    ck_assert_int_eq (value, 30);
    config_set (config, "unittest/days", "45");
    ck_assert_int_eq (config_get_int_checked (config, "unittest/days", 30, 0, 3650, &value, error, sizeof error), 0);
    ck_assert_int_eq (value, 45);
    static const char *const bad [] = { "3O", "abc", "12 ", "4.5", "-1", "3651", "9223372036854775808", NULL };
    for (size_t i = 0; bad [i]; i++) {
        config_set (config, "unittest/days", bad [i]);
        ck_assert_msg (config_get_int_checked (config, "unittest/days", 30, 0, 3650, &value, error, sizeof error) == -1,
                       "'%s' was taken", bad [i]);
        char expect [128];
        snprintf (expect, sizeof expect, "unittest/days = '%s': expected a whole number from 0 to 3650", bad [i]);
        ck_assert_str_eq (error, expect);
    }
    config_set (config, "unittest/days", "-1");
    ck_assert_int_eq (config_get_int_checked (config, "unittest/days", 30, 0, INT64_MAX, &value, error, sizeof error), -1);
    ck_assert_str_eq (error, "unittest/days = '-1': expected a whole number from 0 up");
    config_destroy (&config);
}
END_TEST

Suite *
config_suite (void)
{
    Suite *suite = suite_create ("config");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_env_names);
    tcase_add_test (tc, test_precedence);
    tcase_add_test (tc, test_env_mapping_used);
    tcase_add_test (tc, test_load_file);
    tcase_add_test (tc, test_load_missing);
    tcase_add_test (tc, test_load_invalid);
    tcase_add_test (tc, test_paths);
    tcase_add_test (tc, test_path_lifetime);
    tcase_add_test (tc, test_get_int);
    tcase_add_test (tc, test_get_int_checked);
    suite_add_tcase (suite, tc);
    return suite;
}
