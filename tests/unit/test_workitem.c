/*  test_workitem: the work-item model and its escalation engine in a real
    LMDB store with a real outbox (common/workstate, workclock, workitem,
    escalation, worklist).

    The SLA rules and the grid come from two small hooks of the test's own
    (a policy "t100": target 100 s of plain time, level 1 at 75 s, level 2
    at 100 s, level 3 at 150 s; waiting_* pause; levels escalate to lee,
    max, ceo), so every expected instant is the test's own arithmetic, not
    something read back from rcmq. One case runs the clock in a real
    business calendar (common/calendar) with figures worked out by hand.
*/
#include "suites.h"
#include "calendar.h"
#include "clock.h"
#include "codec.h"
#include "escalation.h"
#include "outbox.h"
#include "workitem.h"
#include "worklist.h"
#include "workpolicy.h"
#include "config.h"
#include "consumer.h"
#include "claims.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000000ULL                 //  an instant to count from
#define TARGET 100000ULL

static const char *s_tables [] = { WORKITEM_TABLES, OUTBOX_TABLES, NULL };

typedef struct {
    char *dir;
    store_t *store;
    outbox_t *outbox;
    workitem_t *work;
} s_ctx_t;

static bool
s_pauses (void *policy, const char *state)
{
    return strncmp (state, "waiting_", 8) == 0;
}

static int
s_rules (void *arg, const WorkItem *item, workclock_rules_t *rules, char *error, size_t size)
{
    if (!*item->sla_policy)
        return 0;
    if (strcmp (item->sla_policy, "t100")) {
        snprintf (error, size, "no policy '%s'", item->sla_policy);
        return -1;
    }
    rules->pauses = s_pauses;
    rules->target_ms = item->target_ms? item->target_ms: TARGET;
    rules->levels = 3;
    rules->level_spent [0] = rules->target_ms * 75 / 100;
    rules->level_spent [1] = rules->target_ms;
    rules->level_spent [2] = rules->target_ms + 50000;
    return 0;
}

static int
s_grid (void *arg, MDB_txn *txn, const WorkItem *item, workitem_grid_t *entry)
{
    snprintf (entry->team, sizeof entry->team, "internal");
    snprintf (entry->sla_policy, sizeof entry->sla_policy, "t100");
    snprintf (entry->escalate [0], 64, "lee");
    snprintf (entry->escalate [1], 64, "max");
    snprintf (entry->escalate [2], 64, "ceo");
    return 0;
}

static void
s_open (s_ctx_t *ctx)
{
    char error [512] = "";
    ctx->store = store_new (ctx->dir, s_tables, error, sizeof error);
    ck_assert_msg (ctx->store != NULL, "store_new: %s", error);
    ctx->outbox = outbox_new (ctx->store, "claims");
    ck_assert (ctx->outbox);
    ctx->work = workitem_new (ctx->store, ctx->outbox, "claims", "claims");
    workitem_set_rules (ctx->work, s_rules, NULL);
    workitem_set_grid (ctx->work, s_grid, NULL);
}

static void
s_close (s_ctx_t *ctx)
{
    workitem_destroy (&ctx->work);
    outbox_destroy (&ctx->outbox);
    store_destroy (&ctx->store);
}

static void
s_setup (s_ctx_t *ctx)
{
    ctx->dir = test_tmpdir ("workitem");
    s_open (ctx);
}

static void
s_teardown (s_ctx_t *ctx)
{
    s_close (ctx);
    test_rmtree (ctx->dir);
    free (ctx->dir);
}

//  One change in a write transaction of its own.
typedef enum { OP_CREATE, OP_STATE, OP_ASSIGN, OP_NOTE, OP_DUE, OP_SWEEP, OP_TRACK_STATE, OP_TRACK_DUE, OP_SUBJECT } s_op_kind_t;

typedef struct {
    s_ctx_t *ctx;
    s_op_kind_t kind;
    uint64_t at;
    const char *id;
    const char *text;               //  state, owner, note
    const char *policy;             //  create
    const char *queue;
    uint64_t due_ms;
    const char *type;               //  create: follow_up when NULL
    const char *blocks;             //  create: the item that waits for it
    const char *note;               //  state
    const char *subject_state;      //  track
    size_t batch;
    int result;                     //  the operation's own return
    char made [64];                 //  created id
    escalation_stats_t stats;
} s_op_t;

static int
s_run_op (store_t *store, MDB_txn *txn, void *arg)
{
    s_op_t *op = (s_op_t *) arg;
    workitem_t *work = op->ctx->work;
    WorkItem *item = NULL;
    switch (op->kind) {
        case OP_CREATE: {
            workitem_spec_t spec = { .type = op->type? op->type: "follow_up", .subject = "P1",
                                     .queue = op->queue? op->queue: "q1", .sla_policy = op->policy,
                                     .owner = op->text, .due_ms = op->due_ms, .blocks = op->blocks,
                                     .what = op->blocks? "the operative note": NULL };
            op->result = workitem_create (work, txn, &spec, "claims", op->at, &item);
            if (item)
                snprintf (op->made, sizeof op->made, "%s", item->id);
            break;
        }
        case OP_STATE:
            op->result = workitem_set_state (work, txn, op->id, op->text, "bob", op->note, op->at, NULL);
            break;
        case OP_ASSIGN:
            op->result = workitem_assign (work, txn, op->id, op->text, "bob", NULL, op->at, NULL);
            break;
        case OP_NOTE:
            op->result = workitem_note (work, txn, op->id, "bob", op->text, op->at, NULL);
            break;
        case OP_DUE:
            op->result = workitem_set_due (work, txn, op->id, op->due_ms, "bob", NULL, op->at, NULL);
            break;
        case OP_TRACK_STATE:
            op->result = workitem_track_state (work, txn, op->id, op->subject_state, op->text, "claims", op->note,
                                               op->at);
            break;
        case OP_TRACK_DUE:
            op->result = workitem_track_due (work, txn, op->id, op->subject_state, op->due_ms, "claims", op->note,
                                             op->at);
            break;
        case OP_SUBJECT:
            op->result = workitem_set_subject_state (work, txn, op->id, op->subject_state, op->at);
            break;
        case OP_SWEEP:
            op->result = escalation_sweep (work, txn, op->at, op->batch, &op->stats);
            break;
    }
    codec_free (item);
    //  A refusal writes nothing; the test reads the result.
    return op->result == WORKITEM_REFUSED? 0: op->result;
}

static s_op_t
s_do (s_ctx_t *ctx, s_op_t op)
{
    op.ctx = ctx;
    ck_assert_msg (store_write (ctx->store, s_run_op, &op) == 0, "store_write: %s", store_error (ctx->store));
    return op;
}

static char *
s_create (s_ctx_t *ctx, uint64_t at, const char *policy)
{
    s_op_t op = s_do (ctx, (s_op_t) { .kind = OP_CREATE, .at = at, .policy = policy });
    ck_assert_msg (op.result == 0, "create: %s", workitem_error (ctx->work));
    return strdup (op.made);
}

