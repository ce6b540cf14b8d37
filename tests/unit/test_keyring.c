/*  test_keyring: the CURVE public keys a deployment knows (common/keyring.c).

    Real zcert files in a temp keys directory. A key is known, with its
    name, role and team, while its file is there; an unknown key, a key
    whose file was deleted (revoked) and the original key of a file whose
    public key was changed are not; files that are not public certs are
    ignored; a change to the directory is seen by keyring_refresh.
*/
#include "suites.h"
#include "keyring.h"

#include <czmq.h>
#include <fcntl.h>
#include <sys/stat.h>

typedef struct {
    char *dir;
    char *public_dir;
} s_keys_t;

static void
s_keys (s_keys_t *keys)
{
    keys->dir = test_tmpdir ("keyring");
    keys->public_dir = zsys_sprintf ("%s/public", keys->dir);
    ck_assert_int_eq (zsys_dir_create ("%s", keys->public_dir), 0);
}

static void
s_keys_free (s_keys_t *keys)
{
    test_rmtree (keys->dir);
    free (keys->dir);
    zstr_free (&keys->public_dir);
}

//  A new cert saved as public/<file>; the caller destroys it.
static zcert_t *
s_cert (s_keys_t *keys, const char *file, const char *name, const char *role, const char *team)
{
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    if (team)
        zcert_set_meta (cert, "team", "%s", team);
    char *path = zsys_sprintf ("%s/%s", keys->public_dir, file);
    ck_assert_int_eq (zcert_save_public (cert, path), 0);
    zstr_free (&path);
    return cert;
}

static char *
s_read (const char *path)
{
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (file);
    char *text = (char *) zmalloc (8192);
    size_t n = fread (text, 1, 8191, file);
    text [n] = 0;
    fclose (file);
    return text;
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    fclose (file);
}

//  Rewrites a file and dates it a second after it was: a rewrite of the
//  same size within the file system's timestamp tick would otherwise look
//  unchanged to the keyring's fingerprint (names, sizes, mtimes).
static void
s_rewrite (const char *path, const char *text)
{
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    s_write (path, text);
    struct timespec times [2] = { st.st_atim, st.st_mtim };
    times [1].tv_sec += 1;
    ck_assert_int_eq (utimensat (AT_FDCWD, path, times, 0), 0);
}

START_TEST (test_no_public_dir)
{
    char *dir = test_tmpdir ("keyring");
    ck_assert_ptr_null (keyring_new (dir));
    //  public/ a file, not a folder.
    char *path = zsys_sprintf ("%s/public", dir);
    s_write (path, "not a folder");
    ck_assert_ptr_null (keyring_new (dir));
    zstr_free (&path);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_lookup)
{
    s_keys_t keys;
    s_keys (&keys);
    zcert_t *alice = s_cert (&keys, "alice.cert", "alice", "ar-specialist", "internal-ar");
    zcert_t *claims = s_cert (&keys, "claims.cert", "claims", "service", NULL);
    zcert_t *stranger = zcert_new ();
    //  Not public certs: a secret cert, a note, a certificate with no name
    //  before its ".cert".
    char *path = zsys_sprintf ("%s/bob.cert_secret", keys.public_dir);
    zcert_t *bob = zcert_new ();
    ck_assert_int_eq (zcert_save_secret (bob, path), 0);
    zstr_free (&path);
    path = zsys_sprintf ("%s/README", keys.public_dir);
    s_write (path, "public keys live here\n");
    zstr_free (&path);

    keyring_t *keyring = keyring_new (keys.dir);
    ck_assert_ptr_nonnull (keyring);
    ck_assert_uint_eq (keyring_size (keyring), 2);
    const identity_t *who = keyring_lookup (keyring, zcert_public_txt (alice));
    ck_assert_ptr_nonnull (who);
    ck_assert_str_eq (who->key, zcert_public_txt (alice));
    ck_assert_str_eq (who->name, "alice");
    ck_assert_str_eq (who->role, "ar-specialist");
    ck_assert_str_eq (who->team, "internal-ar");
    who = keyring_lookup (keyring, zcert_public_txt (claims));
    ck_assert_ptr_nonnull (who);
    ck_assert_str_eq (who->role, "service");
    ck_assert_str_eq (who->team, "");
    ck_assert_ptr_null (keyring_lookup (keyring, zcert_public_txt (stranger)));
    ck_assert_ptr_null (keyring_lookup (keyring, zcert_public_txt (bob)));
    ck_assert_ptr_null (keyring_lookup (keyring, NULL));
    ck_assert_ptr_null (keyring_lookup (keyring, ""));
    //  Nothing changed: no reload.
    ck_assert (!keyring_refresh (keyring));

    keyring_destroy (&keyring);
    ck_assert_ptr_null (keyring);
    zcert_destroy (&alice);
    zcert_destroy (&claims);
    zcert_destroy (&stranger);
    zcert_destroy (&bob);
    s_keys_free (&keys);
}
END_TEST

