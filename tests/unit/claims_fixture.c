/*  claims_fixture: see claims_fixture.h. */
#include "suites.h"
#include "claims_fixture.h"

#include <czmq.h>

static const char *s_tables [] = { CLAIMS_TABLES, OUTBOX_TABLES, NULL };

void
claims_fixture_setup (claims_fixture_t *fixture, const char *name)
{
    memset (fixture, 0, sizeof *fixture);
    fixture->dir = test_tmpdir (name);
    char path [PATH_MAX], error [512] = "";
    snprintf (path, sizeof path, "%s/store", fixture->dir);
    fixture->claims.store = store_new (path, s_tables, error, sizeof error);
    ck_assert_msg (fixture->claims.store != NULL, "store_new: %s", error);
    fixture->claims.outbox = outbox_new (fixture->claims.store, "claims");
    ck_assert_ptr_nonnull (fixture->claims.outbox);
    fixture->claims.config = config_new ();
    fixture->claims.follow_up_days = 30;
}

void
claims_fixture_teardown (claims_fixture_t *fixture)
{
    config_destroy (&fixture->claims.config);
    outbox_destroy (&fixture->claims.outbox);
    store_destroy (&fixture->claims.store);
    test_rmtree (fixture->dir);
    free (fixture->dir);
}
