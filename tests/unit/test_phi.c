/*  test_phi: PHI fields sealed at rest (common/phi.c).

    Real key files in a temp directory. A sealed field opens only with the
    key, record id, field name and key version it was sealed under, and
    not once a byte of it changed; a key file that is missing or malformed
    is refused with a reason naming it; the blind index matches equal
    member ids whatever their case and blanks, and nothing else.
*/
#include "suites.h"
#include "phi.h"

#include <czmq.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

//  Writes text to dir/name and returns the path (free it).
static char *
s_key_file (const char *dir, const char *name, const char *text)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    fclose (file);
    return path;
}

static phi_key_t *
s_load (const char *path)
{
    char error [256] = "";
    phi_key_t *key = phi_key_load (path, error, sizeof error);
    ck_assert_msg (key != NULL, "phi_key_load %s: %s", path, error);
    return key;
}

#define S_HEX_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define S_HEX_B "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"

//  `rcmqctl keys init` makes the key once: 0600, "1:<64 hex>", and a
//  second call leaves the first key as it was.
START_TEST (test_generate)
{
    char *dir = test_tmpdir ("phi");
    char *path = zsys_sprintf ("%s/phi.key", dir);
    ck_assert_int_eq (phi_key_generate (path), 0);
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_mode & 0777, 0600);
    char first [200] = "", again [200] = "";
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (fgets (first, sizeof first, file));
    fclose (file);
    ck_assert_uint_eq (strlen (first), 2 + 64 + 1);
    ck_assert (strncmp (first, "1:", 2) == 0);
    ck_assert_uint_eq (strspn (first + 2, "0123456789abcdef"), 64);

    ck_assert_int_eq (phi_key_generate (path), 0);
    file = fopen (path, "r");
    ck_assert_ptr_nonnull (fgets (again, sizeof again, file));
    fclose (file);
    ck_assert_str_eq (first, again);

    phi_key_t *key = s_load (path);
    ck_assert_uint_eq (phi_key_version (key), 1);
    phi_key_destroy (&key);
    ck_assert_ptr_null (key);
    //  A folder that does not exist: an error, not a key.
    char *nowhere = zsys_sprintf ("%s/no/such/phi.key", dir);
    ck_assert_int_eq (phi_key_generate (nowhere), -1);
    zstr_free (&nowhere);
    zstr_free (&path);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  Each malformed file is refused, and the reason names the file.
START_TEST (test_load_refuses)
{
    char *dir = test_tmpdir ("phi");
    static const struct { const char *text; const char *why; } s_bad [] = {
        { "",                           "expected" },
        { S_HEX_A "\n",                 "expected" },    //  no version
        { "0:" S_HEX_A "\n",            "expected" },    //  version 0
        { "256:" S_HEX_A "\n",          "expected" },    //  version above a byte
        { "1:0011\n",                   "32 bytes" },    //  short
        { "1:" S_HEX_A "00\n",          "32 bytes" },    //  long
        { "1:zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", "32 bytes" },
    };
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad [0]; i++) {
        char *path = s_key_file (dir, "bad.key", s_bad [i].text);
        char error [256] = "";
        phi_key_t *key = phi_key_load (path, error, sizeof error);
        ck_assert_msg (key == NULL, "case %zu loaded", i);
        ck_assert_msg (strstr (error, path) && strstr (error, s_bad [i].why),
                       "case %zu: '%s'", i, error);
        zstr_free (&path);
    }
    char *missing = zsys_sprintf ("%s/missing.key", dir);
    char error [256] = "";
    ck_assert_ptr_null (phi_key_load (missing, error, sizeof error));
    ck_assert_ptr_nonnull (strstr (error, missing));
    zstr_free (&missing);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  Sealed form: version ‖ nonce (24) ‖ ciphertext ‖ tag (16); the
