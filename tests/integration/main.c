/*  rcmq-integration: runs every integration suite. With an argument, only
    the suites whose names contain it (`rcmq-integration events`).

    The suites start real processes from the build dir ($RCMQ_BUILD, else
    the CMake binary dir this was built in); see harness.h.
*/
#include "suites.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    Suite *(*make) (void);
} s_suite_t;

static s_suite_t s_suites [] = {
    { "events", events_suite },
    { "auth",   auth_suite },
    { "intake", intake_suite },
    { "claims", claims_suite },
    { "metrics", metrics_suite },
    { "posting", posting_suite },
    { "replycache", replycache_suite },
    { "producers", producers_suite },
    { "scope", scope_suite },
    { "stores", stores_suite },
    { "upload", upload_suite },
    { "claims_upload", claims_upload_suite },
    { "event_table", event_table_suite },
    { "filters", filters_suite },
    { "access", access_suite },
};

int
main (int argc, char *argv [])
{
    const char *only = argc > 1? argv [1]: NULL;
    SRunner *runner = NULL;
    for (size_t i = 0; i < sizeof s_suites / sizeof s_suites [0]; i++) {
        if (only && !strstr (s_suites [i].name, only))
            continue;
        Suite *suite = s_suites [i].make ();
        if (runner)
            srunner_add_suite (runner, suite);
        else
            runner = srunner_create (suite);
    }
    if (!runner) {
        fprintf (stderr, "rcmq-integration: no suite matches '%s'\n", only);
        return 2;
    }
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed? 1: 0;
}
