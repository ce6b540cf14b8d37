/*  test_metrics_feed: see test_metrics_feed.h. */
#include "test_metrics_feed.h"
#include "clock.h"

#include <czmq.h>

static zlistx_t *s_log;         //  zchunk_t *: packed Events
static uint64_t s_seq [2];      //  per stream: intake, claims

mt_store_t *
mt_store_new (void)
{
    static const char *const tables [] = { METRICS_TABLES, "offsets", "meta", NULL };
    mt_store_t *self = (mt_store_t *) zmalloc (sizeof (mt_store_t));
    self->dir = test_tmpdir ("metrics");
    char error [256];
    self->store = store_new (self->dir, tables, error, sizeof error);
    ck_assert_msg (self->store, "%s", error);
    return self;
}

void
mt_store_destroy (mt_store_t **self_p)
{
    mt_store_t *self = *self_p;
    if (!self)
        return;
    store_destroy (&self->store);
    test_rmtree (self->dir);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

uint32_t
mt_day (const char *date)
{
    uint32_t day = metrics_day_from_text (date);
    ck_assert_msg (day, "bad date %s", date);
    return day;
}

static uint64_t
s_noon (const char *date)
{
    return ((uint64_t) mt_day (date) - 1) * CLOCK_MS_PER_DAY + CLOCK_MS_PER_DAY / 2;
}

static int
s_apply_one (store_t *store, MDB_txn *txn, void *arg)
{
    return metrics_apply (store, txn, (const Event *) arg, NULL);
}

static void
s_apply (store_t *store, const Event *event)
{
    ck_assert_msg (store_write (store, s_apply_one, (void *) event) == 0, "apply: %s", store_error (store));
}

//  Wraps a payload as the producer would and applies it; keeps it in the log.
static void
s_feed (mt_store_t *self, const char *stream, const char *type, const char *key,
        uint64_t time_ms, const void *payload)
{
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = "test";
    event.stream_seq = ++s_seq [streq (stream, "claims")];
    event.producer_seq = event.stream_seq;
    event.time_ms = time_ms;
    event.key = (char *) key;
    event.payload.data = codec_pack (payload, &event.payload.len);
    s_apply (self->store, &event);
    if (!s_log) {
        s_log = zlistx_new ();
        zlistx_set_destructor (s_log, (zlistx_destructor_fn *) zchunk_destroy);
    }
    size_t size;
    uint8_t *packed = codec_pack (&event, &size);
    zlistx_add_end (s_log, zchunk_new (packed, size));
    free (packed);
    free (event.payload.data);
}

static void
s_dims (ClaimDimensions *message, mt_dims_t dims)
{
    claim_dimensions__init (message);
    message->payer_id = (char *) (dims.payer? dims.payer: "P1");
    message->payer_group = streq (message->payer_id, "MCR")? "medicare": "commercial";
    message->location = (char *) (dims.location? dims.location: "L1");
    message->service_line = "SL1";
    message->queue = (char *) (dims.queue? dims.queue: "Q1");
    message->owner_team = (char *) (dims.team? dims.team: "internal");
}

void
mt_received (mt_store_t *self, const char *pcn, mt_dims_t dims, int64_t charge,
             const char *date, const char *rules)
{
    ClaimDimensions message;
    s_dims (&message, dims);
    if (!rules) {
        ClaimAccepted accepted = CLAIM_ACCEPTED__INIT;
        accepted.pcn = (char *) pcn;
        accepted.claim_id = (char *) pcn;
        accepted.dims = &message;
        accepted.charge_cents = charge;
        accepted.received_ms = s_noon (date);
        s_feed (self, "intake", "claim_accepted", pcn, accepted.received_ms, &accepted);
        return;
    }
    ClaimRejected rejected = CLAIM_REJECTED__INIT;
    rejected.pcn = (char *) pcn;
    rejected.claim_id = (char *) pcn;
    rejected.dims = &message;
    rejected.charge_cents = charge;
    rejected.received_ms = s_noon (date);
    ScrubFinding findings [8], *pointers [8];
    char *copy = strdup (rules), *save = NULL;
    for (char *rule = strtok_r (copy, ",", &save); rule && rejected.n_errors < 8; rule = strtok_r (NULL, ",", &save)) {
        scrub_finding__init (&findings [rejected.n_errors]);
        findings [rejected.n_errors].rule_id = rule;
        findings [rejected.n_errors].severity = SEVERITY__SEVERITY_ERROR;
        pointers [rejected.n_errors] = &findings [rejected.n_errors];
        rejected.n_errors++;
    }
    rejected.errors = pointers;
    s_feed (self, "intake", "claim_rejected", pcn, rejected.received_ms, &rejected);
    free (copy);
}

void
mt_claim (mt_store_t *self, const char *type, mt_claim_t claim)
{
    ClaimDimensions dims;
    s_dims (&dims, claim.dims);
    ClaimEvent event = CLAIM_EVENT__INIT;
    event.pcn = (char *) claim.pcn;
    event.dims = &dims;
    event.to_status = (char *) (claim.to_status? claim.to_status: "");
    event.time_ms = s_noon (claim.date);
    event.date_of_service = (char *) (claim.dos? claim.dos: "");
    event.remit_date = (char *) (claim.remit_date? claim.remit_date: "");
    event.charge_cents = claim.charge;
    event.delta_paid_cents = claim.paid;
    event.delta_contractual_cents = claim.contractual;
    event.delta_patient_responsibility_cents = claim.patient;
    event.delta_denied_cents = claim.denied;
    event.patient_responsibility_cents = claim.patient_total;
    DenialReason reasons [8], *pointers [8];
    char *copy = strdup (claim.denials? claim.denials: ""), *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item && event.n_denials < 8; item = strtok_r (NULL, ",", &save)) {
        DenialReason *reason = &reasons [event.n_denials];
        denial_reason__init (reason);
        char *colon = strchr (item, ':');
        ck_assert (colon);
        *colon = 0;
        reason->category = item;
        reason->group = "CO";
        reason->carc = "16";
        reason->amount_cents = atoll (colon + 1);
        pointers [event.n_denials++] = reason;
    }
    event.denials = pointers;
    s_feed (self, "claims", type, claim.pcn, event.time_ms, &event);
    free (copy);
}

