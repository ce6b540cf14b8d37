/*  test_metrics_denials: the denial figures (services/metrics/
    denial_facts.c, denial_kpi.c). Denials events are built as
    services/denials/records.c writes them (a DenialItem as the change left
    it, on stream denials) and applied through metrics_apply in a write
    transaction, as the consumer does; the expected figures are worked out
    here from the denials the test moved.
*/
#include "test_metrics_feed.h"
#include "denial_kpi.h"
#include "clock.h"

#include <czmq.h>

#define HOUR_MS 3600000ULL
#define DAY_MS  86400000ULL

//  A denial as the denials service would send it; NULLs take defaults.
typedef struct {
    const char *id;
    const char *state;          //  new
    const char *payer;          //  P1
    const char *queue;          //  Q1
    const char *team;           //  internal
    int64_t denied_cents;
    int64_t recovered_cents;
    uint64_t opened_ms;
    uint64_t updated_ms;
    uint64_t resolved_ms;
    uint64_t deadline_ms;
    bool missed_deadline;
    int64_t write_off_cents;    //  a write-off waiting for approval (0: none)
    int64_t written_off_cents;  //  the amount the denial says it wrote off (0: an older event)
} s_denial_t;

static uint64_t s_seq;

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

//  Applies denials.<type> of the denial as it is now: the apply's result.
static int
s_try (mt_store_t *store, const char *type, const s_denial_t *denial)
{
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = (char *) (denial->payer? denial->payer: "P1");
    dims.payer_group = "commercial";
    dims.location = "L1";
    dims.service_line = "SL1";
    dims.queue = (char *) (denial->queue? denial->queue: "Q1");
    dims.owner_team = (char *) (denial->team? denial->team: "internal");
    WriteOffRequest write_off = WRITE_OFF_REQUEST__INIT;
    write_off.cents = denial->write_off_cents;
    write_off.reason_code = "small_balance";
    DenialItem item = DENIAL_ITEM__INIT;
    item.id = (char *) (denial->id? denial->id: "");
    item.state = (char *) (denial->state? denial->state: "new");
    item.payer_id = dims.payer_id;
    item.dims = &dims;
    item.kind = "denial";
    item.denied_cents = denial->denied_cents;
    item.recovered_cents = denial->recovered_cents;
    item.opened_ms = denial->opened_ms;
    item.updated_ms = denial->updated_ms? denial->updated_ms: denial->opened_ms;
    item.resolved_ms = denial->resolved_ms;
    item.deadline_ms = denial->deadline_ms;
    item.missed_deadline = denial->missed_deadline;
    item.write_off = denial->write_off_cents? &write_off: NULL;
    item.written_off_cents = denial->written_off_cents;
    Event event = EVENT__INIT;
    event.stream = "denials";
    event.type = (char *) type;
    event.producer = "denials";
    event.stream_seq = ++s_seq;
    event.time_ms = item.updated_ms;
    event.key = item.id;
    event.payload.data = codec_pack (&item, &event.payload.len);
    int rc = store_write (store->store, s_apply_one, &event);
    free (event.payload.data);
    return rc;
}

static void
s_event (mt_store_t *store, const char *type, const s_denial_t *denial)
{
    ck_assert_msg (s_try (store, type, denial) == 0, "apply: %s", store_error (store->store));
}

//  A person's or the payer's move at `at`: the state, updated_ms and, for
//  an end, resolved_ms.
static void
s_move (mt_store_t *store, s_denial_t *denial, const char *state, uint64_t at)
{
    denial->state = state;
    denial->updated_ms = at;
    bool end = streq (state, "won") || streq (state, "lost") || streq (state, "written_off");
    if (end)
        denial->resolved_ms = at;
    s_event (store, end? "resolved": "state_changed", denial);
}

static size_t
s_kpi_index (const char *name)
{
    for (size_t i = 0; i < denial_kpi_count; i++)
        if (streq (denial_kpi_table [i].name, name))
            return i;
    ck_abort_msg ("no denial KPI %s", name);
    return 0;
}