static WorkItem *
s_get (s_ctx_t *ctx, const char *id)
{
    MDB_txn *txn = store_read_begin (ctx->store);
    WorkItem *item;
    ck_assert_int_eq (workitem_get (ctx->work, txn, id, &item), 0);
    store_read_end (&txn);
    return item;
}

//  The outbox's events of a type, in order: their WorkEvents (caller
//  frees each), count in *count.
static WorkEvent **
s_events (s_ctx_t *ctx, const char *type, size_t *count)
{
    WorkEvent **events = calloc (64, sizeof (WorkEvent *));
    *count = 0;
    MDB_txn *txn = store_read_begin (ctx->store);
    store_iter_t *iter = store_iter_new (ctx->store, txn, "outbox", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        ck_assert (event);
        if (strcmp (event->type, type) == 0 && *count < 64)
            events [(*count)++] = (WorkEvent *) codec_decode (&work_event__descriptor,
                                                               event->payload.data, event->payload.len);
        codec_free (event);
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    return events;
}

static void
s_events_free (WorkEvent **events, size_t count)
{
    for (size_t i = 0; i < count; i++)
        codec_free (events [i]);
    free (events);
}

//  --------------------------------------------------------------------------

//  A documentation request: the follow-up it blocks waits in
//  waiting_practice (clock paused, its state remembered) while any request
//  is open, and returns to that state when the last one ends; done of a
//  request needs the answer. Figures are the test's own clock arithmetic.
START_TEST (test_waits_for_documentation)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *follow = s_create (&ctx, T0, "t100");
    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 10000, .id = follow, .text = "in_progress" });

    s_op_t made = s_do (&ctx, (s_op_t) { .kind = OP_CREATE, .at = T0 + 20000, .policy = "t100",
                                         .type = "documentation_request", .blocks = follow });
    ck_assert_msg (made.result == 0, "create: %s", workitem_error (ctx.work));
    WorkItem *item = s_get (&ctx, made.made);
    ck_assert_str_eq (item->blocks, follow);
    ck_assert_str_eq (item->what, "the operative note");
    codec_free (item);
    item = s_get (&ctx, follow);
    ck_assert_str_eq (item->state, "waiting_practice");
    ck_assert_str_eq (item->resume_state, "in_progress");
    ck_assert_uint_eq (item->n_waiting_for, 1);
    ck_assert_str_eq (item->waiting_for [0], made.made);
    ck_assert_uint_eq (item->spent_ms, 20000);
    ck_assert_uint_eq (item->running_since_ms, 0);          //  paused
    ck_assert_uint_eq (item->next_boundary_ms, 0);
    codec_free (item);

    //  A second request while it waits: it stays, listing both.
    s_op_t second = s_do (&ctx, (s_op_t) { .kind = OP_CREATE, .at = T0 + 25000, .policy = "t100",
                                           .type = "documentation_request", .blocks = follow });
    ck_assert_int_eq (second.result, 0);
    item = s_get (&ctx, follow);
    ck_assert_str_eq (item->state, "waiting_practice");
    ck_assert_str_eq (item->resume_state, "in_progress");
    ck_assert_uint_eq (item->n_waiting_for, 2);
    codec_free (item);

    //  done without the answer is refused and writes nothing.
    uint64_t depth = outbox_depth (ctx.outbox);
    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 29000, .id = made.made, .text = "done" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    ck_assert_int_eq (workitem_status (ctx.work), STATUS__INVALID_ARGUMENT);
    ck_assert_msg (strstr (workitem_error (ctx.work), "--note"), "%s", workitem_error (ctx.work));
    ck_assert_uint_eq (outbox_depth (ctx.outbox), depth);

    //  The first answered: still waiting for the second (a noted event).
    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 30000, .id = made.made, .text = "done",
                                .note = "op note sent 11/3" });
    ck_assert_msg (op.result == 0, "%s", workitem_error (ctx.work));
    item = s_get (&ctx, follow);
    ck_assert_str_eq (item->state, "waiting_practice");
    ck_assert_uint_eq (item->n_waiting_for, 1);
    ck_assert_str_eq (item->waiting_for [0], second.made);
    ck_assert_msg (strstr (item->history [item->n_history - 1]->note, "op note sent 11/3"), "%s",
                   item->history [item->n_history - 1]->note);
    codec_free (item);

    //  The second withdrawn: back to in_progress, the clock running from
    //  then with the 20 s it had counted.
    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 40000, .id = second.made, .text = "cancelled" });
    ck_assert_msg (op.result == 0, "%s", workitem_error (ctx.work));
    item = s_get (&ctx, follow);
    ck_assert_str_eq (item->state, "in_progress");
    ck_assert_str_eq (item->resume_state, "");
    ck_assert_uint_eq (item->n_waiting_for, 0);
    ck_assert_uint_eq (item->spent_ms, 20000);
    ck_assert_uint_eq (item->running_since_ms, T0 + 40000);
    ck_assert_uint_eq (item->due_ms, T0 + 40000 + TARGET - 20000);
    ck_assert_uint_eq (item->first_touch_ms, T0 + 10000);   //  the resume is the service's, not a touch
    codec_free (item);

    //  The owner hears each step: the follow-up's events.
    size_t count;
    WorkEvent **events = s_events (&ctx, "work.state_changed", &count);
    size_t mine = 0;
    const WorkEvent *last = NULL;
    for (size_t i = 0; i < count; i++)
        if (streq (events [i]->item->id, follow)) {
            mine++;
            last = events [i];
        }
    ck_assert_uint_eq (mine, 3);        //  in_progress, waiting_practice, back
    ck_assert_str_eq (last->from, "waiting_practice");
    ck_assert_str_eq (last->to, "in_progress");
    ck_assert_msg (strstr (last->note, second.made) && strstr (last->note, "cancelled by bob"), "%s", last->note);
    s_events_free (events, count);
    events = s_events (&ctx, "work.noted", &count);
    ck_assert_uint_eq (count, 2);       //  the second request, the first answer
    ck_assert_msg (strstr (events [1]->note, "answered by bob: op note sent 11/3"), "%s", events [1]->note);
    s_events_free (events, count);

    //  Nothing waits on a final item.
    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 50000, .id = follow, .text = "done" });
    op = s_do (&ctx, (s_op_t) { .kind = OP_CREATE, .at = T0 + 60000, .policy = "t100",
                                .type = "documentation_request", .blocks = follow });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    ck_assert_int_eq (workitem_status (ctx.work), STATUS__FAILED_PRECONDITION);
    free (follow);
    s_teardown (&ctx);
}
END_TEST

