/*  test_metrics_bounds: metrics applies events whose dimension values or
    PCN are longer than anything intake now lets through (issue 12 item 3):
    events already in a broker log from before intake's length limits, and
    rejected claims, still carry them. Before, a 2,000-character payer id
    overflowed a stack buffer in dims.c and a 600-character one made the
    "dims" key too long for LMDB (MDB_BAD_VALSIZE), so the consumer could
    never get past the event; a PCN over 127 bytes never found its own fact.
    Expected figures are counted here from the events fed.
*/
#include "test_metrics_feed.h"
#include "dims.h"

#include <czmq.h>

static char *
s_repeat (char c, size_t count, char last)
{
    char *text = (char *) malloc (count + 1);
    memset (text, c, count);
    text [count - 1] = last;
    text [count] = 0;
    return text;
}

//  Three payers: 2,000 characters, and two of 600 that differ only in
//  their last character. Each gets its own group; a payer seen twice is
//  one group of two.
START_TEST (test_long_payer)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    char *huge = s_repeat ('H', 2000, 'H');
    char *long_a = s_repeat ('P', 600, 'A');
    char *long_b = s_repeat ('P', 600, 'B');
    mt_received (store, "C1", (mt_dims_t) { .payer = huge }, 1000, "2026-03-01", NULL);
    mt_received (store, "C2", (mt_dims_t) { .payer = long_a }, 2000, "2026-03-02", NULL);
    mt_received (store, "C3", (mt_dims_t) { .payer = long_a }, 3000, "2026-03-03", "LEN001");
    mt_received (store, "C4", (mt_dims_t) { .payer = long_b }, 4000, "2026-03-04", NULL);

    kpi_query_t query = mt_query ("2026-03-31", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "received").amount, 4);
    ck_assert_int_eq (mt_value (store, &query, NULL, "rejected").amount, 1);
    mt_group (&query, "payer");
    kpi_result_t *result = mt_run (store, &query);
    ck_assert_int_eq (result->group_count, 3);
    kpi_result_destroy (&result);
    ck_assert_int_eq (mt_value (store, &query, long_a, "received").amount, 2);
    ck_assert_int_eq (mt_value (store, &query, long_b, "received").amount, 1);

    //  The whole value comes back from the store, not a cut one.
    MDB_txn *txn = store_read_begin (store->store);
    ck_assert (txn);
    dims_list_t *list = combos_load (store->store, txn, &dims_combos);
    size_t longest = 0;
    for (size_t i = 0; i < list->count; i++)
        if (strlen (list->entries [i].values [0]) > longest)
            longest = strlen (list->entries [i].values [0]);
    ck_assert_uint_eq (longest, 2000);
    combos_list_destroy (&list);
    store_read_end (&txn);

    free (huge);
    free (long_a);
    free (long_b);
    mt_store_destroy (&store);
}
END_TEST

//  A claims-stream event with a 600-character location applies, and its
//  balance lands under it.
START_TEST (test_long_location)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    char *location = s_repeat ('L', 600, 'L');
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "C1", .dims = { .location = location },
                                               .date = "2026-03-01", .dos = "20260301", .charge = 12500 });
    kpi_query_t query = mt_query ("2026-03-31", 90);
    mt_filter (&query, "location", location);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 12500);
    free (location);
    mt_store_destroy (&store);
}
END_TEST

//  A 200-character PCN: its second event finds the fact the first wrote,
//  so the claim's charge is on the books once (it was twice: each event
//  entered the claim again).
START_TEST (test_long_pcn)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    char *pcn = s_repeat ('N', 200, 'N');
    mt_claim (store, "entered", (mt_claim_t) { .pcn = pcn, .date = "2026-03-01", .dos = "20260301",
                                               .charge = 10000 });
    mt_claim (store, "submitted", (mt_claim_t) { .pcn = pcn, .date = "2026-03-02", .dos = "20260301",
                                                 .charge = 10000, .to_status = "submitted" });
    kpi_query_t query = mt_query ("2026-03-31", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 10000);
    ck_assert_int_eq (mt_value (store, &query, NULL, "charges_cents").amount, 10000);
    free (pcn);
    mt_store_destroy (&store);
}
END_TEST

//  Keys: the joined values up to COMBOS_KEY_MAX bytes, a NUL and a 32-byte
//  hash beyond, different for values that differ anywhere.
START_TEST (test_key)
{
    uint8_t key [COMBOS_KEY_MAX], other [COMBOS_KEY_MAX];
    char *fits = s_repeat ('x', COMBOS_KEY_MAX, 'x');
    ck_assert_uint_eq (combos_key (fits, COMBOS_KEY_MAX, key), COMBOS_KEY_MAX);
    ck_assert (memcmp (key, fits, COMBOS_KEY_MAX) == 0);
    char *over_a = s_repeat ('x', COMBOS_KEY_MAX + 1, 'a');
    char *over_b = s_repeat ('x', COMBOS_KEY_MAX + 1, 'b');
    ck_assert_uint_eq (combos_key (over_a, COMBOS_KEY_MAX + 1, key), 33);
    ck_assert_uint_eq (key [0], 0);
    ck_assert_uint_eq (combos_key (over_b, COMBOS_KEY_MAX + 1, other), 33);
    ck_assert (memcmp (key, other, 33) != 0);
    free (fits);
    free (over_a);
    free (over_b);
}
END_TEST

Suite *
metrics_bounds_suite (void)
{
    Suite *suite = suite_create ("metrics_bounds");
    TCase *tcase = tcase_create ("bounds");
    tcase_add_test (tcase, test_long_payer);
    tcase_add_test (tcase, test_long_location);
    tcase_add_test (tcase, test_long_pcn);
    tcase_add_test (tcase, test_key);
    suite_add_tcase (suite, tcase);
    return suite;
}