static KpiValue
s_value (mt_store_t *store, const kpi_query_t *query, const char *group, const char *name)
{
    MDB_txn *txn = store_read_begin (store->store);
    ck_assert (txn);
    denial_result_t *result;
    ck_assert_int_eq (denial_kpi_run (store->store, txn, query, &result), 0);
    store_read_end (&txn);
    KpiValue value;
    denial_kpi_value (result, group, s_kpi_index (name), &value);
    denial_result_destroy (&result);
    return value;
}

static int64_t
s_amount (mt_store_t *store, const kpi_query_t *query, const char *group, const char *name)
{
    KpiValue value = s_value (store, query, group, name);
    ck_assert_msg (value.available, "%s of %s not available", name, group? group: "all");
    return value.amount;
}

//  The five denials of the month, their moves, and every figure they make:
//      D1 P1 internal 500.00, appealed 3 days after opening, won 300.00
//      D2 P2 acme     200.00, appealed after 2 days, lost, written off
//      D3 P1 internal 100.00, its deadline (11-10) missed, still open
//      D4 P1 internal  80.00, a write-off of 50.00 waits, then approved
//      D5 P1 internal  70.00, paid by the payer without an appeal (won)
//  overturn = 1 won / 2 decided; open = D3; missed = 1; recovered =
//  300.00 + 70.00; written off = 200.00 + 50.00; days to appeal (3+2)/2.
static void
s_month (mt_store_t *store)
{
    uint64_t t0 = s_at ("2026-11-02", 9);
    s_denial_t d1 = { .id = "DEN-1", .denied_cents = 50000, .opened_ms = t0 };
    s_denial_t d2 = { .id = "DEN-2", .payer = "P2", .team = "acme", .queue = "Q2", .denied_cents = 20000, .opened_ms = t0 };
    s_denial_t d3 = { .id = "DEN-3", .denied_cents = 10000, .opened_ms = t0 + DAY_MS,
                      .deadline_ms = s_at ("2026-11-10", 23) };
    s_denial_t d4 = { .id = "DEN-4", .denied_cents = 8000, .opened_ms = t0 + DAY_MS };
    s_denial_t d5 = { .id = "DEN-5", .denied_cents = 7000, .opened_ms = t0 + DAY_MS };
    s_denial_t *all [] = { &d1, &d2, &d3, &d4, &d5 };
    for (size_t i = 0; i < 5; i++)
        s_event (store, "opened", all [i]);

    s_move (store, &d1, "in_review", t0 + HOUR_MS);
    s_move (store, &d1, "appealed", t0 + 3 * DAY_MS);
    d1.recovered_cents = 30000;
    s_move (store, &d1, "won", s_at ("2026-11-20", 9));

    s_move (store, &d2, "in_review", t0 + HOUR_MS);
    s_move (store, &d2, "appealed", t0 + 2 * DAY_MS);
    s_move (store, &d2, "lost", s_at ("2026-11-21", 9));
    s_move (store, &d2, "written_off", s_at ("2026-11-22", 9));

    d3.missed_deadline = true;
    d3.updated_ms = s_at ("2026-11-11", 0);
    s_event (store, "deadline_missed", &d3);

    s_move (store, &d4, "in_review", t0 + DAY_MS + HOUR_MS);
    d4.write_off_cents = 5000;
    s_move (store, &d4, "in_review", t0 + 2 * DAY_MS);      //  the request: state unchanged
    d4.write_off_cents = 0;
    s_move (store, &d4, "written_off", t0 + 3 * DAY_MS);

    d5.recovered_cents = 7000;
    s_move (store, &d5, "won", s_at ("2026-11-15", 9));
}