START_TEST (test_state_table)
{
    char error [256];
    const char *states [] = { "open", "in_progress", "waiting_payer", "waiting_patient",
                              "waiting_practice", "done", "cancelled" };
    for (size_t i = 0; i < 7; i++)
        ck_assert (workstate_known (states [i]));
    ck_assert (!workstate_known ("closed"));
    ck_assert (!workstate_known (""));
    ck_assert (!workstate_known (NULL));
    ck_assert (workstate_final ("done") && workstate_final ("cancelled") && !workstate_final ("open"));

    ck_assert_int_eq (workstate_check ("open", "in_progress", error, sizeof error), 0);
    ck_assert_int_eq (workstate_check ("waiting_payer", "done", error, sizeof error), 0);
    ck_assert_int_eq (workstate_check ("open", "closed", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "no state 'closed'") && strstr (error, "waiting_practice"), "%s", error);
    ck_assert_int_eq (workstate_check ("done", "open", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "is done"), "%s", error);
    ck_assert_int_eq (workstate_check ("cancelled", "in_progress", error, sizeof error), -1);
    ck_assert_int_eq (workstate_check ("open", "open", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "already open"), "%s", error);
}
END_TEST

START_TEST (test_illegal_moves_refused)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    uint64_t depth = outbox_depth (ctx.outbox);

    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 1, .id = id, .text = "closed" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    ck_assert_int_eq (workitem_status (ctx.work), STATUS__INVALID_ARGUMENT);
    ck_assert_msg (strstr (workitem_error (ctx.work), id) && strstr (workitem_error (ctx.work), "no state 'closed'"),
                   "%s", workitem_error (ctx.work));

    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 2, .id = id, .text = "done" });
    ck_assert_int_eq (op.result, 0);
    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 3, .id = id, .text = "open" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    ck_assert_int_eq (workitem_status (ctx.work), STATUS__FAILED_PRECONDITION);
    ck_assert_msg (strstr (workitem_error (ctx.work), "is done"), "%s", workitem_error (ctx.work));
    op = s_do (&ctx, (s_op_t) { .kind = OP_ASSIGN, .at = T0 + 3, .id = id, .text = "ann" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 3, .id = "claims-0000009999", .text = "open" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    ck_assert_int_eq (workitem_status (ctx.work), STATUS__NOT_FOUND);

    //  Only the one legal move wrote anything: one state_changed event.
    ck_assert_uint_eq (outbox_depth (ctx.outbox), depth + 1);
    WorkItem *item = s_get (&ctx, id);
    ck_assert_str_eq (item->state, "done");
    ck_assert_uint_eq (item->closed_ms, T0 + 2);
    ck_assert_uint_eq (item->next_boundary_ms, 0);
    ck_assert_uint_eq (item->n_history, 2);
    ck_assert_str_eq (item->history [1]->what, "state open -> done");
    codec_free (item);
    free (id);
    s_teardown (&ctx);
}
END_TEST

START_TEST (test_create_from_grid)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, NULL);
    ck_assert_str_eq (id, "claims-0000000001");
    WorkItem *item = s_get (&ctx, id);
    ck_assert_str_eq (item->team, "internal");
    ck_assert_str_eq (item->sla_policy, "t100");
    ck_assert_str_eq (item->state, "open");
    ck_assert_uint_eq (item->running_since_ms, T0);
    ck_assert_uint_eq (item->due_ms, T0 + TARGET);
    ck_assert_uint_eq (item->next_boundary_ms, T0 + 75000);
    ck_assert_uint_eq (item->target_ms, TARGET);
    codec_free (item);
    size_t count;
    WorkEvent **events = s_events (&ctx, "work.created", &count);
    ck_assert_uint_eq (count, 1);
    ck_assert_str_eq (events [0]->item->id, id);
    ck_assert_uint_eq (events [0]->item->n_history, 0);     //  events go without the history
    s_events_free (events, count);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  Pause and resume: the clock stops in waiting_payer and the due instant
//  moves by exactly the time paused.
START_TEST (test_pause_resume)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    //  30 s run, then 1000 s waiting, then it runs again.
    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 30000, .id = id, .text = "waiting_payer" });
    WorkItem *item = s_get (&ctx, id);
    ck_assert_uint_eq (item->spent_ms, 30000);
    ck_assert_uint_eq (item->running_since_ms, 0);
    ck_assert_uint_eq (item->next_boundary_ms, 0);       //  paused: out of the sweep's index
    ck_assert_uint_eq (item->due_ms, 0);                 //  no due instant while the clock stands
    ck_assert_uint_eq (item->first_touch_ms, T0 + 30000);
    codec_free (item);

    //  A sweep long after the level 1 instant finds nothing: paused.
    s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 500000 });
    ck_assert_uint_eq (sweep.stats.visited, 0);

    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 1030000, .id = id, .text = "in_progress" });
    item = s_get (&ctx, id);
    ck_assert_uint_eq (item->spent_ms, 30000);
    ck_assert_uint_eq (item->running_since_ms, T0 + 1030000);
    ck_assert_uint_eq (item->due_ms, T0 + 1030000 + 70000);
    ck_assert_uint_eq (item->next_boundary_ms, T0 + 1030000 + 45000);
    codec_free (item);
    //  Moving between two running states settles without losing time.
    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 1040000, .id = id, .text = "open" });
    item = s_get (&ctx, id);
    ck_assert_uint_eq (item->spent_ms, 40000);
    ck_assert_uint_eq (item->due_ms, T0 + 1030000 + 70000);
    codec_free (item);
    free (id);
    s_teardown (&ctx);
}
END_TEST

static uint64_t
s_cal_add (void *calendar, uint64_t start_ms, uint64_t ms)
{
    return calendar_add ((const calendar_t *) calendar, start_ms, ms);
}

static uint64_t
s_cal_between (void *calendar, uint64_t from_ms, uint64_t to_ms)
{
    return calendar_between ((const calendar_t *) calendar, from_ms, to_ms);
}

