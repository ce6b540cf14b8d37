/*  appeal: the payers' appeal windows (how many days after the remit date
    an appeal of a level may be filed), from config and built-in defaults,
    as a table the denials service reads when it opens a denial.

        denials
            appeal-windows = "group medicaid 1 90; payer SKNY0 1 120; payer SKNY0 2 60"

    Entries are separated by ';', each `group NAME LEVEL DAYS` or `payer
    PAYER_ID LEVEL DAYS`. A payer's own window beats its group's, and the
    group `default` answers every payer group no entry names. Built-in
    (docs/denials.md): medicare 120 days (level 1, redetermination) and
    180 (level 2, reconsideration); commercial and bcbs 180 and 60;
    tricare 90; default 90. Medicaid differs by state: a deployment names
    each state's Medicaid payer (`payer ID 1 DAYS`); until it does, the
    `default` row answers and the denial's deadline_policy says so.

    Timely filing (level 0 rows in the same table): how many days after
    the date of service a claim may be filed with the payer. An intake
    rejection never reached the payer, so its clock is the filing limit,
    not an appeal window:

        denials
            timely-filing = "group medicaid 180; payer SKNY0 120"

    Entries `group NAME DAYS` or `payer PAYER_ID DAYS`, same precedence.
    Built-in: medicare 365 (one calendar year), tricare 365, bcbs 180,
    commercial 90, default 90 (the strictest common contract term: a
    deployment names its payers' own).
*/
#ifndef RCMQ_DENIALS_APPEAL_H
#define RCMQ_DENIALS_APPEAL_H

#include <stdbool.h>
#include <stddef.h>

#define APPEAL_WINDOWS_MAX 256

typedef struct {
    bool payer;                 //  a payer's own window (else a group's)
    char name [64];             //  payer id or payer group
    unsigned level;             //  0: the timely-filing limit
    unsigned days;
    bool built_in;
} appeal_window_t;

typedef struct {
    appeal_window_t rows [APPEAL_WINDOWS_MAX];
    size_t count;
} appeal_windows_t;

//  The built-in rows, then text's entries over them (a same kind, name
//  and level replaces the built-in). 0, or -1 with the entry at fault
//  named in error.
int  appeal_windows_parse (appeal_windows_t *self, const char *text, char *error, size_t size);

//  Adds the built-in timely-filing rows (level 0) and text's entries
//  (`group NAME DAYS`, `payer PAYER_ID DAYS`) over them. Call after
//  appeal_windows_parse. 0, or -1 with the entry at fault in error.
int  appeal_filing_parse (appeal_windows_t *self, const char *text, char *error, size_t size);

//  The window for a payer (id, group) at level: the payer's row, else its
//  group's, else default's. NULL when none (a level no row names).
const appeal_window_t *appeal_window_find (const appeal_windows_t *self, const char *payer_id,
                                           const char *payer_group, unsigned level);

//  "payer_group medicare level 1: 120 days" (level 0: "payer_group
//  medicare timely filing: 365 days") into buf.
void appeal_window_describe (const appeal_window_t *window, char *buf, size_t size);

#endif
