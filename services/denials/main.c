/*  rcmq-denials: every denial from the 835 (and 277CA rejections, and
    payer take-backs) until it is won, lost or written off (DESIGN §6
    Denials, docs/denials.md). See denials.h for the parts; this file
    wires them into the skeleton (common/service.h) and runs the deadline
    sweep: a zloop timer (denials/sweep-ms) that flags the denials whose
    appeal deadline passed with no action, once each, and once before the
    loop starts so a restart catches up before it answers anything.
*/
#include "denials.h"
#include "items.h"
#include "methods.h"
#include "patterns.h"
#include "records.h"
#include "clock.h"
#include "log.h"

#define SWEEP_BATCH 1000

static const char *const s_tables [] = { DENIALS_TABLES, NULL };
//  claims: the remits' denials, payments, acknowledgements and edits;
//  intake: its scrub's rejections and their resolution (rework); queue:
//  the grid and phase of its queues; access: the registry's copy.
static const char *const s_consumes [] = { "claims", "intake", "queue", "access", NULL };

typedef struct {
    denials_t *self;
    size_t flagged;
    bool more;
} s_sweep_t;

static int
s_sweep_txn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) store;
    s_sweep_t *sweep = (s_sweep_t *) arg;
    int rc = records_sweep (sweep->self, txn, clock_now_ms (), SWEEP_BATCH, &sweep->flagged);
    sweep->more = rc == 0 && sweep->flagged == SWEEP_BATCH;
    return rc;
}

static void
s_sweep (service_t *service)
{
    s_sweep_t sweep = { (denials_t *) service_state (service), 0, true };
    while (sweep.more) {
        if (store_write (service_store (service), s_sweep_txn, &sweep)) {
            log_error ("deadline sweep failed", "error", json_string (store_error (service_store (service))), NULL);
            return;
        }
        if (sweep.flagged) {
            log_info ("appeal deadlines missed", "denials", json_integer ((json_int_t) sweep.flagged), NULL);
            service_kick (service);
        }
    }
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_sweep ((service_t *) arg);
    return 0;
}

static int
s_start (service_t *service)
{
    char error [256];
    int64_t interval;
    if (config_get_int_checked (service_config (service), "denials/sweep-ms", 1000, 10, 3600000, &interval,
                                error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return -1;
    }
    service_add_methods (service, patterns_methods);
    s_sweep (service);
    zloop_timer (service_loop (service), (size_t) interval, 0, s_on_timer, service);
    return 0;
}

//  Its work items (one per denial) follow the grid of the queues it keeps.
static const service_work_t s_work = { .queues_table = "queues" };

static const service_def_t s_service = {
    .name = "denials",
    .tables = s_tables,
    .consumes = s_consumes,
    .events = items_events,
    .methods = denials_methods,
    .state_new = (service_state_new_fn *) denials_new,
    .state_destroy = (service_state_destroy_fn *) denials_destroy,
    .start = s_start,
    .work = &s_work,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