//  The same in a real business calendar (UTC, mon-fri 09:00-17:00), with a
//  target of 8 business hours. 2026-11-06 is a Friday.
START_TEST (test_pause_resume_calendar)
{
    char error [256];
    calendar_t *calendar = calendar_new ("UTC", "mon-fri 09:00-17:00", "", error, sizeof error);
    ck_assert_msg (calendar, "%s", error);
    uint64_t fri_16, mon_10, tue_0930, hour = 3600000;
    ck_assert_int_eq (clock_parse_iso8601 ("2026-11-06T16:00:00Z", &fri_16), 0);
    ck_assert_int_eq (clock_parse_iso8601 ("2026-11-09T10:00:00Z", &mon_10), 0);
    ck_assert_int_eq (clock_parse_iso8601 ("2026-11-10T09:30:00Z", &tue_0930), 0);
    workclock_rules_t rules = { 0 };
    rules.calendar = calendar;
    rules.add = s_cal_add;
    rules.between = s_cal_between;
    rules.pauses = s_pauses;
    rules.target_ms = 8 * hour;
    rules.levels = 3;
    rules.level_spent [0] = 6 * hour;
    rules.level_spent [1] = 8 * hour;
    rules.level_spent [2] = 16 * hour;

    WorkItem item = WORK_ITEM__INIT;
    item.state = "open";
    workclock_start (&item, &rules, fri_16);
    //  Friday 16-17 is 1 h; Monday from 09:00 the other 7 h: due 16:00,
    //  level 1 (6 h) at 14:00.
    ck_assert_uint_eq (item.due_ms, mon_10 + 6 * hour);
    ck_assert_uint_eq (item.next_boundary_ms, mon_10 + 4 * hour);
    //  Paused Monday 10:00 (2 h spent), resumed Tuesday 09:30: 6 h left,
    //  due Tuesday 15:30; level 1 (4 h left) at 13:30.
    workclock_move (&item, &rules, mon_10, "waiting_payer");
    item.state = "waiting_payer";
    ck_assert_uint_eq (item.spent_ms, 2 * hour);
    ck_assert_uint_eq (workclock_spent (&item, &rules, tue_0930), 2 * hour);
    workclock_move (&item, &rules, tue_0930, "in_progress");
    item.state = "in_progress";
    ck_assert_uint_eq (item.due_ms, tue_0930 + 6 * hour);
    ck_assert_uint_eq (item.next_boundary_ms, tue_0930 + 4 * hour);
    ck_assert (!workclock_overdue (&item, &rules, tue_0930 + 6 * hour - 1));
    ck_assert (workclock_overdue (&item, &rules, tue_0930 + 6 * hour));
    //  Overnight does not count: Tuesday 17:00 to Wednesday 09:00 adds nothing.
    ck_assert_uint_eq (workclock_spent (&item, &rules, tue_0930 + 7 * hour + 30 * 60000),
                       workclock_spent (&item, &rules, tue_0930 + 23 * hour + 30 * 60000));
    calendar_destroy (&calendar);
}
END_TEST

//  Levels at their exact instants: one millisecond before, nothing; at the
//  instant, the level.
START_TEST (test_levels_at_exact_boundaries)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    uint64_t instants [3] = { T0 + 75000, T0 + 100000, T0 + 150000 };
    for (uint32_t level = 1; level <= 3; level++) {
        s_op_t before = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = instants [level - 1] - 1 });
        ck_assert_uint_eq (before.stats.raised, 0);
        WorkItem *item = s_get (&ctx, id);
        ck_assert_uint_eq (item->escalation_level, level - 1);
        codec_free (item);
        s_op_t at = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = instants [level - 1] });
        ck_assert_uint_eq (at.stats.raised, 1);
        item = s_get (&ctx, id);
        ck_assert_uint_eq (item->escalation_level, level);
        const char *people [] = { "lee", "max", "ceo" };
        ck_assert_str_eq (item->escalated_to, people [level - 1]);
        ck_assert_uint_eq (item->next_boundary_ms, level < 3? instants [level]: 0);
        codec_free (item);
    }
    //  At its last level it stays escalated and visible to the escalated filter.
    worklist_t list = { ctx.work, NULL, T0 + 999999, NULL, NULL };
    WorkListRequest request = WORK_LIST_REQUEST__INIT;
    request.escalated = true;
    request.overdue = true;
    MDB_txn *txn = store_read_begin (ctx.store);
    store_page_t page;
    ck_assert_int_eq (worklist_read (&list, txn, &request, 10, &page), 0);
    ck_assert_uint_eq (page.count, 1);
    ck_assert (((WorkItem *) page.rows [0])->overdue);
    store_page_clear (&page);
    store_read_end (&txn);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  Exactly once: sweeps repeated raise nothing more; a store reopened at a
//  later instant catches up two levels, in order, each once.
START_TEST (test_exactly_once_and_catch_up)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    for (int i = 0; i < 3; i++) {
        s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 80000 + i });
        ck_assert_uint_eq (sweep.stats.raised, i == 0? 1: 0);
    }
    s_close (&ctx);
    s_open (&ctx);
    //  Reopened long after both later levels.
    s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 400000 });
    ck_assert_uint_eq (sweep.stats.raised, 2);
    sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 500000 });
    ck_assert_uint_eq (sweep.stats.raised, 0);
    ck_assert_uint_eq (sweep.stats.visited, 0);
    s_close (&ctx);
    s_open (&ctx);
    sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 600000 });
    ck_assert_uint_eq (sweep.stats.raised, 0);

    size_t count;
    WorkEvent **events = s_events (&ctx, "work.escalated", &count);
    ck_assert_uint_eq (count, 3);
    const char *people [] = { "lee", "max", "ceo" };
    uint64_t boundaries [] = { T0 + 75000, T0 + 100000, T0 + 150000 };
    for (size_t i = 0; i < count; i++) {
        ck_assert_uint_eq (events [i]->level, i + 1);
        ck_assert_uint_eq (events [i]->item->escalation_level, i + 1);
        ck_assert_str_eq (events [i]->item->escalated_to, people [i]);
        ck_assert_uint_eq (events [i]->boundary_ms, boundaries [i]);
    }
    ck_assert_uint_eq (events [1]->time_ms, T0 + 400000);      //  caught up later, at the restart's sweep
    s_events_free (events, count);
    WorkItem *item = s_get (&ctx, id);
    ck_assert_uint_eq (item->escalation_level, 3);
    ck_assert_uint_eq (item->next_boundary_ms, 0);
    codec_free (item);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  The sweep reads only index entries at or before now: with 500 items
//  whose boundaries lie ahead and 7 due, it visits 7. Paused and final
//  items are not in the index at all.
START_TEST (test_sweep_visits_only_due)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    for (int i = 0; i < 500; i++)
        free (s_create (&ctx, T0 + 1000000 + (uint64_t) i, "t100"));
    char *due [7];
    for (int i = 0; i < 7; i++)
        due [i] = s_create (&ctx, T0 + (uint64_t) i, "t100");
    char *paused = s_create (&ctx, T0, "t100");
    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 1, .id = paused, .text = "waiting_patient" });
    char *closed = s_create (&ctx, T0, "t100");
    s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 1, .id = closed, .text = "done" });

    MDB_txn *txn = store_read_begin (ctx.store);
    ck_assert_uint_eq (store_count (ctx.store, txn, "work_by_boundary"), 507);
    store_read_end (&txn);

    s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 75000 + 6 });
    ck_assert_uint_eq (sweep.stats.visited, 7);
    ck_assert_uint_eq (sweep.stats.raised, 7);
    //  A batch of 3 takes them three at a time and says more are due.
    for (int i = 0; i < 7; i++)
        s_do (&ctx, (s_op_t) { .kind = OP_NOTE, .at = T0 + 80000, .id = due [i], .text = "x" });
    sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 100006, .batch = 3 });
    ck_assert_uint_eq (sweep.stats.visited, 3);
    ck_assert (sweep.stats.more);
    sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 100006, .batch = 3 });
    ck_assert_uint_eq (sweep.stats.visited, 3);
    sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 100006, .batch = 3 });
    ck_assert_uint_eq (sweep.stats.visited, 1);
    ck_assert (!sweep.stats.more);
    for (int i = 0; i < 7; i++)
        free (due [i]);
    free (paused);
    free (closed);
    s_teardown (&ctx);
}
END_TEST

