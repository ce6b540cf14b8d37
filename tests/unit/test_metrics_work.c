/*  test_metrics_work: the work-item figures (services/metrics/work_facts.c,
    work_kpi.c). Work events are built as common/workitem.c writes them (a
    WorkEvent with the item as the change left it) and applied through
    metrics_apply in a write transaction, as the consumer does; the
    expected figures are worked out here from the items the test made.
*/
#include "test_metrics_feed.h"
#include "work_kpi.h"
#include "clock.h"

#include <czmq.h>

#define HOUR_MS 3600000ULL

//  An item as a service would send it; NULLs take defaults.
typedef struct {
    const char *id;
    const char *service;        //  claims
    const char *type;           //  follow_up
    const char *queue;          //  Q1
    const char *team;           //  internal
    const char *owner;          //  ""
    const char *state;          //  open
    uint64_t created_ms;
    uint64_t due_ms;
    uint64_t first_touch_ms;
    uint64_t closed_ms;
    uint64_t spent_ms;
    uint64_t target_ms;
} s_item_t;

static uint64_t s_seq;

//  ms of date (YYYY-MM-DD) at hour (UTC).
static uint64_t
s_at (const char *date, unsigned hour)
{
    return ((uint64_t) mt_day (date) - 1) * CLOCK_MS_PER_DAY + hour * HOUR_MS;
}

static int
s_apply_one (store_t *store, MDB_txn *txn, void *arg)
{
    return metrics_apply (store, txn, (const Event *) arg, NULL);
}

//  Applies <stream>.work.<what> of item at `at`: the apply's result.
static int
s_try (mt_store_t *store, const char *stream, const char *what, const s_item_t *item, uint64_t at)
{
    WorkItem message = WORK_ITEM__INIT;
    message.id = (char *) item->id;
    message.service = (char *) (item->service? item->service: "claims");
    message.type = (char *) (item->type? item->type: "follow_up");
    message.queue = (char *) (item->queue? item->queue: "Q1");
    message.team = (char *) (item->team? item->team: "internal");
    message.owner = (char *) (item->owner? item->owner: "");
    message.state = (char *) (item->state? item->state: "open");
    message.created_ms = item->created_ms;
    message.due_ms = item->due_ms;
    message.first_touch_ms = item->first_touch_ms;
    message.closed_ms = item->closed_ms;
    message.spent_ms = item->spent_ms;
    message.target_ms = item->target_ms;
    WorkEvent work = WORK_EVENT__INIT;
    work.item = item->id? &message: NULL;
    work.time_ms = at;
    char type [64];
    snprintf (type, sizeof type, "work.%s", what);
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = type;
    event.producer = "test";
    event.stream_seq = ++s_seq;
    event.time_ms = at;
    event.key = (char *) (item->id? item->id: "");
    event.payload.data = codec_pack (&work, &event.payload.len);
    int rc = store_write (store->store, s_apply_one, &event);
    free (event.payload.data);
    return rc;
}

static void
s_event (mt_store_t *store, const char *what, const s_item_t *item, uint64_t at)
{
    ck_assert_msg (s_try (store, "claims", what, item, at) == 0, "apply: %s", store_error (store->store));
}

//  A query: flows over [from, to], the stock at now.
static work_query_t
s_query (const char *from, const char *to, uint64_t now)
{
    work_query_t query;
    memset (&query, 0, sizeof query);
    query.from = mt_day (from);
    query.to = mt_day (to);
    query.stock = true;
    query.now_ms = now;
    return query;
}

static void
s_group (work_query_t *query, const char *dim)
{
    int index = work_dim_index (dim);
    ck_assert_int_ge (index, 0);
    query->group_by [query->group_count++] = index;
}

static size_t
s_kpi_index (const char *name)
{
    for (size_t i = 0; i < work_kpi_count; i++)
        if (streq (work_kpi_table [i].name, name))
            return i;
    ck_abort_msg ("no work KPI %s", name);
    return 0;
}

//  One figure (group NULL: overall).
static KpiValue
s_value (mt_store_t *store, const work_query_t *query, const char *group, const char *name)
{
    MDB_txn *txn = store_read_begin (store->store);
    ck_assert (txn);
    work_result_t *result;
    ck_assert_int_eq (work_kpi_run (store->store, txn, query, &result), 0);
    store_read_end (&txn);
    KpiValue value;
    work_kpi_value (result, group, s_kpi_index (name), &value);
    work_result_destroy (&result);
    return value;
}

static int64_t
s_count (mt_store_t *store, const work_query_t *query, const char *group, const char *name)
{
    KpiValue value = s_value (store, query, group, name);
    ck_assert_msg (value.available, "%s of %s not available", name, group? group: "all");
    return value.amount;
}