//  Deleting a file revokes its key; a new file is known after refresh.
START_TEST (test_revoke_and_add)
{
    s_keys_t keys;
    s_keys (&keys);
    zcert_t *alice = s_cert (&keys, "alice.cert", "alice", "admin", NULL);
    zcert_t *carol = s_cert (&keys, "carol.cert", "carol", "viewer", NULL);
    keyring_t *keyring = keyring_new (keys.dir);
    ck_assert_uint_eq (keyring_size (keyring), 2);

    char *path = zsys_sprintf ("%s/alice.cert", keys.public_dir);
    ck_assert_int_eq (unlink (path), 0);
    zstr_free (&path);
    ck_assert (keyring_refresh (keyring));
    ck_assert_ptr_null (keyring_lookup (keyring, zcert_public_txt (alice)));
    ck_assert_ptr_nonnull (keyring_lookup (keyring, zcert_public_txt (carol)));
    ck_assert_uint_eq (keyring_size (keyring), 1);

    zcert_t *dave = s_cert (&keys, "dave.cert", "dave", "vendor-agent", "acme");
    ck_assert_ptr_null (keyring_lookup (keyring, zcert_public_txt (dave)));
    ck_assert (keyring_refresh (keyring));
    const identity_t *who = keyring_lookup (keyring, zcert_public_txt (dave));
    ck_assert_ptr_nonnull (who);
    ck_assert_str_eq (who->team, "acme");
    ck_assert (!keyring_refresh (keyring));

    keyring_destroy (&keyring);
    zcert_destroy (&alice);
    zcert_destroy (&carol);
    zcert_destroy (&dave);
    s_keys_free (&keys);
}
END_TEST

//  A cert file changed by hand: the key it held is no longer known (its
//  name and role do not go with another key), and a file whose key is not
//  a CURVE key at all is skipped, not taken as some identity.
START_TEST (test_tampered)
{
    s_keys_t keys;
    s_keys (&keys);
    zcert_t *alice = s_cert (&keys, "alice.cert", "alice", "admin", NULL);
    zcert_t *carol = s_cert (&keys, "carol.cert", "carol", "viewer", NULL);
    keyring_t *keyring = keyring_new (keys.dir);
    ck_assert_ptr_nonnull (keyring_lookup (keyring, zcert_public_txt (alice)));

    //  One character of alice's key changed (to another Z85 character).
    char *path = zsys_sprintf ("%s/alice.cert", keys.public_dir);
    char *text = s_read (path);
    char *key = strstr (text, zcert_public_txt (alice));
    ck_assert_ptr_nonnull (key);
    key [0] = key [0] == 'a'? 'b': 'a';
    char tampered [41];
    memcpy (tampered, key, 40);
    tampered [40] = 0;
    s_rewrite (path, text);
    ck_assert (keyring_refresh (keyring));
    ck_assert_ptr_null (keyring_lookup (keyring, zcert_public_txt (alice)));
    const identity_t *who = keyring_lookup (keyring, tampered);
    ck_assert_ptr_nonnull (who);
    ck_assert_str_eq (who->key, tampered);

    //  Cut to 39 characters: not a key; the file is skipped.
    key [39] = 0;
    char *cut = zsys_sprintf ("%s\"\n", text);
    s_rewrite (path, cut);
    zstr_free (&cut);
    ck_assert (keyring_refresh (keyring));
    ck_assert_ptr_null (keyring_lookup (keyring, tampered));
    ck_assert_uint_eq (keyring_size (keyring), 1);
    ck_assert_ptr_nonnull (keyring_lookup (keyring, zcert_public_txt (carol)));

    //  (A file that is not a cert at all is skipped too, but czmq's
    //  zconfig_load leaks the zfile_t of a file it cannot parse, which
    //  LeakSanitizer rightly reports; so it is not tried here.)

    free (text);
    zstr_free (&path);
    keyring_destroy (&keyring);
    zcert_destroy (&alice);
    zcert_destroy (&carol);
    s_keys_free (&keys);
}
END_TEST

Suite *
keyring_suite (void)
{
    Suite *suite = suite_create ("keyring");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_no_public_dir);
    tcase_add_test (tc, test_lookup);
    tcase_add_test (tc, test_revoke_and_add);
    tcase_add_test (tc, test_tampered);
    suite_add_tcase (suite, tc);
    return suite;
}