//  A boundary entry whose item is gone is removed, not stuck on: the
//  sweep goes on to the items after it.
static int
s_stale_entry (store_t *store, MDB_txn *txn, void *arg)
{
    uint8_t key [WORKITEM_KEY_MAX];
    size_t size = workitem_boundary_key (key, T0, "claims-0000000000");
    return store_put (store, txn, "work_by_boundary", key, size, "", 0);
}

START_TEST (test_stale_index_entry)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    ck_assert_int_eq (store_write (ctx.store, s_stale_entry, NULL), 0);
    s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 75000 });
    ck_assert_int_eq (sweep.result, 0);
    ck_assert_uint_eq (sweep.stats.raised, 1);
    MDB_txn *txn = store_read_begin (ctx.store);
    ck_assert_uint_eq (store_count (ctx.store, txn, "work_by_boundary"), 1);     //  the item's next level
    store_read_end (&txn);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  Work events ride on their service's stream: a consumer's entry for every
//  type of that stream (metrics' claims entry, a ClaimEvent) must not take
//  them — a WorkEvent does not decode as a ClaimEvent, and the stream
//  stopped on the first one. An entry naming the type does take it.
static int s_dispatched;

static int
s_count_dispatch (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    s_dispatched++;
    return 0;
}

START_TEST (test_work_events_dispatch)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    size_t count = 0;
    Event *created = NULL;
    MDB_txn *txn = store_read_begin (ctx.store);
    store_iter_t *iter = store_iter_new (ctx.store, txn, "outbox", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value) && !created) {
        created = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        count++;
    }
    store_iter_destroy (&iter);
    ck_assert_ptr_nonnull (created);
    ck_assert_str_eq (created->stream, "claims");
    ck_assert_str_eq (created->type, "work.created");
    const consumer_event_t every [] = {
        { "claims", NULL, &claim_event__descriptor, s_count_dispatch },
        { NULL }
    };
    const consumer_event_t named [] = {
        { "claims", "work.created", &work_event__descriptor, s_count_dispatch },
        { "claims", NULL, &claim_event__descriptor, s_count_dispatch },
        { NULL }
    };
    s_dispatched = 0;
    ck_assert_int_eq (consumer_dispatch (every, ctx.store, txn, created, NULL), 0);
    ck_assert_int_eq (s_dispatched, 0);
    ck_assert_int_eq (consumer_dispatch (named, ctx.store, txn, created, NULL), 0);
    ck_assert_int_eq (s_dispatched, 1);
    store_read_end (&txn);
    codec_free (created);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  An explicit due instant moves the levels with it.
START_TEST (test_set_due)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_DUE, .at = T0 + 10000, .id = id, .due_ms = T0 + 410000 });
    ck_assert_int_eq (op.result, 0);
    WorkItem *item = s_get (&ctx, id);
    ck_assert_uint_eq (item->target_ms, 410000);
    ck_assert_uint_eq (item->due_ms, T0 + 410000);
    ck_assert_uint_eq (item->next_boundary_ms, T0 + 410000 * 75 / 100);
    codec_free (item);
    s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = T0 + 300000 });
    ck_assert_uint_eq (sweep.stats.raised, 0);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  track_state and track_due: the domain state and the change in one
//  write, as set_subject_state then the change would leave the item; the
//  subject's item lookup (type and state only) sees it end.
static size_t
s_of_subject (s_ctx_t *ctx, bool open_only)
{
    MDB_txn *txn = store_read_begin (ctx->store);
    zlistx_t *ids;
    ck_assert_int_eq (workitem_of_subject (ctx->work, txn, "P1", "follow_up", open_only, &ids), 0);
    size_t count = zlistx_size (ids);
    //  The first open one, as the list has it, read without a list.
    if (open_only) {
        char first [WORKITEM_KEY_MAX] = "x";
        ck_assert_int_eq (workitem_open_of_subject (ctx->work, txn, "P1", "follow_up", first, sizeof first), 0);
        ck_assert_str_eq (first, count? (const char *) zlistx_first (ids): "");
        ck_assert_int_eq (workitem_open_of_subject (ctx->work, txn, "P1", "denial", first, sizeof first), 0);
        ck_assert_str_eq (first, "");
    }
    zlistx_destroy (&ids);
    zlistx_t *others;
    ck_assert_int_eq (workitem_of_subject (ctx->work, txn, "P1", "denial", false, &others), 0);
    ck_assert_uint_eq (zlistx_size (others), 0);
    zlistx_destroy (&others);
    store_read_end (&txn);
    return count;
}