void
mt_log_reset (void)
{
    zlistx_destroy (&s_log);
    s_seq [0] = s_seq [1] = 0;
}

size_t
mt_log_size (void)
{
    return s_log? zlistx_size (s_log): 0;
}

void
mt_replay (mt_store_t *self, bool streams_apart)
{
    static const char *const order [] = { "claims", "intake" };
    for (int pass = 0; pass < (streams_apart? 2: 1); pass++)
        for (zchunk_t *chunk = (zchunk_t *) zlistx_first (s_log); chunk; chunk = (zchunk_t *) zlistx_next (s_log)) {
            Event *event = (Event *) codec_decode (&event__descriptor, zchunk_data (chunk), zchunk_size (chunk));
            ck_assert (event);
            if (!streams_apart || streq (event->stream, order [pass]))
                s_apply (self->store, event);
            codec_free (event);
        }
}

typedef struct {
    metrics_t *metrics;
    Event **events;
    size_t count;
} s_batch_t;

static int
s_apply_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    int rc = metrics_batch (store, txn, false, batch->metrics);
    for (size_t i = 0; rc == 0 && i < batch->count; i++)
        rc = metrics_apply (store, txn, batch->events [i], batch->metrics);
    if (rc == 0)
        rc = metrics_batch (store, txn, true, batch->metrics);
    return rc;
}