START_TEST (test_month_of_denials)
{
    clock_set_start (s_at ("2026-11-30", 12));
    mt_store_t *store = mt_store_new ();
    s_month (store);
    kpi_query_t query = mt_query ("2026-11-30", 30);
    KpiValue overturn = s_value (store, &query, NULL, "denial_overturn_rate");
    ck_assert (overturn.available);
    ck_assert_int_eq (overturn.numerator, 1);
    ck_assert_int_eq (overturn.denominator, 2);
    ck_assert_double_eq_tol (overturn.value, 0.5, 1e-12);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_open"), 1);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_missed_deadline"), 1);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denial_recovered_cents"), 37000);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denial_written_off_cents"), 25000);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_opened"), 5);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_appealed"), 2);
    KpiValue days = s_value (store, &query, NULL, "denial_days_to_appeal");
    ck_assert (days.available);
    ck_assert_int_eq (days.denominator, 2);
    ck_assert_double_eq_tol (days.value, 2.5, 1e-9);

    //  By owner team (the scorecard's rows): internal vs the vendor.
    kpi_query_t teams = query;
    mt_group (&teams, "owner_team");
    ck_assert_double_eq_tol (s_value (store, &teams, "internal", "denial_overturn_rate").value, 1.0, 1e-12);
    ck_assert_double_eq_tol (s_value (store, &teams, "acme", "denial_overturn_rate").value, 0.0, 1e-12);
    ck_assert (s_value (store, &teams, "acme", "denial_overturn_rate").available);
    ck_assert_int_eq (s_amount (store, &teams, "internal", "denials_open"), 1);
    ck_assert_int_eq (s_amount (store, &teams, "acme", "denials_open"), 0);
    ck_assert_int_eq (s_amount (store, &teams, "acme", "denial_written_off_cents"), 20000);
    ck_assert_int_eq (s_amount (store, &teams, "internal", "denial_written_off_cents"), 5000);

    //  A payer filter applies: a denial carries the claims dimensions.
    kpi_query_t p1 = query;
    mt_filter (&p1, "payer_id", "P1");
    ck_assert_int_eq (s_value (store, &p1, NULL, "denial_overturn_rate").denominator, 1);
    ck_assert_int_eq (s_amount (store, &p1, NULL, "denial_recovered_cents"), 37000);
    ck_assert_int_eq (s_amount (store, &p1, NULL, "denials_opened"), 4);

    //  Flows count on their day: up to 11-19 nothing was decided (n/a,
    //  not 0%), the deadline of 11-10 was missed, D4's write-off was made.
    kpi_query_t early = mt_query ("2026-11-19", 19);
    ck_assert (!s_value (store, &early, NULL, "denial_overturn_rate").available);
    ck_assert_int_eq (s_amount (store, &early, NULL, "denials_missed_deadline"), 1);
    ck_assert_int_eq (s_amount (store, &early, NULL, "denial_written_off_cents"), 5000);
    ck_assert_int_eq (s_amount (store, &early, NULL, "denial_recovered_cents"), 7000);
    //  The open count is the stock now: as of another day it is n/a.
    ck_assert (!s_value (store, &early, NULL, "denials_open").available);
    mt_store_destroy (&store);
}
END_TEST