//  plaintext round-trips, empty and binary included; two seals of one
//  value differ (fresh nonce) and neither holds the plaintext.
START_TEST (test_round_trip)
{
    char *dir = test_tmpdir ("phi");
    char *path = s_key_file (dir, "phi.key", "3:" S_HEX_A "\n");
    phi_key_t *key = s_load (path);
    ck_assert_uint_eq (phi_key_version (key), 3);

    const char *name = "JOHNSON-SMITHERSON";
    size_t size1, size2, length = 99;
    uint8_t *one = phi_seal (key, "claim-1", "patient.last_name", (const uint8_t *) name, strlen (name), &size1);
    uint8_t *two = phi_seal (key, "claim-1", "patient.last_name", (const uint8_t *) name, strlen (name), &size2);
    ck_assert_uint_eq (size1, 1 + 24 + strlen (name) + 16);
    ck_assert_uint_eq (size1, size2);
    ck_assert_uint_eq (one [0], 3);
    ck_assert (memcmp (one, two, size1) != 0);
    ck_assert_ptr_null (memmem (one, size1, "JOHNSON", 7));
    char *plain = phi_open (key, "claim-1", "patient.last_name", one, size1, &length);
    ck_assert_ptr_nonnull (plain);
    ck_assert_str_eq (plain, name);
    ck_assert_uint_eq (length, strlen (name));
    free (plain);
    plain = phi_open (key, "claim-1", "patient.last_name", two, size2, NULL);
    ck_assert_str_eq (plain, name);
    free (plain);
    free (one);
    free (two);

    //  Empty, and bytes with a NUL inside (a packed Address may hold one).
    uint8_t *empty = phi_seal (key, "r", "f", (const uint8_t *) "", 0, &size1);
    ck_assert_uint_eq (size1, 1 + 24 + 16);
    plain = phi_open (key, "r", "f", empty, size1, &length);
    ck_assert_ptr_nonnull (plain);
    ck_assert_uint_eq (length, 0);
    ck_assert_str_eq (plain, "");
    free (plain);
    free (empty);
    const uint8_t binary [] = { 0x0a, 0x00, 0xff, 0x00, 0x41 };
    uint8_t *sealed = phi_seal (key, "r", "f", binary, sizeof binary, &size1);
    plain = phi_open (key, "r", "f", sealed, size1, &length);
    ck_assert_uint_eq (length, sizeof binary);
    ck_assert_int_eq (memcmp (plain, binary, sizeof binary), 0);
    free (plain);
    free (sealed);

    phi_key_destroy (&key);
    zstr_free (&path);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  The additional data binds a field to its record, name and key version,
//  and the tag to every byte: any change and it does not open.
START_TEST (test_open_refuses)
{
    char *dir = test_tmpdir ("phi");
    char *path_a = s_key_file (dir, "a.key", "1:" S_HEX_A "\n");
    char *path_b = s_key_file (dir, "b.key", "1:" S_HEX_B "\n");
    char *path_a2 = s_key_file (dir, "a2.key", "2:" S_HEX_A "\n");
    phi_key_t *key = s_load (path_a);
    phi_key_t *other = s_load (path_b);
    phi_key_t *same_bytes_v2 = s_load (path_a2);

    const char *dob = "19700101";
    size_t size;
    uint8_t *sealed = phi_seal (key, "P100", "patient.birth_date", (const uint8_t *) dob, 8, &size);
    char *plain = phi_open (key, "P100", "patient.birth_date", sealed, size, NULL);
    ck_assert_str_eq (plain, dob);
    free (plain);

    ck_assert_ptr_null (phi_open (other, "P100", "patient.birth_date", sealed, size, NULL));
    ck_assert_ptr_null (phi_open (same_bytes_v2, "P100", "patient.birth_date", sealed, size, NULL));
    ck_assert_ptr_null (phi_open (key, "P101", "patient.birth_date", sealed, size, NULL));
    ck_assert_ptr_null (phi_open (key, "P10", "patient.birth_date", sealed, size, NULL));
    ck_assert_ptr_null (phi_open (key, "P100", "subscriber.birth_date", sealed, size, NULL));
    //  Same lengths, other names: the names themselves are bound.
    ck_assert_ptr_null (phi_open (key, "P100", "patient.first_name", sealed, size, NULL));
    ck_assert_ptr_null (phi_open (key, "Q100", "patient.birth_date", sealed, size, NULL));
    //  record ‖ 0 ‖ field: moving a character across the separator is
    //  another record and field, not the same bytes.
    ck_assert_ptr_null (phi_open (key, "P100p", "atient.birth_date", sealed, size, NULL));
    //  Every byte: version, nonce, ciphertext, tag.
    for (size_t i = 0; i < size; i++) {
        sealed [i] ^= 0x01;
        ck_assert_msg (phi_open (key, "P100", "patient.birth_date", sealed, size, NULL) == NULL,
                       "opened with byte %zu changed", i);
        sealed [i] ^= 0x01;
    }
    //  Cut short, down to nothing.
    for (size_t cut = 1; cut <= size; cut++)
        ck_assert_ptr_null (phi_open (key, "P100", "patient.birth_date", sealed, size - cut, NULL));
    //  Unchanged, it still opens: the loop above put every byte back.
    plain = phi_open (key, "P100", "patient.birth_date", sealed, size, NULL);
    ck_assert_str_eq (plain, dob);
    free (plain);
    //  phi_open_to: the same plaintext into the caller's bytes (exactly
    //  phi_open_size of them), the same refusals.
    ck_assert_uint_eq (phi_open_size (size), 9);
    ck_assert_uint_eq (phi_open_size (40), 0);
    ck_assert_uint_eq (phi_open_size (41), 1);
    char out [9];
    size_t length = 0;
    ck_assert_int_eq (phi_open_to (key, "P100", "patient.birth_date", sealed, size, out, &length), 0);
    ck_assert_str_eq (out, dob);
    ck_assert_uint_eq (length, 8);
    ck_assert_int_eq (phi_open_to (other, "P100", "patient.birth_date", sealed, size, out, NULL), -1);
    ck_assert_int_eq (phi_open_to (key, "P101", "patient.birth_date", sealed, size, out, NULL), -1);
    ck_assert_int_eq (phi_open_to (key, "P100", "patient.birth_date", sealed, 40, out, NULL), -1);
    sealed [size - 1] ^= 0x01;
    ck_assert_int_eq (phi_open_to (key, "P100", "patient.birth_date", sealed, size, out, NULL), -1);
    sealed [size - 1] ^= 0x01;
    free (sealed);

    phi_key_destroy (&key);
    phi_key_destroy (&other);
    phi_key_destroy (&same_bytes_v2);
    zstr_free (&path_a);
    zstr_free (&path_b);
    zstr_free (&path_a2);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  The blind index: "abc 123" and "ABC123" are one member id; another id,
//  or the same id under another key, is another index. A digest of the
//  same bytes is never the member id's index.
START_TEST (test_blind_index)
{
    char *dir = test_tmpdir ("phi");
    char *path_a = s_key_file (dir, "a.key", "1:" S_HEX_A "\n");
    char *path_b = s_key_file (dir, "b.key", "1:" S_HEX_B "\n");
    phi_key_t *key = s_load (path_a);
    phi_key_t *other = s_load (path_b);
    uint8_t a [PHI_BLIND_INDEX_SIZE], b [PHI_BLIND_INDEX_SIZE], c [PHI_BLIND_INDEX_SIZE];
    phi_blind_index (key, "abc 123", a);
    phi_blind_index (key, " A B C 1 2 3\t", b);
    ck_assert_int_eq (memcmp (a, b, sizeof a), 0);
    phi_blind_index (key, "ABC124", c);
    ck_assert_int_ne (memcmp (a, c, sizeof a), 0);
    phi_blind_index (other, "ABC123", c);
    ck_assert_int_ne (memcmp (a, c, sizeof a), 0);

    phi_digest (key, "ABC123", 6, c);
    ck_assert_int_ne (memcmp (a, c, sizeof a), 0);
    phi_digest (key, "ABC123", 6, b);
    ck_assert_int_eq (memcmp (b, c, sizeof b), 0);
    phi_digest (key, "ABC124", 6, b);
    ck_assert_int_ne (memcmp (b, c, sizeof b), 0);
    phi_digest (other, "ABC123", 6, b);
    ck_assert_int_ne (memcmp (b, c, sizeof b), 0);

    phi_key_destroy (&key);
    phi_key_destroy (&other);
    zstr_free (&path_a);
    zstr_free (&path_b);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  Seals key's "x" and copies its 24-byte nonce into nonce.
static void
s_seal_nonce (phi_key_t *key, uint8_t nonce [24])
{
    size_t size;
    uint8_t *sealed = phi_seal (key, "r", "f", (const uint8_t *) "x", 1, &size);
    memcpy (nonce, sealed + 1, 24);
    char *plain = phi_open (key, "r", "f", sealed, size, NULL);
    ck_assert_str_eq (plain, "x");
    free (plain);
    free (sealed);
}

//  Nonces are a random 16-byte prefix per loaded key and process, then a
//  counter (ADR 0047: no system call per seal): one key's seals share the
//  prefix and count up by one; another load of the same key file (another
//  process, a restart) draws another prefix; a forked child never goes on
//  with its parent's prefix, so the two cannot hand out the same nonce.
START_TEST (test_nonces)
{
    char *dir = test_tmpdir ("phi");
    char *path = s_key_file (dir, "a.key", "1:" S_HEX_A "\n");
    phi_key_t *key = s_load (path);
    phi_key_t *again = s_load (path);
    uint8_t first [24], nonce [24];
    s_seal_nonce (key, first);
    for (uint64_t i = 1; i <= 300; i++) {
        s_seal_nonce (key, nonce);
        ck_assert_int_eq (memcmp (nonce, first, 16), 0);
        uint64_t counter = 0, base = 0;
        for (int b = 16; b < 24; b++) {
            counter = counter << 8 | nonce [b];
            base = base << 8 | first [b];
        }
        ck_assert_uint_eq (counter, base + i);
    }
    s_seal_nonce (again, nonce);
    ck_assert_int_ne (memcmp (nonce, first, 16), 0);

    int pipes [2];
    ck_assert_int_eq (pipe (pipes), 0);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        uint8_t theirs [24];
        s_seal_nonce (key, theirs);
        _exit (write (pipes [1], theirs, sizeof theirs) == (ssize_t) sizeof theirs? 0: 1);
    }
    uint8_t theirs [24];
    ck_assert_int_eq (read (pipes [0], theirs, sizeof theirs), (ssize_t) sizeof theirs);
    int status = 0;
    waitpid (child, &status, 0);
    ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    close (pipes [0]);
    close (pipes [1]);
    s_seal_nonce (key, nonce);
    ck_assert_int_eq (memcmp (nonce, first, 16), 0);
    ck_assert_int_ne (memcmp (theirs, first, 16), 0);
    ck_assert_int_ne (memcmp (theirs, nonce, 24), 0);

    phi_key_destroy (&key);
    phi_key_destroy (&again);
    zstr_free (&path);
    test_rmtree (dir);
    free (dir);
}
END_TEST

Suite *
phi_suite (void)
{
    Suite *suite = suite_create ("phi");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_generate);
    tcase_add_test (tc, test_load_refuses);
    tcase_add_test (tc, test_round_trip);
    tcase_add_test (tc, test_open_refuses);
    tcase_add_test (tc, test_blind_index);
    tcase_add_test (tc, test_nonces);
    suite_add_tcase (suite, tc);
    return suite;
}
