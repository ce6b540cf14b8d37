/*  denials: rcmq-denials' state, one object the skeleton makes and hands
    to every handler (service_state), and the tables of its store
    (docs/denials.md). The parts, each with its own header:

        workflow.c    the states and moves, the deadline date, the priority
                      (pure: tests/unit/test_denial_workflow.c)
        appeal.c      the payers' appeal windows (config and built-in)
        records.c     a denial in the store: open, change, close, with its
                      indexes, history, events and its `denial` work item,
                      all in the caller's transaction
        items.c       the claims (and queue) events it consumes
        methods.c     denials.List, Show, Assign, Categorize, State,
                      Resolve, Approve, Policies, Correct, Appeal
        letter.c      an appeal letter from a template (pure)
        patterns.c    lessons back to intake: denials.pattern, denials.Patterns
        main.c        the process: wires the parts into the skeleton, and
                      the deadline sweep's timer

    Settings:
        denials/appeal-windows          see appeal.h
        denials/timely-filing           the payers' filing limits (an intake
                                        rejection's deadline), see appeal.h
        denials/write-off-approval-cents   above it a write-off needs a
                                        second person (50000 = $500)
        denials/sweep-ms                how often missed deadlines are looked
                                        for (1000)
        denials/pattern-min             preventable denials of one (payer,
                                        procedure or rule, category) that make
                                        a denials.pattern (5)
        denials/pattern-days            ... within this many days (30)
        denials/outbound-dir            appeal letters (<data/dir>/outbound/appeals)
        denials/templates-dir           appeal letter templates, NAME.txt (none:
                                        the built-in `default` only)
*/
#ifndef RCMQ_DENIALS_H
#define RCMQ_DENIALS_H

#include "denials.pb-c.h"
#include "service.h"
#include "appeal.h"
#include "peer.h"

//  denials            id -> DenialItem
//  denials_by_remit   pcn \0 kind \0 payer \0 trace -> id  (one per claim and remit)
//  denials_by_pcn     pcn \0 id -> ""                      (a claim's denials)
//  denials_by_deadline  8-byte big-endian deadline_ms ‖ id -> ""  (not yet acted on)
//  denials_meta       counters: next id, missed deadlines, unknown CARCs
//  queues             Queue by id, from the queue stream (grid, phase)
//  denials_by_pattern payer \0 what \0 category \0 ‖ opened_ms ‖ id -> cents ‖ CARC
//  denial_patterns    payer \0 what \0 category \0 -> DenialPattern (patterns.h)
#define DENIALS_TABLES "denials", "denials_by_remit", "denials_by_pcn", "denials_by_deadline", \
                       "denials_meta", "queues", "denials_by_pattern", "denial_patterns"

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;           //  denials.* events go out through it
    workitem_t *work;           //  the denial work items (NULL in unit tests)
    appeal_windows_t windows;
    int64_t approval_cents;     //  write-offs above it need a second person
    peer_t *claims;             //  claims' api, with our own key (NULL in unit tests)
    char *appeals_dir;          //  where appeal letters are written (NULL in unit tests)
    uint32_t pattern_min;       //  preventable denials that make a pattern (5)
    uint32_t pattern_days;      //  within this many days (30)
    char *templates_dir;        //  the letter templates (NAME.txt); NULL: the built-in only
} denials_t;

//  The state of a started service. NULL (logged) on a bad setting.
denials_t *denials_new (service_t *service);
void       denials_destroy (denials_t **self_p);

#endif