//  Every work event in the outbox is what packing its WorkEvent makes,
//  byte for byte (the item first, then the rest; no field twice): the
//  events a change builds from the item's stored bytes (packed once)
//  read as those packed whole did.
static void
s_events_canonical (s_ctx_t *ctx)
{
    MDB_txn *txn = store_read_begin (ctx->store);
    store_iter_t *iter = store_iter_new (ctx->store, txn, "outbox", NULL, 0);
    MDB_val key, value;
    size_t seen = 0;
    while (store_iter_next (iter, &key, &value)) {
        Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        ck_assert (event);
        if (strncmp (event->type, "work.", 5) == 0) {
            WorkEvent *work = (WorkEvent *) codec_decode (&work_event__descriptor, event->payload.data,
                                                          event->payload.len);
            ck_assert (work && work->item);
            ck_assert_uint_eq (work->item->n_history, 0);
            ck_assert_uint_eq (work->item->base.n_unknown_fields, 0);
            size_t size;
            uint8_t *again = codec_pack (work, &size);
            ck_assert_uint_eq (size, event->payload.len);
            ck_assert_msg (memcmp (again, event->payload.data, size) == 0, "%s: not as packed", event->type);
            free (again);
            codec_free (work);
            seen++;
        }
        codec_free (event);
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    ck_assert_uint_gt (seen, 0);
}

START_TEST (test_track)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    ck_assert_uint_eq (s_of_subject (&ctx, true), 1);
    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_TRACK_DUE, .at = T0 + 10000, .id = id, .due_ms = T0 + 410000,
                                       .subject_state = "submitted", .note = "resubmitted" });
    ck_assert_int_eq (op.result, 0);
    WorkItem *item = s_get (&ctx, id);
    ck_assert_str_eq (item->subject_state, "submitted");
    ck_assert_uint_eq (item->target_ms, 410000);
    ck_assert_uint_eq (item->due_ms, T0 + 410000);
    ck_assert_uint_eq (item->n_history, 2);
    codec_free (item);

    op = s_do (&ctx, (s_op_t) { .kind = OP_TRACK_STATE, .at = T0 + 20000, .id = id, .text = "done",
                                .subject_state = "paid", .note = "claim paid" });
    ck_assert_int_eq (op.result, 0);
    item = s_get (&ctx, id);
    ck_assert_str_eq (item->state, "done");
    ck_assert_str_eq (item->subject_state, "paid");
    ck_assert_uint_eq (item->closed_ms, T0 + 20000);
    ck_assert_uint_eq (item->updated_ms, T0 + 20000);
    ck_assert_uint_eq (item->n_history, 3);
    ck_assert_str_eq (item->history [2]->what, "state open -> done");
    ck_assert_str_eq (item->history [2]->note, "claim paid");
    codec_free (item);
    //  One event each, carrying the state tracked.
    size_t count;
    WorkEvent **events = s_events (&ctx, "work.state_changed", &count);
    ck_assert_uint_eq (count, 1);
    ck_assert_str_eq (events [0]->item->subject_state, "paid");
    ck_assert_str_eq (events [0]->to, "done");
    //  Sent without its history (held as bytes in the change).
    ck_assert_uint_eq (events [0]->item->n_history, 0);
    ck_assert_uint_eq (events [0]->item->base.n_unknown_fields, 0);
    s_events_free (events, count);
    events = s_events (&ctx, "work.due_changed", &count);
    ck_assert_uint_eq (count, 1);
    ck_assert_str_eq (events [0]->item->subject_state, "submitted");
    s_events_free (events, count);
    s_events_canonical (&ctx);
    ck_assert_uint_eq (s_of_subject (&ctx, true), 0);
    ck_assert_uint_eq (s_of_subject (&ctx, false), 1);

    //  A final item refuses a new due: nothing written, its state tracked kept.
    op = s_do (&ctx, (s_op_t) { .kind = OP_TRACK_DUE, .at = T0 + 30000, .id = id, .due_ms = T0 + 900000,
                                .subject_state = "submitted" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    item = s_get (&ctx, id);
    ck_assert_str_eq (item->subject_state, "paid");
    codec_free (item);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  The item as it was (from, the history line, the index keys moved off)
//  is read from the one decode of the item before the change replaced
//  its texts: owners longer than the view keeps on the stack included,
//  through a change for the service itself (the item not handed back)
//  and one that hands it back.
static int
s_assign_handed_back (store_t *store, MDB_txn *txn, void *arg)
{
    s_op_t *op = (s_op_t *) arg;
    WorkItem *item = NULL;
    op->result = workitem_assign (op->ctx->work, txn, op->id, op->text, "bob", NULL, op->at, &item);
    ck_assert (op->result != 0 || (item && strcmp (item->owner, op->text) == 0));
    codec_free (item);
    return op->result == WORKITEM_REFUSED? 0: op->result;
}

static bool
s_owner_indexed (s_ctx_t *ctx, const char *owner, const char *id)
{
    uint8_t key [WORKITEM_KEY_MAX];
    size_t size = strlen (owner);
    memcpy (key, owner, size);
    key [size] = 0;
    memcpy (key + size + 1, id, strlen (id));
    MDB_txn *txn = store_read_begin (ctx->store);
    MDB_val value;
    int rc = store_get (ctx->store, txn, "work_by_owner", key, size + 1 + strlen (id), &value);
    store_read_end (&txn);
    return rc == 0;
}

START_TEST (test_change_reads_item_as_it_was)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    const char *ann = "ann-whose-name-is-longer-than-sixty-four-bytes-so-the-view-takes-it-on-the-heap";
    const char *bea = "bea";
    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_ASSIGN, .at = T0 + 1000, .id = id, .text = ann });
    ck_assert_int_eq (op.result, 0);
    op = (s_op_t) { .ctx = &ctx, .at = T0 + 2000, .id = id, .text = bea };
    ck_assert_int_eq (store_write (ctx.store, s_assign_handed_back, &op), 0);
    ck_assert_int_eq (op.result, 0);
    op = s_do (&ctx, (s_op_t) { .kind = OP_ASSIGN, .at = T0 + 3000, .id = id, .text = ann });
    ck_assert_int_eq (op.result, 0);
    ck_assert (s_owner_indexed (&ctx, ann, id));
    ck_assert (!s_owner_indexed (&ctx, bea, id));
    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 4000, .id = id, .text = "in_progress" });
    ck_assert_int_eq (op.result, 0);

    size_t count;
    WorkEvent **events = s_events (&ctx, "work.assigned", &count);
    ck_assert_uint_eq (count, 3);
    ck_assert_str_eq (events [0]->from, "");
    ck_assert_str_eq (events [0]->to, ann);
    ck_assert_str_eq (events [1]->from, ann);
    ck_assert_str_eq (events [1]->to, bea);
    ck_assert_str_eq (events [2]->from, bea);
    ck_assert_str_eq (events [2]->to, ann);
    s_events_free (events, count);
    events = s_events (&ctx, "work.state_changed", &count);
    ck_assert_uint_eq (count, 1);
    ck_assert_str_eq (events [0]->from, "open");
    ck_assert_str_eq (events [0]->to, "in_progress");
    s_events_free (events, count);
    WorkItem *item = s_get (&ctx, id);
    ck_assert_uint_eq (item->n_history, 5);
    ck_assert_str_eq (item->history [2]->what, "assigned bea (was ann-whose-name-is-longer-than-sixty-four-bytes-so-the-view-takes-it-on-the-heap)");
    ck_assert_str_eq (item->history [4]->what, "state open -> in_progress");
    codec_free (item);
    s_events_canonical (&ctx);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  set_subject_state rewrites the item's bytes with the state tracked and
