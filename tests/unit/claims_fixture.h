/*  claims_fixture: a claims service's state on a real LMDB store in a temp
    directory, for the suites that drive services/claims code directly
    (test_ledger, test_apply): the claims tables and an outbox, an empty
    config, follow-up in 30 days.
*/
#ifndef RCMQ_TEST_CLAIMS_FIXTURE_H
#define RCMQ_TEST_CLAIMS_FIXTURE_H

#include "claims.h"

typedef struct {
    char *dir;
    claims_t claims;
} claims_fixture_t;

//  name names the temp directory (test_tmpdir).
void claims_fixture_setup (claims_fixture_t *fixture, const char *name);
void claims_fixture_teardown (claims_fixture_t *fixture);

#endif
