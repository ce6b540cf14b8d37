/*  rcmq-unit: runs every unit suite. With an argument, only the suites whose
    names contain it (`rcmq-unit store`).
*/
#include "suites.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *name;
    Suite *(*make) (void);
} s_suite_t;

static s_suite_t s_suites [] = {
    { "clock",  clock_suite },
    { "memory", memory_suite },
    { "expo",   expo_suite },
    { "config", config_suite },
    { "store",  store_suite },
    { "codec",  codec_suite },
    { "x12",    x12_suite },
    { "parse_837p", parse_837p_suite },
    { "scrub",  scrub_suite },
    { "stage",  stage_suite },
    { "element_limits", element_limits_suite },
    { "access", access_suite },
    { "registry", registry_suite },
    { "web", web_suite },
    { "mask", mask_suite },
    { "outbox", outbox_suite },
    { "eventlog", eventlog_suite },
    { "consumer", consumer_suite },
    { "failpoint", failpoint_suite },
    { "relay", relay_suite },
    { "metrics_kpi", metrics_kpi_suite },
    { "metrics_months", metrics_months_suite },
    { "metrics_aging", metrics_aging_suite },
    { "metrics_rebuild", metrics_rebuild_suite },
    { "metrics_bounds", metrics_bounds_suite },
    { "metrics_work", metrics_work_suite },
    { "metrics_denials", metrics_denials_suite },
    { "metrics_tally", metrics_tally_suite },
    { "write837", write837_suite },
    { "remit835", remit835_suite },
    { "posting", posting_suite },
    { "apply", apply_suite },
    { "carc", carc_suite },
    { "denial_workflow", denial_workflow_suite },
    { "denial_letter", denial_letter_suite },
    { "denial_records", denial_records_suite },
    { "ack277", ack277_suite },
    { "lifecycle", lifecycle_suite },
    { "claimedit", claimedit_suite },
    { "output", output_suite },
    { "text", text_suite },
    { "files", files_suite },
    { "spool", spool_suite },
    { "phi", phi_suite },
    { "phi_claim", phi_claim_suite },
    { "keyring", keyring_suite },
    { "gate", gate_suite },
    { "server", server_suite },
    { "queues", queues_suite },
    { "grid", grid_suite },
    { "workitem", workitem_suite },
    { "ledger", ledger_suite },
    { "ledger_mark", ledger_mark_suite },
    { "sha256", sha256_suite },
    { "tlog", tlog_suite },
    { "auditrecord", auditrecord_suite },
    { "note", note_suite },
    { "calendar", calendar_suite },
    { "sla", sla_suite },
};

char *
test_tmpdir (const char *tag)
{
    const char *base = getenv ("TMPDIR");
    char *path = malloc (4096);
    snprintf (path, 4096, "%s/rcmq-%s-XXXXXX", base && *base? base: "/tmp", tag);
    if (!mkdtemp (path)) {
        perror ("mkdtemp");
        abort ();
    }
    return path;
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

void
test_rmtree (const char *dir)
{
    nftw (dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

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
        fprintf (stderr, "rcmq-unit: no suite matches '%s'\n", only);
        return 2;
    }
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed? 1: 0;
}