//  updated_ms alone changed: every other field, the history and the
//  indexes as they were, no event; a missing item is refused.
START_TEST (test_subject_state)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    WorkItem *before = s_get (&ctx, id);
    size_t events_before;
    WorkEvent **created = s_events (&ctx, "work.created", &events_before);
    s_events_free (created, events_before);
    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_SUBJECT, .at = T0 + 5000, .id = id, .subject_state = "accepted" });
    ck_assert_int_eq (op.result, 0);
    WorkItem *item = s_get (&ctx, id);
    ck_assert_str_eq (item->subject_state, "accepted");
    ck_assert_uint_eq (item->updated_ms, T0 + 5000);
    //  The rest packs as before once those two are put back.
    codec_set_text (&item->subject_state, before->subject_state);
    item->updated_ms = before->updated_ms;
    size_t size_a, size_b;
    uint8_t *a = codec_pack (before, &size_a), *b = codec_pack (item, &size_b);
    ck_assert_uint_eq (size_a, size_b);
    ck_assert (memcmp (a, b, size_a) == 0);
    free (a);
    free (b);
    codec_free (item);
    //  Twice, then emptied: one value each time, the last.
    s_do (&ctx, (s_op_t) { .kind = OP_SUBJECT, .at = T0 + 6000, .id = id, .subject_state = "paid" });
    item = s_get (&ctx, id);
    ck_assert_str_eq (item->subject_state, "paid");
    ck_assert_uint_eq (item->n_history, before->n_history);
    ck_assert_str_eq (item->state, "open");
    codec_free (item);
    s_do (&ctx, (s_op_t) { .kind = OP_SUBJECT, .at = T0 + 7000, .id = id, .subject_state = "" });
    item = s_get (&ctx, id);
    ck_assert_str_eq (item->subject_state, "");
    ck_assert_uint_eq (item->updated_ms, T0 + 7000);
    codec_free (item);
    //  No event of its own; the item still found as its subject's.
    size_t count;
    WorkEvent **events = s_events (&ctx, "work.created", &count);
    ck_assert_uint_eq (count, events_before);
    s_events_free (events, count);
    ck_assert_uint_eq (s_of_subject (&ctx, true), 1);
    //  A later change decodes and writes it as any other.
    op = s_do (&ctx, (s_op_t) { .kind = OP_TRACK_STATE, .at = T0 + 8000, .id = id, .text = "done",
                                .subject_state = "denied", .note = "claim denied" });
    ck_assert_int_eq (op.result, 0);
    item = s_get (&ctx, id);
    ck_assert_str_eq (item->subject_state, "denied");
    ck_assert_str_eq (item->state, "done");
    codec_free (item);
    ck_assert_uint_eq (s_of_subject (&ctx, true), 0);
    op = s_do (&ctx, (s_op_t) { .kind = OP_SUBJECT, .at = T0 + 9000, .id = "claims-0000000099", .subject_state = "x" });
    ck_assert_int_eq (op.result, WORKITEM_REFUSED);
    ck_assert_int_eq (workitem_status (ctx.work), STATUS__NOT_FOUND);
    codec_free (before);
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  Minimum necessary: what of a patient each work type needs, and that a
//  person needs it only while they own an open item on the subject.
static unsigned
s_owner_needs (s_ctx_t *ctx, const char *owner, char *item_id, size_t size)
{
    MDB_txn *txn = store_read_begin (ctx->store);
    unsigned needs = 99;
    ck_assert_int_eq (workitem_owner_needs (ctx->work, txn, "P1", owner, &needs, item_id, size), 0);
    store_read_end (&txn);
    return needs;
}

START_TEST (test_phi_needs)
{
    const unsigned payer = MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) | MASK_NEED (MASK_FIELD_MEMBER_ID);
    ck_assert_uint_eq (workitem_phi_needs ("follow_up"), payer);
    ck_assert_uint_eq (workitem_phi_needs ("denial"), payer);
    ck_assert_uint_eq (workitem_phi_needs ("documentation_request"),
                       MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB));
    ck_assert_uint_eq (workitem_phi_needs ("inquiry"), MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_ADDRESS));
    ck_assert_uint_eq (workitem_phi_needs ("action"), 0);
    ck_assert_uint_eq (workitem_phi_needs ("nonsense"), 0);

    s_ctx_t ctx;
    s_setup (&ctx);
    char *id = s_create (&ctx, T0, "t100");
    char item_id [64];
    ck_assert_uint_eq (s_owner_needs (&ctx, "ann", item_id, sizeof item_id), 0);
    ck_assert_str_eq (item_id, "");
    s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_ASSIGN, .at = T0 + 1000, .id = id, .text = "ann" });
    ck_assert_int_eq (op.result, 0);
    ck_assert_uint_eq (s_owner_needs (&ctx, "ann", item_id, sizeof item_id), payer);
    ck_assert_str_eq (item_id, id);
    //  Someone else, or no one, needs nothing of it.
    ck_assert_uint_eq (s_owner_needs (&ctx, "bob", item_id, sizeof item_id), 0);
    ck_assert_uint_eq (s_owner_needs (&ctx, "", item_id, sizeof item_id), 0);
    //  Done: the need ends with the work.
    op = s_do (&ctx, (s_op_t) { .kind = OP_STATE, .at = T0 + 2000, .id = id, .text = "done" });
    ck_assert_int_eq (op.result, 0);
    ck_assert_uint_eq (s_owner_needs (&ctx, "ann", item_id, sizeof item_id), 0);
    ck_assert_str_eq (item_id, "");
    free (id);
    s_teardown (&ctx);
}
END_TEST

//  Paging: by id and through the owner index, every item once, in order,
//  next_after "" on the last page.
START_TEST (test_paging)
{
    s_ctx_t ctx;
    s_setup (&ctx);
    for (int i = 0; i < 25; i++) {
        s_op_t op = s_do (&ctx, (s_op_t) { .kind = OP_CREATE, .at = T0, .policy = "t100",
                                           .text = i % 2? "ann": "bob" });
        ck_assert_int_eq (op.result, 0);
    }
    worklist_t list = { ctx.work, NULL, T0, NULL, NULL };
    const char *owners [] = { "", "ann" };
    size_t expected [] = { 25, 12 };
    for (int pass = 0; pass < 2; pass++) {
        WorkListRequest request = WORK_LIST_REQUEST__INIT;
        request.owner = (char *) owners [pass];
        char after [64] = "", last [64] = "";
        size_t seen = 0, pages = 0;
        do {
            request.after = after;
            MDB_txn *txn = store_read_begin (ctx.store);
            store_page_t page;
            ck_assert_int_eq (worklist_read (&list, txn, &request, 10, &page), 0);
            for (size_t i = 0; i < page.count; i++) {
                WorkItem *item = (WorkItem *) page.rows [i];
                ck_assert_msg (strcmp (item->id, last) > 0, "%s after %s", item->id, last);
                snprintf (last, sizeof last, "%s", item->id);
                if (*owners [pass])
                    ck_assert_str_eq (item->owner, owners [pass]);
            }
            seen += page.count;
            pages++;
            snprintf (after, sizeof after, "%s", page.next_after);
            store_page_clear (&page);
            store_read_end (&txn);
        } while (*after);
        ck_assert_uint_eq (seen, expected [pass]);
        ck_assert_uint_eq (pages, (expected [pass] + 9) / 10);
    }
    //  Another service's items are none of these.
    WorkListRequest request = WORK_LIST_REQUEST__INIT;
    request.service = "denials";
    MDB_txn *txn = store_read_begin (ctx.store);
    store_page_t page;
    ck_assert_int_eq (worklist_read (&list, txn, &request, 10, &page), 0);
    ck_assert_uint_eq (page.count, 0);
    store_page_clear (&page);
    store_read_end (&txn);
    s_teardown (&ctx);
}
END_TEST


static int
s_put_queue (store_t *store, MDB_txn *txn, void *arg)
{
    const Queue *queue = (const Queue *) arg;
    return store_put_message (store, txn, "queues", queue->id, queue);
}

typedef struct {
    workitem_t *work;
    uint64_t at;
    char id [64];
} s_inquiry_t;