void
mt_replay_batched (mt_store_t *self, metrics_t *metrics, size_t per)
{
    size_t total = zlistx_size (s_log);
    Event **events = (Event **) zmalloc ((total + 1) * sizeof (Event *));
    size_t n = 0;
    for (zchunk_t *chunk = (zchunk_t *) zlistx_first (s_log); chunk; chunk = (zchunk_t *) zlistx_next (s_log)) {
        events [n] = (Event *) codec_decode (&event__descriptor, zchunk_data (chunk), zchunk_size (chunk));
        ck_assert (events [n]);
        n++;
    }
    for (size_t at = 0; at < n; at += per) {
        s_batch_t batch = { metrics, events + at, n - at < per? n - at: per };
        ck_assert_msg (store_write (self->store, s_apply_batch, &batch) == 0, "apply: %s", store_error (self->store));
    }
    for (size_t i = 0; i < n; i++)
        codec_free (events [i]);
    free (events);
}

kpi_query_t
mt_query (const char *as_of, uint32_t window_days)
{
    kpi_query_t query;
    memset (&query, 0, sizeof query);
    query.as_of = query.to = mt_day (as_of);
    query.window_days = window_days;
    query.from = query.to - window_days + 1;
    return query;
}

void
mt_filter (kpi_query_t *query, const char *dim, const char *value)
{
    int index = dims_index (dim);
    ck_assert_int_ge (index, 0);
    query->filters [index] = value;
}

void
mt_group (kpi_query_t *query, const char *dim)
{
    int index = dims_index (dim);
    ck_assert_int_ge (index, 0);
    query->group_by [query->group_count++] = index;
}

kpi_result_t *
mt_run (mt_store_t *self, const kpi_query_t *query)
{
    MDB_txn *txn = store_read_begin (self->store);
    ck_assert (txn);
    kpi_result_t *result;
    ck_assert_int_eq (kpi_run (self->store, txn, query, &result), 0);
    store_read_end (&txn);
    return result;
}

kpi_value_t
mt_value (mt_store_t *self, const kpi_query_t *query, const char *group, const char *kpi)
{
    kpi_result_t *result = mt_run (self, query);
    kpi_value_t value = kpi_get (result, group, kpi, query);
    kpi_result_destroy (&result);
    return value;
}

void
mt_work (mt_store_t *self, const char *stream, const char *what, const WorkItem *item, uint64_t at)
{
    WorkEvent work = WORK_EVENT__INIT;
    work.item = (WorkItem *) item;
    work.time_ms = at;
    char type [64];
    snprintf (type, sizeof type, "work.%s", what);
    s_feed (self, stream, type, item->id, at, &work);
}

void
mt_queue (mt_store_t *self, const char *id, const char *phase, const char *vendor_team)
{
    static uint64_t queue_seq;
    Queue queue = QUEUE__INIT;
    queue.id = (char *) id;
    queue.name = (char *) id;
    queue.owner_team = "internal";
    queue.vendor_team = (char *) vendor_team;
    queue.phase = (char *) phase;
    QueueChanged changed = QUEUE_CHANGED__INIT;
    changed.queue = &queue;
    changed.change = "phase";
    Event event = EVENT__INIT;
    event.stream = "queue";
    event.type = "changed";
    event.producer = "test";
    event.stream_seq = ++queue_seq;
    event.key = (char *) id;
    event.payload.data = codec_pack (&changed, &event.payload.len);
    s_apply (self->store, &event);
    free (event.payload.data);
}

char *
mt_table_dump (mt_store_t *self, const char *table)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    MDB_txn *txn = store_read_begin (self->store);
    store_iter_t *iter = store_iter_new (self->store, txn, table, NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        for (size_t i = 0; i < key.mv_size; i++)
            fprintf (out, "%02x", ((const uint8_t *) key.mv_data) [i]);
        fputc ('=', out);
        for (size_t i = 0; i < value.mv_size; i++)
            fprintf (out, "%02x", ((const uint8_t *) value.mv_data) [i]);
        fputc ('\n', out);
    }
    ck_assert_int_eq (store_iter_error (iter), 0);
    store_iter_destroy (&iter);
    store_read_end (&txn);
    fclose (out);
    return text;
}
