/*  remitcheck FILE...: reads 835 files with the claims service's reader
    (remit835_read) and checks that each remittance adds up (remit835_check),
    for tests that make 835s without the service (payer-sim.sh).
    remitcheck --277 FILE...: reads 277CA files with the service's reader
    (ack277_read) and prints FILE ok claims=N accepted=N rejected=N.

    Prints one line per file,
        FILE ok sets=2 claims=120 lines=310 bpr=1234567 clp=1236000 plb=1433
    (amounts in cents: sum of BPR02, of CLP04 and of PLB amounts), or
        FILE FAILED reason
    and exits 1 when any file is refused or does not balance.
*/
#include "ack277.h"
#include "remit835.h"
#include "x12.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    unsigned sets, claims, lines;
    int64_t bpr, clp, plb;
    char error [512];
} s_totals_t;

static int
s_on_remit (Remittance **remit_p, void *arg)
{
    s_totals_t *totals = arg;
    const Remittance *remit = *remit_p;
    char error [400];
    if (remit835_check (remit, error, sizeof error)) {
        snprintf (totals->error, sizeof totals->error, "trace %s does not balance: %s", remit->trace, error);
        return -1;
    }
    totals->sets++;
    totals->bpr += remit->total_paid_cents;
    for (size_t i = 0; i < remit->n_claims; i++) {
        totals->claims++;
        totals->lines += (unsigned) remit->claims [i]->n_lines;
        totals->clp += remit->claims [i]->paid_cents;
    }
    for (size_t i = 0; i < remit->n_provider_adjustments; i++)
        totals->plb += remit->provider_adjustments [i]->amount_cents;
    return 0;
}

static int
s_on_ack (Acknowledgement **ack_p, void *arg)
{
    return 0;
}

int
main (int argc, char *argv [])
{
    if (argc < 2) {
        fprintf (stderr, "usage: remitcheck FILE...\n");
        return 2;
    }
    int failed = 0;
    bool acks = strcmp (argv [1], "--277") == 0;
    for (int i = acks? 2: 1; i < argc; i++) {
        FILE *file = fopen (argv [i], "rb");
        if (!file) {
            printf ("%s FAILED cannot open\n", argv [i]);
            failed = 1;
            continue;
        }
        if (acks) {
            ack277_report_t report;
            x12_reader_t *reader = x12_reader_new_file (file);
            int rc = ack277_read (reader, s_on_ack, NULL, &report);
            x12_reader_destroy (&reader);
            fclose (file);
            if (rc)
                printf ("%s FAILED %s\n", argv [i], report.error);
            else
                printf ("%s ok claims=%u accepted=%u rejected=%u\n", argv [i],
                        report.claims, report.accepted, report.rejected);
            failed |= rc != 0;
            continue;
        }
        s_totals_t totals = { .sets = 0 };
        remit835_report_t report;
        x12_reader_t *reader = x12_reader_new_file (file);
        int rc = remit835_read (reader, s_on_remit, &totals, &report);
        x12_reader_destroy (&reader);
        fclose (file);
        if (rc) {
            printf ("%s FAILED %s\n", argv [i], *totals.error? totals.error: report.error);
            failed = 1;
            continue;
        }
        printf ("%s ok sets=%u claims=%u lines=%u bpr=%lld clp=%lld plb=%lld\n", argv [i],
                totals.sets, totals.claims, totals.lines,
                (long long) totals.bpr, (long long) totals.clp, (long long) totals.plb);
    }
    return failed;
}
