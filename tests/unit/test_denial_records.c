/*  test_denial_records: a denial opened and added to from an event's
    messages (services/denials/records.c, records_open).

    records_open lends the event's dimensions, reasons and remit lines to
    the item it stores instead of copying them. These tests decode them
    into an arena as the consumer does, open a denial, then poison the
    arena and read the record back: what was stored must be the event's
    bytes, and the item must never have freed what it borrowed (glibc or
    ASan stop the run on a free of arena or stack memory). A second event
    of the same remit replaces the reasons, lines and dimensions, freeing
    the item's own and lending the new ones.
*/
#include "suites.h"
#include "denials.h"
#include "records.h"
#include "codec.h"
#include "outbox.h"

#include <czmq.h>

#define DR_PCN      "PCN0000042"
#define DR_PAYER    "SKNY0"
#define DR_TRACE    "TRC-77"
#define DR_NOW      1793000000000ULL

typedef struct {
    char *dir;
    denials_t denials;
} s_fixture_t;

static const char *s_tables [] = { DENIALS_TABLES, OUTBOX_TABLES, NULL };

static void
s_setup (s_fixture_t *fixture)
{
    memset (fixture, 0, sizeof *fixture);
    fixture->dir = test_tmpdir ("denial-records");
    char path [PATH_MAX], error [512] = "";
    snprintf (path, sizeof path, "%s/store", fixture->dir);
    denials_t *self = &fixture->denials;
    self->store = store_new (path, s_tables, error, sizeof error);
    ck_assert_msg (self->store != NULL, "store_new: %s", error);
    self->outbox = outbox_new (self->store, "denials");
    ck_assert_ptr_nonnull (self->outbox);
    ck_assert_int_eq (appeal_windows_parse (&self->windows, "", error, sizeof error), 0);
    ck_assert_int_eq (appeal_filing_parse (&self->windows, "", error, sizeof error), 0);
    self->pattern_min = 5;
    self->pattern_days = 30;
}

static void
s_teardown (s_fixture_t *fixture)
{
    outbox_destroy (&fixture->denials.outbox);
    store_destroy (&fixture->denials.store);
    test_rmtree (fixture->dir);
    free (fixture->dir);
}

//  One event's parts, built on the stack, packed, and decoded into an
//  arena the way consumer_dispatch hands them to a handler.
typedef struct {
    uint8_t buffer [16384];
    codec_arena_t arena;
    ClaimDimensions *dims;
    DenialReason *reasons [3];
    size_t n_reasons;
    RemitClaim *remit;
    //  The same parts packed, to compare the stored item with.
    uint8_t *dims_bytes, *reason_bytes [3], *line_bytes [3];
    size_t dims_size, reason_size [3], line_size [3], n_lines;
} s_event_t;

static void *
s_through_arena (s_event_t *event, const void *message, uint8_t **bytes, size_t *size)
{
    *bytes = codec_pack (message, size);
    return codec_arena_decode (&event->arena, ((const ProtobufCMessage *) message)->descriptor,
                               *bytes, *size);
}