static int
s_make_inquiry (store_t *store, MDB_txn *txn, void *arg)
{
    s_inquiry_t *made = (s_inquiry_t *) arg;
    workitem_spec_t spec = { .type = "inquiry", .subject = "I1", .queue = "q1" };
    WorkItem *item = NULL;
    int rc = workitem_create (made->work, txn, &spec, "inquiry", made->at, &item);
    if (item)
        snprintf (made->id, sizeof made->id, "%s", item->id);
    codec_free (item);
    return rc;
}

//  The binder with real SLA policies and a real grid: an inquiry policy of
//  4 business hours in the default calendar (UTC, mon-fri 09:00-17:00),
//  the grid of queue q1 in the queues table. Opened Friday 2026-11-06
//  16:00 it is due Monday 12:00 (the example); level 1 (75%, 3 h)
//  is Monday 11:00, to the lead. Moving the queue to vendor phase moves
//  the item's team at once.
START_TEST (test_policy_and_grid)
{
    static const char *tables [] = { WORKITEM_TABLES, OUTBOX_TABLES, "queues", NULL };
    char *dir = test_tmpdir ("workpolicy");
    char error [512] = "";
    store_t *store = store_new (dir, tables, error, sizeof error);
    ck_assert_msg (store, "%s", error);
    config_t *config = config_new ();
    config_set (config, "sla/policies", "fast");
    config_set (config, "sla/fast/target", "4 business hours");
    config_set (config, "sla/fast/calendar", "default");
    config_set (config, "sla/fast/pause", "waiting_patient");
    config_set (config, "sla/fast/applies-to", "inquiry");
    sla_set_t *sla = sla_set_load (config, error, sizeof error);
    ck_assert_msg (sla, "sla_set_load: %s", error);
    workpolicy_t *policy = workpolicy_new (sla, store, "queues");
    s_ctx_t ctx = { dir, store, NULL, workitem_new (store, NULL, "inquiry", "inquiry") };
    workpolicy_bind (policy, ctx.work);

    //  The queue and its grid, as the queue stream would have put them.
    Queue queue = QUEUE__INIT;
    queue.id = "q1";
    queue.owner_team = "internal-ar";
    queue.vendor_team = "acme";
    queue.phase = "internal";
    GridEntry row = GRID_ENTRY__INIT;
    row.work_type = "inquiry";
    row.team = "patient-desk";
    row.assignee = "ann";
    row.lead = "lee";
    char *chain [] = { "", "mgr", "boss" };
    row.escalate = chain;
    row.n_escalate = 3;
    GridEntry *rows [] = { &row };
    queue.grid = rows;
    queue.n_grid = 1;
    ck_assert_int_eq (store_write (store, s_put_queue, &queue), 0);

    uint64_t fri_16, mon_11, mon_12;
    ck_assert_int_eq (clock_parse_iso8601 ("2026-11-06T16:00:00Z", &fri_16), 0);
    ck_assert_int_eq (clock_parse_iso8601 ("2026-11-09T11:00:00Z", &mon_11), 0);
    ck_assert_int_eq (clock_parse_iso8601 ("2026-11-09T12:00:00Z", &mon_12), 0);
    s_inquiry_t made = { ctx.work, fri_16, "" };
    ck_assert_int_eq (store_write (store, s_make_inquiry, &made), 0);
    WorkItem *item = s_get (&ctx, made.id);
    ck_assert_str_eq (item->sla_policy, "fast");
    ck_assert_str_eq (item->team, "patient-desk");
    ck_assert_str_eq (item->owner, "ann");
    ck_assert_uint_eq (item->due_ms, mon_12);
    ck_assert_uint_eq (item->next_boundary_ms, mon_11);
    codec_free (item);

    s_op_t sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = mon_11 - 1 });
    ck_assert_uint_eq (sweep.stats.raised, 0);
    sweep = s_do (&ctx, (s_op_t) { .kind = OP_SWEEP, .at = mon_11 });
    ck_assert_uint_eq (sweep.stats.raised, 1);
    item = s_get (&ctx, made.id);
    ck_assert_uint_eq (item->escalation_level, 1);
    ck_assert_str_eq (item->escalated_to, "lee");
    ck_assert_uint_eq (item->next_boundary_ms, mon_12);
    codec_free (item);

    //  The queue moves to vendor: the team shown is acme at once.
    queue.phase = "vendor";
    ck_assert_int_eq (store_write (store, s_put_queue, &queue), 0);
    worklist_t list = { ctx.work, policy, mon_11, NULL, NULL };
    MDB_txn *txn = store_read_begin (store);
    ck_assert_int_eq (workitem_get (ctx.work, txn, made.id, &item), 0);
    bool in_scope;
    ck_assert_int_eq (worklist_present (&list, txn, item, false, &in_scope), 0);
    ck_assert_str_eq (item->team, "acme");
    codec_free (item);
    store_read_end (&txn);

    //  A grid naming a policy the configuration lacks does not stop the
    //  item (it would stop a claim's submission): it follows its type's
    //  policy, and its history says so.
    row.sla_policy = "standard";
    queue.phase = "internal";
    ck_assert_int_eq (store_write (store, s_put_queue, &queue), 0);
    s_inquiry_t second = { ctx.work, fri_16, "" };
    ck_assert_int_eq (store_write (store, s_make_inquiry, &second), 0);
    item = s_get (&ctx, second.id);
    ck_assert_str_eq (item->sla_policy, "fast");
    ck_assert_uint_eq (item->n_history, 2);
    ck_assert_msg (strstr (item->history [1]->note, "'standard', which is not configured"), "%s",
                   item->history [1]->note);
    codec_free (item);

    workitem_destroy (&ctx.work);
    workpolicy_destroy (&policy);
    sla_set_destroy (&sla);
    config_destroy (&config);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

Suite *
workitem_suite (void)
{
    Suite *suite = suite_create ("workitem");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_state_table);
    tcase_add_test (tc, test_illegal_moves_refused);
    tcase_add_test (tc, test_create_from_grid);
    tcase_add_test (tc, test_pause_resume);
    tcase_add_test (tc, test_pause_resume_calendar);
    tcase_add_test (tc, test_levels_at_exact_boundaries);
    tcase_add_test (tc, test_exactly_once_and_catch_up);
    tcase_add_test (tc, test_sweep_visits_only_due);
    tcase_add_test (tc, test_set_due);
    tcase_add_test (tc, test_track);
    tcase_add_test (tc, test_change_reads_item_as_it_was);
    tcase_add_test (tc, test_subject_state);
    tcase_add_test (tc, test_phi_needs);
    tcase_add_test (tc, test_stale_index_entry);
    tcase_add_test (tc, test_work_events_dispatch);
    tcase_add_test (tc, test_paging);
    tcase_add_test (tc, test_policy_and_grid);
    tcase_add_test (tc, test_waits_for_documentation);
    suite_add_tcase (suite, tc);
    return suite;
}