//  Three open items with due instants D1 < D2 and one without: overdue
//  is the count due at or before the query's now, whatever now is, so it
//  needs no timer and nothing to catch up after a restart.
START_TEST (test_overdue_at_query_time)
{
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    uint64_t d1 = s_at ("2026-11-05", 12), d2 = s_at ("2026-11-09", 12);
    s_item_t a = { .id = "claims-1", .owner = "ann", .created_ms = t0, .due_ms = d1, .target_ms = 1 };
    s_item_t b = { .id = "claims-2", .team = "acme", .owner = "bob", .created_ms = t0, .due_ms = d2, .target_ms = 1 };
    s_item_t c = { .id = "claims-3", .queue = "Q2", .type = "documentation_request", .created_ms = t0 };
    s_event (store, "created", &a, t0);
    s_event (store, "created", &b, t0);
    s_event (store, "created", &c, t0);

    work_query_t query = s_query ("2026-11-01", "2026-11-30", d1 - 1);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_open"), 3);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_overdue"), 0);
    query.now_ms = d1;                  //  due at now: overdue (spent >= target)
    ck_assert_int_eq (s_count (store, &query, NULL, "work_overdue"), 1);
    query.now_ms = d2 + HOUR_MS;
    ck_assert_int_eq (s_count (store, &query, NULL, "work_overdue"), 2);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_created"), 3);

    s_group (&query, "team");
    ck_assert_int_eq (s_count (store, &query, "internal", "work_open"), 2);
    ck_assert_int_eq (s_count (store, &query, "acme", "work_open"), 1);
    ck_assert_int_eq (s_count (store, &query, "acme", "work_overdue"), 1);
    query.now_ms = d1;
    ck_assert_int_eq (s_count (store, &query, "acme", "work_overdue"), 0);
    ck_assert_int_eq (s_count (store, &query, "internal", "work_overdue"), 1);

    //  The stock as of another day than now is not kept: n/a, not a guess.
    query.stock = false;
    ck_assert (!s_value (store, &query, "internal", "work_open").available);
    ck_assert (!s_value (store, &query, NULL, "work_overdue").available);
    ck_assert (s_value (store, &query, NULL, "work_created").available);
    mt_store_destroy (&store);
}
END_TEST

//  Each change moves the item's share: assignment moves it between owners,
//  a pause (no due instant while the target is ahead) and a new due move
//  it in and out of overdue, a final state takes it out of both.
START_TEST (test_changes_move_the_stock)
{
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9), due = s_at ("2026-11-04", 9);
    s_item_t a = { .id = "claims-1", .owner = "ann", .created_ms = t0, .due_ms = due, .target_ms = 2 * HOUR_MS };
    s_event (store, "created", &a, t0);
    work_query_t query = s_query ("2026-11-01", "2026-11-30", s_at ("2026-11-06", 9));
    s_group (&query, "owner");
    ck_assert_int_eq (s_count (store, &query, "ann", "work_overdue"), 1);

    a.owner = "bob";
    a.first_touch_ms = t0 + 2 * HOUR_MS;
    s_event (store, "assigned", &a, a.first_touch_ms);
    ck_assert_int_eq (s_count (store, &query, "ann", "work_open"), 0);
    ck_assert_int_eq (s_count (store, &query, "ann", "work_overdue"), 0);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_open"), 1);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_overdue"), 1);
    //  The first touch counts for the owner it made, once.
    ck_assert_double_eq_tol (s_value (store, &query, "bob", "work_first_touch_mean_hours").value, 2.0, 1e-9);

    a.state = "waiting_payer";
    a.due_ms = 0;
    s_event (store, "state_changed", &a, t0 + 3 * HOUR_MS);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_open"), 1);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_overdue"), 0);

    a.state = "in_progress";
    a.due_ms = s_at ("2026-11-10", 9);
    s_event (store, "state_changed", &a, t0 + 4 * HOUR_MS);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_overdue"), 0);
    a.due_ms = s_at ("2026-11-05", 9);
    s_event (store, "due_changed", &a, t0 + 5 * HOUR_MS);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_overdue"), 1);
    s_event (store, "noted", &a, t0 + 6 * HOUR_MS);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_overdue"), 1);
    ck_assert_int_eq (s_value (store, &query, "bob", "work_first_touch_mean_hours").denominator, 1);

    a.state = "done";
    a.closed_ms = s_at ("2026-11-06", 8);
    s_event (store, "state_changed", &a, a.closed_ms);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_open"), 0);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_overdue"), 0);
    ck_assert_int_eq (s_count (store, &query, "bob", "work_done"), 1);
    mt_store_destroy (&store);
}
END_TEST