//  n_reasons reasons (CARCs from carcs, or the built-in three) on lines
//  first_line, first_line + 1, ... (0: the first is the claim's).
static void
s_event_build (s_event_t *event, const char *queue, size_t n_reasons, size_t n_lines,
               const char *const *carcs, uint32_t first_line)
{
    memset (event, 0, sizeof *event);
    codec_arena_init (&event->arena, event->buffer, sizeof event->buffer);
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = DR_PAYER;
    dims.payer_group = "commercial";
    dims.location = "LOC1";
    dims.service_line = "cardiology";
    dims.queue = (char *) queue;
    dims.owner_team = "vendor-a";
    event->dims = (ClaimDimensions *) s_through_arena (event, &dims, &event->dims_bytes, &event->dims_size);
    static const char *const builtin [] = { "50", "16", "97" };
    if (!carcs)
        carcs = builtin;
    char *rarcs [] = { "N115", "M51" };
    for (size_t i = 0; i < n_reasons; i++) {
        DenialReason reason = DENIAL_REASON__INIT;
        reason.line_number = first_line + (uint32_t) i;
        reason.group = "CO";
        reason.carc = (char *) carcs [i];
        reason.n_rarcs = i == 0? 2: 0;
        reason.rarcs = rarcs;
        reason.amount_cents = 12500 + (int64_t) i * 100;
        event->reasons [i] = (DenialReason *) s_through_arena (event, &reason, &event->reason_bytes [i],
                                                                &event->reason_size [i]);
    }
    event->n_reasons = n_reasons;
    RemitLine lines [3];
    RemitLine *line_ptrs [3];
    static const char *const codes [] = { "99213", "93000", "80053" };
    for (size_t i = 0; i < n_lines; i++) {
        remit_line__init (&lines [i]);
        lines [i].procedure_qualifier = "HC";
        lines [i].procedure_code = (char *) codes [i];
        lines [i].charge_cents = 20000 + (int64_t) i;
        lines [i].line_item_control_number = (char *) codes [i];
        line_ptrs [i] = &lines [i];
        uint8_t *bytes = codec_pack (&lines [i], &event->line_size [i]);
        event->line_bytes [i] = bytes;
    }
    event->n_lines = n_lines;
    RemitClaim remit = REMIT_CLAIM__INIT;
    remit.pcn = DR_PCN;
    remit.status_code = "4";
    remit.payer_claim_number = "PCN-AT-PAYER";
    remit.n_lines = n_lines;
    remit.lines = line_ptrs;
    uint8_t *remit_bytes;
    size_t remit_size;
    event->remit = (RemitClaim *) s_through_arena (event, &remit, &remit_bytes, &remit_size);
    free (remit_bytes);
    ck_assert_ptr_nonnull (event->dims);
    ck_assert_ptr_nonnull (event->remit);
}

static void
s_event_make (s_event_t *event, const char *queue, size_t n_reasons, size_t n_lines)
{
    s_event_build (event, queue, n_reasons, n_lines, NULL, 0);
}

//  The arena's memory overwritten and given back: nothing stored may
//  point into it.
static void
s_event_poison (s_event_t *event)
{
    memset (event->buffer, 0xA5, sizeof event->buffer);
    codec_arena_release (&event->arena);
}

static void
s_event_free (s_event_t *event)
{
    free (event->dims_bytes);
    for (size_t i = 0; i < event->n_reasons; i++)
        free (event->reason_bytes [i]);
    for (size_t i = 0; i < event->n_lines; i++)
        free (event->line_bytes [i]);
}

static void
s_assert_packs_to (const void *message, const uint8_t *bytes, size_t size, const char *what)
{
    size_t stored_size;
    uint8_t *stored = codec_pack (message, &stored_size);
    ck_assert_msg (stored_size == size && memcmp (stored, bytes, size) == 0,
                   "%s: the stored item's bytes differ from the event's", what);
    free (stored);
}

typedef struct {
    denials_t *denials;
    s_event_t *event;
    char id [32];
    const char *pcn;            //  NULL: DR_PCN
    uint64_t time_ms;           //  0: DR_NOW
} s_open_t;

static int
s_open_fn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) store;
    s_open_t *open = (s_open_t *) arg;
    s_event_t *event = open->event;
    records_spec_t spec = {
        .pcn = open->pcn? open->pcn: DR_PCN, .claim_id = "CLM-1", .dims = event->dims, .kind = "denial",
        .payer_id = DR_PAYER, .trace = DR_TRACE, .remit_date = "20261201",
        .status_code = "4", .claim_status = "denied",
        .reasons = event->reasons, .n_reasons = event->n_reasons,
        .remit = event->remit, .date_of_service = "20261115",
        .time_ms = open->time_ms? open->time_ms: DR_NOW,
    };
    return records_open (open->denials, txn, &spec, open->id, sizeof open->id);
}

static DenialItem *
s_read (denials_t *denials, const char *id)
{
    MDB_txn *txn = store_read_begin (denials->store);
    ck_assert_ptr_nonnull (txn);
    DenialItem *item = NULL;
    ck_assert_int_eq (records_get (denials, txn, id, &item), 0);
    store_read_end (&txn);
    ck_assert_ptr_nonnull (item);
    return item;
}

