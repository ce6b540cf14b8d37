/*  denial_facts: what metrics keeps of denials (issue 17, docs/metrics.md
    "Denials"), from the `denials` stream: denials.opened, categorized,
    state_changed, resolved and deadline_missed, each a DenialItem as the
    change left it (services/denials/records.c sends the denial without
    its history).

    As work_facts.c does for work items, the handler does not care which
    event it was: it compares the denial with what metrics last counted of
    it (its DenialFact) and moves the difference, so every figure follows
    from the states a denial went through, in order, and nothing else.

    Dimensions: the claims dimensions the denial carries (DenialItem.dims,
    as the claims event that opened or added to it had them), interned by
    dims.c into the same combinations as the claims figures. So a denial
    figure is filtered and grouped by payer, payer group, location, service
    line, queue and owner team exactly as the claims figures are, and a
    query walks one list of combinations for both.

    Tables (METRICS_DENIAL_TABLES in metrics.h):
        denial_facts   denial id -> DenialFact
        denial_open    (dims) -> denials open now (not won, written off
                       or cancelled)
        denial_by_day  (dims, day) -> flow counters (DENIAL_FLOWS)

    The handler runs in the consumer's transaction with the stream's offset
    (ADR 0009), like facts.c: a kill at any instant leaves the figures and
    the offset together.
*/
#ifndef RCMQ_METRICS_DENIAL_FACTS_H
#define RCMQ_METRICS_DENIAL_FACTS_H

#include "consumer.h"
#include "metrics.h"
#include "denials.pb-c.h"

//  Flow counters per (dims, day): the day of the change that made them.
#define DENIAL_FLOWS(X) \
    X (opened)              /* denials opened (on their opened_ms) */ \
    X (appealed)            /* appeals started with none pending */ \
    X (first_appealed)      /* denials appealed for the first time */ \
    X (appeal_ms)           /* ... their time from opening to that appeal */ \
    X (decided)             /* appeals the payer decided: won or lost */ \
    X (overturned)          /* ... won */ \
    X (won)                 /* denials won, appealed or not */ \
    X (recovered_cents)     /* recovered after the denial (on the change's day) */ \
    X (written_off)         /* denials written off */ \
    X (written_off_cents)   /* ... their amount */ \
    X (missed)              /* appeal deadlines missed (on the deadline's day) */

#define DENIAL_ENUM(name) DENIAL_FLOW_##name,
typedef enum { DENIAL_FLOWS (DENIAL_ENUM) DENIAL_FLOW_COUNT } denial_flow_t;
#undef DENIAL_ENUM

//  The denials events (work events of the stream are work_facts.c's).
#define DENIAL_FACTS_TYPE(type) { "denials", type, &denial_item__descriptor, denial_facts_on_event }
#define DENIAL_FACTS_EVENTS \
    DENIAL_FACTS_TYPE ("opened"), DENIAL_FACTS_TYPE ("categorized"), DENIAL_FACTS_TYPE ("state_changed"), \
    DENIAL_FACTS_TYPE ("resolved"), DENIAL_FACTS_TYPE ("deadline_missed"), DENIAL_FACTS_TYPE ("appealed")

//  A consumer_handler_fn for a DenialItem. A denial without an id, or in
//  a state metrics does not know, is refused (the stream stops on it,
//  ADR 0009): a figure that skipped it would be wrong without a word.
int  denial_facts_on_event (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state);

//  The fact of a denial, or NULL. Free with codec_free.
DenialFact *denial_facts_get (store_t *store, MDB_txn *txn, const char *id);

//  Sums for one combination. Return 0 or an LMDB error.
int  denial_open_count (store_t *store, MDB_txn *txn, uint32_t dims, int64_t *open);
int  denial_flows_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to,
                       int64_t out [DENIAL_FLOW_COUNT]);

#endif