//  Events that change nothing a figure counts (an assignment's
//  state_changed, a re-categorization, the same end sent again) count
//  nothing again; an appeal that waits on the payer and comes back to
//  appealed is one appeal; a second appeal after a loss is another.
START_TEST (test_each_change_counts_once)
{
    clock_set_start (s_at ("2026-11-30", 12));
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    s_denial_t d = { .id = "DEN-9", .denied_cents = 40000, .opened_ms = t0 };
    s_event (store, "opened", &d);
    s_event (store, "opened", &d);
    s_move (store, &d, "in_review", t0 + HOUR_MS);
    s_move (store, &d, "in_review", t0 + 2 * HOUR_MS);      //  assigned again
    s_event (store, "categorized", &d);
    s_move (store, &d, "appealed", t0 + DAY_MS);
    s_move (store, &d, "waiting_payer", t0 + 2 * DAY_MS);
    s_move (store, &d, "appealed", t0 + 3 * DAY_MS);
    s_move (store, &d, "lost", t0 + 4 * DAY_MS);
    s_move (store, &d, "in_review", t0 + 5 * DAY_MS);       //  the next level
    s_move (store, &d, "appealed", t0 + 6 * DAY_MS);
    d.recovered_cents = 40000;
    s_move (store, &d, "won", t0 + 7 * DAY_MS);
    s_event (store, "resolved", &d);
    s_event (store, "resolved", &d);
    kpi_query_t query = mt_query ("2026-11-30", 30);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_opened"), 1);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_appealed"), 2);
    KpiValue overturn = s_value (store, &query, NULL, "denial_overturn_rate");
    ck_assert_int_eq (overturn.numerator, 1);
    ck_assert_int_eq (overturn.denominator, 2);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denial_recovered_cents"), 40000);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_open"), 0);
    //  Days to appeal: the first appeal only, one day after opening.
    KpiValue days = s_value (store, &query, NULL, "denial_days_to_appeal");
    ck_assert_int_eq (days.denominator, 1);
    ck_assert_double_eq_tol (days.value, 1.0, 1e-9);
    mt_store_destroy (&store);
}
END_TEST

//  A later remit of the claim with other dimensions (the queue moved to
//  the vendor) moves the denial's open share to where it is now; what was
//  counted before stays where it happened.
START_TEST (test_open_follows_the_dimensions)
{
    clock_set_start (s_at ("2026-11-30", 12));
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    s_denial_t d = { .id = "DEN-7", .denied_cents = 1000, .opened_ms = t0 };
    s_event (store, "opened", &d);
    kpi_query_t query = mt_query ("2026-11-30", 30);
    mt_group (&query, "owner_team");
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_open"), 1);
    d.team = "acme";
    d.updated_ms = t0 + DAY_MS;
    s_event (store, "categorized", &d);
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_open"), 0);
    ck_assert_int_eq (s_amount (store, &query, "acme", "denials_open"), 1);
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_opened"), 1);
    ck_assert_int_eq (s_amount (store, &query, "acme", "denials_opened"), 0);
    s_move (store, &d, "cancelled", t0 + 2 * DAY_MS);
    ck_assert_int_eq (s_amount (store, &query, "acme", "denials_open"), 0);
    mt_store_destroy (&store);
}
END_TEST

//  A queue moving to vendor moves its open denials to the vendor team at
//  once in the stock (as their work items move), whatever team their
//  events carried; what a team did (opened, appealed, won) stays its own;
//  a rollback moves them back. A team filter takes the same view.
START_TEST (test_open_denials_follow_the_phase)
{
    clock_set_start (s_at ("2026-11-30", 12));
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    mt_queue (store, "Q1", "internal", "acme");
    s_denial_t a = { .id = "DEN-1", .denied_cents = 1000, .opened_ms = t0 };
    s_denial_t b = { .id = "DEN-2", .denied_cents = 2000, .opened_ms = t0 };
    s_denial_t c = { .id = "DEN-3", .queue = "Q2", .denied_cents = 3000, .opened_ms = t0 };
    s_event (store, "opened", &a);
    s_event (store, "opened", &b);
    s_event (store, "opened", &c);
    s_move (store, &b, "in_review", t0 + HOUR_MS);
    s_move (store, &b, "appealed", t0 + DAY_MS);
    kpi_query_t query = mt_query ("2026-11-30", 30);
    mt_group (&query, "owner_team");
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_open"), 3);

    mt_queue (store, "Q1", "vendor", "acme");
    ck_assert_int_eq (s_amount (store, &query, "acme", "denials_open"), 2);
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_open"), 1);     //  Q2's: no queue event
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_opened"), 3);
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_appealed"), 1);
    ck_assert_int_eq (s_amount (store, &query, "acme", "denials_opened"), 0);
    kpi_query_t acme = mt_query ("2026-11-30", 30);
    mt_filter (&acme, "owner_team", "acme");
    ck_assert_int_eq (s_amount (store, &acme, NULL, "denials_open"), 2);
    ck_assert_int_eq (s_amount (store, &acme, NULL, "denials_opened"), 0);

    mt_queue (store, "Q1", "internal", "acme");
    ck_assert_int_eq (s_amount (store, &query, "internal", "denials_open"), 3);
    ck_assert_int_eq (s_amount (store, &query, "acme", "denials_open"), 0);
    mt_store_destroy (&store);
}
END_TEST