static void
s_assert_item_holds (const DenialItem *item, const s_event_t *event)
{
    ck_assert_ptr_nonnull (item->dims);
    s_assert_packs_to (item->dims, event->dims_bytes, event->dims_size, "dims");
    ck_assert_uint_eq (item->n_reasons, event->n_reasons);
    for (size_t i = 0; i < event->n_reasons; i++)
        s_assert_packs_to (item->reasons [i], event->reason_bytes [i], event->reason_size [i], "reason");
    ck_assert_uint_eq (item->n_services, event->n_lines);
    for (size_t i = 0; i < event->n_lines; i++)
        s_assert_packs_to (item->services [i], event->line_bytes [i], event->line_size [i], "line");
}

START_TEST (test_opened_from_lent_parts)
{
    s_fixture_t fixture;
    s_setup (&fixture);
    s_event_t *event = (s_event_t *) malloc (sizeof (s_event_t));
    s_event_make (event, "Q-CARDIO", 2, 3);
    s_open_t open = { &fixture.denials, event, "", NULL, 0 };
    ck_assert_int_eq (store_write (fixture.denials.store, s_open_fn, &open), 0);
    ck_assert_str_eq (open.id, "DEN-0000000001");
    s_event_poison (event);
    DenialItem *item = s_read (&fixture.denials, open.id);
    s_assert_item_holds (item, event);
    ck_assert_str_eq (item->dims->queue, "Q-CARDIO");
    ck_assert_str_eq (item->carc, "16");         //  the largest amount is the primary reason
    ck_assert_int_eq (item->denied_cents, 12500 + 12600);
    ck_assert_uint_eq (item->denial_count, 1);
    codec_free (item);
    s_event_free (event);
    free (event);
    s_teardown (&fixture);
}
END_TEST

START_TEST (test_added_to_replaces_parts)
{
    s_fixture_t fixture;
    s_setup (&fixture);
    s_event_t *first = (s_event_t *) malloc (sizeof (s_event_t));
    s_event_make (first, "Q-CARDIO", 2, 3);
    s_open_t open = { &fixture.denials, first, "", NULL, 0 };
    ck_assert_int_eq (store_write (fixture.denials.store, s_open_fn, &open), 0);
    s_event_poison (first);
    //  The same remit again: its own reasons, lines and dims are freed,
    //  the new event's lent.
    s_event_t *second = (s_event_t *) malloc (sizeof (s_event_t));
    s_event_make (second, "Q-RECHECK", 1, 1);
    s_open_t again = { &fixture.denials, second, "", NULL, 0 };
    ck_assert_int_eq (store_write (fixture.denials.store, s_open_fn, &again), 0);
    ck_assert_str_eq (again.id, open.id);
    s_event_poison (second);
    DenialItem *item = s_read (&fixture.denials, open.id);
    s_assert_item_holds (item, second);
    ck_assert_str_eq (item->dims->queue, "Q-RECHECK");
    ck_assert_uint_eq (item->denial_count, 2);
    ck_assert_int_eq (item->denied_cents, 12500);
    codec_free (item);
    s_event_free (first);
    s_event_free (second);
    free (first);
    free (second);
    s_teardown (&fixture);
}
END_TEST

