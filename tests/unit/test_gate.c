/*  test_gate: who connects and acts, from the access registry
    (common/gate.c, ADR 21).

    A real LMDB store with the registry's tables and a real keys directory.
    Checked: a key file written into the keys directory (claiming role
    admin) is no one, at version 0 and after; before the registry holds
    anything (version 0) the processes' own certificates are admitted as
    role service, and only they; once the registry has its first event,
    only the registry decides, so a process key it does not hold is
    refused and the admins it bootstrapped are admitted with the
    registry's role (not the certificate's); the event sockets admit role
    service only; an answer cached at one version is read again when the
    version moves.
*/
#include "suites.h"
#include "gate.h"
#include "transport.h"

#include <czmq.h>

static const char *s_tables [] = { REGISTRY_TABLES, NULL };

typedef struct {
    char *dir;
    store_t *store;
    zcert_t *claims;            //  a process: public/claims.cert
    zcert_t *mallory;           //  a key file claiming role admin
    zcert_t *admin;             //  bootstrapped in the registry
} s_fixture_t;

static zcert_t *
s_cert (s_fixture_t *fx, const char *name, const char *role)
{
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    zcert_set_meta (cert, "team", "internal");
    char *path = zsys_sprintf ("%s/keys/public/%s.cert", fx->dir, name);
    ck_assert_int_eq (zcert_save_public (cert, path), 0);
    zstr_free (&path);
    return cert;
}

typedef struct {
    const char *name, *role, *key;
} s_boot_t;

static int
s_bootstrap (store_t *store, MDB_txn *txn, void *arg)
{
    s_boot_t *boot = (s_boot_t *) arg;
    registry_result_t result;
    registry_result_init (&result);
    int rc = registry_bootstrap (store, txn, 1000, boot->name, boot->role, "internal", boot->key, &result);
    ck_assert_int_eq (result.status, STATUS__OK);
    registry_result_clear (&result);
    return rc;
}

static void
s_boot (s_fixture_t *fx, const char *name, const char *role, zcert_t *cert)
{
    s_boot_t boot = { name, role, zcert_public_txt (cert) };
    ck_assert_int_eq (store_write (fx->store, s_bootstrap, &boot), 0);
}

START_TEST (test_gate_decides_with_the_registry)
{
    s_fixture_t fx;
    memset (&fx, 0, sizeof fx);
    fx.dir = test_tmpdir ("gate");
    ck_assert_int_eq (zsys_dir_create ("%s/keys/public", fx.dir), 0);
    char path [PATH_MAX], error [256] = "";
    snprintf (path, sizeof path, "%s/store", fx.dir);
    fx.store = store_new (path, s_tables, error, sizeof error);
    ck_assert_msg (fx.store != NULL, "store_new: %s", error);
    fx.claims = s_cert (&fx, "claims", "service");
    fx.mallory = s_cert (&fx, "mallory", "admin");
    fx.admin = s_cert (&fx, "admin", "admin");
    snprintf (path, sizeof path, "%s/keys", fx.dir);
    gate_t *gate = gate_new (fx.store, path);
    registry_caller_t caller;
    char why [256];

    //  Version 0: the process's own key is that process, role service.
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.claims), &caller), 0);
    ck_assert_str_eq (caller.identity.name, "claims");
    ck_assert_str_eq (caller.identity.role, "service");
    ck_assert_int_eq (gate_admit (gate, TRANSPORT_ZAP_DOMAIN_EVENTS, zcert_public_txt (fx.claims),
                                  why, sizeof why), 0);
    //  A person's key file is no one, whatever its metadata says.
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.mallory), &caller), 1);
    ck_assert_msg (strstr (caller.why, "not in the access registry"), "%s", caller.why);
    ck_assert_int_eq (gate_admit (gate, TRANSPORT_ZAP_DOMAIN, zcert_public_txt (fx.mallory), why, sizeof why), -1);
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.admin), &caller), 1);
    ck_assert_int_eq (gate_caller (gate, NULL, &caller), 1);

    //  The registry's first event: from now on only it decides. admin is
    //  admitted as the registry says; claims, not bootstrapped, is
    //  refused although its certificate is there (the cached version-0
    //  answer is not reused: the version moved).
    s_boot (&fx, "admin", "admin", fx.admin);
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.admin), &caller), 0);
    ck_assert_str_eq (caller.identity.name, "admin");
    ck_assert_str_eq (caller.identity.role, "admin");
    ck_assert_uint_eq (caller.version, 1);
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.claims), &caller), 1);
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.mallory), &caller), 1);
    //  The event sockets: role service only, even for an admin.
    ck_assert_int_eq (gate_admit (gate, TRANSPORT_ZAP_DOMAIN, zcert_public_txt (fx.admin), why, sizeof why), 0);
    ck_assert_int_eq (gate_admit (gate, TRANSPORT_ZAP_DOMAIN_EVENTS, zcert_public_txt (fx.admin),
                                  why, sizeof why), -1);
    ck_assert_msg (strstr (why, "only service keys"), "%s", why);
    //  The registry holds claims now: admitted again, by the registry.
    s_boot (&fx, "claims", "service", fx.claims);
    ck_assert_int_eq (gate_caller (gate, zcert_public_txt (fx.claims), &caller), 0);
    ck_assert_uint_eq (caller.version, 2);
    ck_assert_int_eq (gate_admit (gate, TRANSPORT_ZAP_DOMAIN_EVENTS, zcert_public_txt (fx.claims),
                                  why, sizeof why), 0);

    gate_destroy (&gate);
    ck_assert_ptr_null (gate);
    zcert_destroy (&fx.claims);
    zcert_destroy (&fx.mallory);
    zcert_destroy (&fx.admin);
    store_destroy (&fx.store);
    test_rmtree (fx.dir);
    free (fx.dir);
}
END_TEST

Suite *
gate_suite (void)
{
    Suite *suite = suite_create ("gate");
    TCase *tc = tcase_create ("gate");
    tcase_add_test (tc, test_gate_decides_with_the_registry);
    suite_add_tcase (suite, tc);
    return suite;
}