//  A denial without an id, or in a state metrics does not know, stops the
//  stream (refused, -1, saying which), never skipped.
START_TEST (test_refusals)
{
    mt_store_t *store = mt_store_new ();
    s_denial_t none = { .id = NULL, .opened_ms = s_at ("2026-11-02", 9) };
    ck_assert_int_eq (s_try (store, "opened", &none), -1);
    ck_assert_ptr_nonnull (strstr (store_error (store->store), "carries no denial id"));
    s_denial_t odd = { .id = "DEN-3", .state = "pending_review", .opened_ms = s_at ("2026-11-02", 9) };
    ck_assert_int_eq (s_try (store, "opened", &odd), -1);
    ck_assert_ptr_nonnull (strstr (store_error (store->store), "'pending_review'"));
    mt_store_destroy (&store);
}
END_TEST

//  The amount a denial carries as written off is what counts (a write-off
//  of part of what is open: `denials resolve ID written_off --cents N`);
//  a rejection reworked is final: no longer open, no outcome, and never
//  stops the stream; denials.appealed counts the appeal.
START_TEST (test_written_off_amount_and_reworked)
{
    clock_set_start (s_at ("2026-11-30", 12));
    mt_store_t *store = mt_store_new ();
    uint64_t t0 = s_at ("2026-11-02", 9);
    s_denial_t part = { .id = "DEN-11", .denied_cents = 10000, .opened_ms = t0 };
    s_denial_t fixed = { .id = "DEN-12", .denied_cents = 3000, .opened_ms = t0 };
    s_event (store, "opened", &part);
    s_event (store, "opened", &fixed);
    s_move (store, &part, "in_review", t0 + HOUR_MS);
    part.written_off_cents = 1234;
    s_move (store, &part, "written_off", t0 + DAY_MS);
    s_move (store, &fixed, "corrected", t0 + HOUR_MS);
    fixed.resolved_ms = t0 + DAY_MS;
    s_move (store, &fixed, "reworked", t0 + DAY_MS);
    //  denials.appealed (an appeal's own event) counts the appeal.
    s_denial_t appealed = { .id = "DEN-13", .denied_cents = 500, .opened_ms = t0 };
    s_event (store, "opened", &appealed);
    appealed.state = "appealed";
    appealed.updated_ms = t0 + 2 * DAY_MS;
    s_event (store, "appealed", &appealed);
    kpi_query_t query = mt_query ("2026-11-30", 30);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_appealed"), 1);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denial_written_off_cents"), 1234);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_open"), 1);      //  the appealed one
    ck_assert_int_eq (s_amount (store, &query, NULL, "denial_recovered_cents"), 0);
    ck_assert_int_eq (s_amount (store, &query, NULL, "denials_opened"), 3);
    mt_store_destroy (&store);
}
END_TEST

Suite *
metrics_denials_suite (void)
{
    Suite *suite = suite_create ("metrics_denials");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_month_of_denials);
    tcase_add_test (tc, test_each_change_counts_once);
    tcase_add_test (tc, test_open_follows_the_dimensions);
    tcase_add_test (tc, test_open_denials_follow_the_phase);
    tcase_add_test (tc, test_refusals);
    tcase_add_test (tc, test_written_off_amount_and_reworked);
    suite_add_tcase (suite, tc);
    return suite;
}