//  SLA attainment: of the items done in the window with a target, those
//  whose clock had not reached it; cancelled items and items without a
//  target are not in it. First touch: the mean of first_touch - created.
START_TEST (test_sla_and_first_touch)
{
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9), target = 8 * HOUR_MS;
    s_item_t items [] = {
        { .id = "claims-1", .team = "internal", .created_ms = t0, .target_ms = target },
        { .id = "claims-2", .team = "internal", .created_ms = t0, .target_ms = target },
        { .id = "claims-3", .team = "acme",     .created_ms = t0, .target_ms = target },
        { .id = "claims-4", .team = "acme",     .created_ms = t0, .target_ms = target },
        { .id = "claims-5", .team = "acme",     .created_ms = t0, .target_ms = 0 },
    };
    for (size_t i = 0; i < 5; i++)
        s_event (store, "created", &items [i], t0);
    //  Touched after 1, 3, 2 and 6 hours; claims-5 never.
    const unsigned touch [] = { 1, 3, 2, 6 };
    for (size_t i = 0; i < 4; i++) {
        items [i].first_touch_ms = t0 + touch [i] * HOUR_MS;
        items [i].state = "in_progress";
        s_event (store, "state_changed", &items [i], items [i].first_touch_ms);
    }
    //  Done on 11-03: claims-1 within target, claims-2 at it (not met),
    //  claims-3 within; claims-4 cancelled; claims-5 done without target.
    const uint64_t spent [] = { target - 1, target, target / 2, 0, 5 * HOUR_MS };
    const char *const end [] = { "done", "done", "done", "cancelled", "done" };
    for (size_t i = 0; i < 5; i++) {
        items [i].state = end [i];
        items [i].spent_ms = spent [i];
        items [i].closed_ms = s_at ("2026-11-03", 10);
        s_event (store, "state_changed", &items [i], items [i].closed_ms);
    }
    work_query_t query = s_query ("2026-11-01", "2026-11-30", s_at ("2026-11-30", 0));
    KpiValue rate = s_value (store, &query, NULL, "sla_met_rate");
    ck_assert (rate.available);
    ck_assert_int_eq (rate.numerator, 2);
    ck_assert_int_eq (rate.denominator, 3);
    KpiValue touched = s_value (store, &query, NULL, "work_first_touch_mean_hours");
    ck_assert_int_eq (touched.denominator, 4);
    ck_assert_double_eq_tol (touched.value, (1 + 3 + 2 + 6) / 4.0, 1e-9);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_done"), 4);
    ck_assert_int_eq (s_count (store, &query, NULL, "work_open"), 0);

    s_group (&query, "team");
    ck_assert_double_eq_tol (s_value (store, &query, "internal", "sla_met_rate").value, 0.5, 1e-9);
    ck_assert_double_eq_tol (s_value (store, &query, "acme", "sla_met_rate").value, 1.0, 1e-9);
    ck_assert_double_eq_tol (s_value (store, &query, "acme", "work_first_touch_mean_hours").value, 4.0, 1e-9);

    //  Flows count on their day: a window that ends before the closings
    //  has no SLA figure (n/a, not 0%), but has the touches of 11-02.
    work_query_t before = s_query ("2026-11-01", "2026-11-02", s_at ("2026-11-30", 0));
    ck_assert (!s_value (store, &before, NULL, "sla_met_rate").available);
    ck_assert_int_eq (s_value (store, &before, NULL, "work_first_touch_mean_hours").denominator, 4);
    mt_store_destroy (&store);
}
END_TEST

//  Work events ride on any stream: a denials item counts like a claims
//  one. An event without its item cannot be counted and stops the stream
//  (refused, -1), never skipped.
START_TEST (test_any_stream_and_refusal)
{
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    s_item_t denial = { .id = "denials-1", .service = "denials", .type = "denial", .created_ms = t0,
                        .due_ms = t0 + HOUR_MS, .target_ms = HOUR_MS };
    ck_assert_int_eq (s_try (store, "denials", "created", &denial, t0), 0);
    s_item_t inquiry = { .id = "inquiry-1", .service = "inquiry", .type = "inquiry", .created_ms = t0 };
    ck_assert_int_eq (s_try (store, "inquiry", "created", &inquiry, t0), 0);
    work_query_t query = s_query ("2026-11-01", "2026-11-30", t0 + 2 * HOUR_MS);
    s_group (&query, "service");
    ck_assert_int_eq (s_count (store, &query, "denials", "work_overdue"), 1);
    ck_assert_int_eq (s_count (store, &query, "inquiry", "work_open"), 1);

    s_item_t none = { .id = NULL };
    ck_assert_int_eq (s_try (store, "claims", "created", &none, t0), -1);
    ck_assert_ptr_nonnull (strstr (store_error (store->store), "carries no work item"));
    mt_store_destroy (&store);
}
END_TEST