//  The one pattern the store holds (decoded; NULL when none).
static DenialPattern *
s_the_pattern (denials_t *denials)
{
    MDB_txn *txn = store_read_begin (denials->store);
    ck_assert_ptr_nonnull (txn);
    store_iter_t *iter = store_iter_new (denials->store, txn, "denial_patterns", NULL, 0);
    MDB_val key, value;
    DenialPattern *pattern = NULL;
    size_t rows = 0;
    while (store_iter_next (iter, &key, &value)) {
        codec_free (pattern);
        pattern = (DenialPattern *) codec_decode (&denial_pattern__descriptor, value.mv_data, value.mv_size);
        rows++;
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    ck_assert_uint_le (rows, 1);
    return pattern;
}

//  A pattern's CARC is the most frequent of its window; of two seen as
//  often, the one that got there first (the window read in time order).
START_TEST (test_pattern_carc_by_count_then_first)
{
    s_fixture_t fixture;
    s_setup (&fixture);
    //  Preventable coding denials of one payer and procedure (line 1 is
    //  99213), one a remit: 4, 11, 11, 4, then 97 (the fifth: the
    //  pattern stands, 4 and 11 twice each, 11 there first), then 4.
    static const char *const carcs [] = { "4", "11", "11", "4", "97", "4" };
    static const char *const expected [] = { NULL, NULL, NULL, NULL, "11", "4" };
    for (size_t i = 0; i < sizeof carcs / sizeof carcs [0]; i++) {
        s_event_t *event = (s_event_t *) malloc (sizeof (s_event_t));
        s_event_build (event, "Q-CODING", 1, 1, &carcs [i], 1);
        char pcn [32];
        snprintf (pcn, sizeof pcn, "PCN%07zu", i + 1);
        s_open_t open = { &fixture.denials, event, "", pcn, DR_NOW + i * 1000 };
        ck_assert_int_eq (store_write (fixture.denials.store, s_open_fn, &open), 0);
        s_event_poison (event);
        DenialPattern *pattern = s_the_pattern (&fixture.denials);
        if (!expected [i])
            ck_assert_ptr_null (pattern);
        else {
            ck_assert_ptr_nonnull (pattern);
            ck_assert_str_eq (pattern->carc, expected [i]);
            ck_assert_uint_eq (pattern->count, i + 1);
            ck_assert_str_eq (pattern->procedure_code, "99213");
            ck_assert_int_eq (pattern->cents, 12500 * (int64_t) (i + 1));
            ck_assert_uint_eq (pattern->first_seen_ms, DR_NOW);
            ck_assert_uint_eq (pattern->last_seen_ms, DR_NOW + i * 1000);
        }
        codec_free (pattern);
        s_event_free (event);
        free (event);
    }
    s_teardown (&fixture);
}
END_TEST

typedef struct {
    denials_t *denials;
    const char *pcn;
    size_t found;
    char first [32];
} s_of_claim_t;

static int
s_of_claim_fn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) store;
    s_of_claim_t *of = (s_of_claim_t *) arg;
    zlistx_t *ids;
    int rc = records_open_of_claim (of->denials, txn, of->pcn, &ids);
    of->found = zlistx_size (ids);
    const char *first = (const char *) zlistx_first (ids);
    snprintf (of->first, sizeof of->first, "%s", first? first: "");
    zlistx_destroy (&ids);
    return rc;
}

//  A claim's open denials: its own, and none for a PCN its own begins
//  with or one the table has not seen.
START_TEST (test_open_of_claim)
{
    s_fixture_t fixture;
    s_setup (&fixture);
    s_event_t *event = (s_event_t *) malloc (sizeof (s_event_t));
    s_event_make (event, "Q-CARDIO", 2, 3);
    s_open_t open = { &fixture.denials, event, "", NULL, 0 };
    ck_assert_int_eq (store_write (fixture.denials.store, s_open_fn, &open), 0);
    static const struct {
        const char *pcn;
        size_t found;
    } cases [] = { { DR_PCN, 1 }, { "PCN000004", 0 }, { "PCN00000420", 0 }, { "ZZZ", 0 }, { "", 0 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_of_claim_t of = { &fixture.denials, cases [i].pcn, 99, "" };
        ck_assert_int_eq (store_write (fixture.denials.store, s_of_claim_fn, &of), 0);
        ck_assert_msg (of.found == cases [i].found, "%s: %zu open denials, expected %zu", cases [i].pcn,
                       of.found, cases [i].found);
        if (cases [i].found)
            ck_assert_str_eq (of.first, open.id);
    }
    s_event_free (event);
    free (event);
    s_teardown (&fixture);
}
END_TEST

Suite *
denial_records_suite (void)
{
    Suite *suite = suite_create ("denial_records");
    TCase *tc = tcase_create ("open");
    tcase_add_test (tc, test_opened_from_lent_parts);
    tcase_add_test (tc, test_added_to_replaces_parts);
    tcase_add_test (tc, test_pattern_carc_by_count_then_first);
    tcase_add_test (tc, test_open_of_claim);
    suite_add_tcase (suite, tc);
    return suite;
}