//  A queue moving to vendor moves its open items to the vendor team at
//  once in the stock (as `work list` shows them), whatever team their
//  events carry; what a team did (created, done) stays its own; a
//  documentation request stays internal in every phase (the grid's rule).
START_TEST (test_open_items_follow_the_phase)
{
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    mt_queue (store, "Q1", "internal", "acme");
    s_item_t a = { .id = "claims-1", .created_ms = t0, .due_ms = t0 + HOUR_MS, .target_ms = HOUR_MS };
    s_item_t b = { .id = "claims-2", .created_ms = t0, .target_ms = HOUR_MS };
    s_item_t doc = { .id = "claims-3", .type = "documentation_request", .created_ms = t0 };
    s_event (store, "created", &a, t0);
    s_event (store, "created", &b, t0);
    s_event (store, "created", &doc, t0);
    b.state = "done";
    b.closed_ms = t0 + HOUR_MS / 2;
    b.spent_ms = HOUR_MS / 2;
    s_event (store, "state_changed", &b, b.closed_ms);
    work_query_t query = s_query ("2026-11-01", "2026-11-30", t0 + 2 * HOUR_MS);
    s_group (&query, "team");
    ck_assert_int_eq (s_count (store, &query, "internal", "work_open"), 2);
    ck_assert (s_value (store, &query, "acme", "work_open").available);
    ck_assert_int_eq (s_count (store, &query, "acme", "work_open"), 0);

    mt_queue (store, "Q1", "vendor", "acme");
    ck_assert_int_eq (s_count (store, &query, "acme", "work_open"), 1);
    ck_assert_int_eq (s_count (store, &query, "acme", "work_overdue"), 1);
    ck_assert_int_eq (s_count (store, &query, "internal", "work_open"), 1);     //  the documentation request
    ck_assert_int_eq (s_count (store, &query, "internal", "work_overdue"), 0);
    ck_assert_int_eq (s_count (store, &query, "internal", "work_created"), 3);
    ck_assert_int_eq (s_count (store, &query, "internal", "work_done"), 1);
    ck_assert_int_eq (s_count (store, &query, "acme", "work_created"), 0);
    //  A team filter takes the same view.
    work_query_t acme = s_query ("2026-11-01", "2026-11-30", t0 + 2 * HOUR_MS);
    acme.filters [WORK_DIM_TEAM] = "acme";
    ck_assert_int_eq (s_count (store, &acme, NULL, "work_open"), 1);
    ck_assert_int_eq (s_count (store, &acme, NULL, "work_created"), 0);

    //  And back: a rollback moves them back at once.
    mt_queue (store, "Q1", "internal", "acme");
    ck_assert_int_eq (s_count (store, &query, "internal", "work_open"), 2);
    ck_assert_int_eq (s_count (store, &query, "acme", "work_open"), 0);
    mt_store_destroy (&store);
}
END_TEST

//  The claims KPI query's filters and groups: queue and owner team apply
//  to work items, a payer (which work items do not have) makes every work
//  figure n/a; the stock is asked when as_of is the service clock's today.
START_TEST (test_from_kpi_query)
{
    clock_set_start (s_at ("2026-11-10", 9));
    kpi_query_t kpi = mt_query ("2026-11-10", 30);
    mt_filter (&kpi, "queue", "Q1");
    mt_group (&kpi, "owner_team");
    work_query_t work;
    work_query_from_kpi (&work, &kpi);
    ck_assert (!work.unavailable);
    ck_assert (work.stock);
    ck_assert_str_eq (work.filters [WORK_DIM_QUEUE], "Q1");
    ck_assert_int_eq (work.group_count, 1);
    ck_assert_int_eq (work.group_by [0], WORK_DIM_TEAM);
    kpi_query_t earlier = mt_query ("2026-11-09", 30);
    work_query_from_kpi (&work, &earlier);
    ck_assert (!work.stock);
    mt_filter (&kpi, "payer", "P1");
    work_query_from_kpi (&work, &kpi);
    ck_assert (work.unavailable);
    kpi_query_t by_payer = mt_query ("2026-11-10", 30);
    mt_group (&by_payer, "payer");
    work_query_from_kpi (&work, &by_payer);
    ck_assert (work.unavailable);
    clock_set_start (0);
}
END_TEST

Suite *
metrics_work_suite (void)
{
    Suite *suite = suite_create ("metrics_work");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_overdue_at_query_time);
    tcase_add_test (tc, test_changes_move_the_stock);
    tcase_add_test (tc, test_sla_and_first_touch);
    tcase_add_test (tc, test_any_stream_and_refusal);
    tcase_add_test (tc, test_open_items_follow_the_phase);
    tcase_add_test (tc, test_from_kpi_query);
    suite_add_tcase (suite, tc);
    return suite;
}
