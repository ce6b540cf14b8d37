/*  test_eventlog: the broker's durable log (services/broker/eventlog.c).
    Taking producers' events assigns dense per-stream seqs; duplicates and
    gaps are refused without writing; an unusable stream name is dropped
    but acked; an aborted or retried attempt leaves nothing behind; fetch
    reads a range of one stream only; prune drops old events but keeps
    each stream's head.

    Each test gets its own directory from test_tmpdir and removes it.
*/
#include "suites.h"
#include "eventlog.h"
#include "fanout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A stored counter the test expects to read (a read error fails the test).
static uint64_t
s_stored_u64 (store_t *store, MDB_txn *txn, const char *table, const char *key)
{
    uint64_t value;
    if (store_get_u64 (store, txn, table, key, &value)) {
        fprintf (stderr, "%s\n", store_error (store));
        abort ();
    }
    return value;
}


static const char *s_tables [] = { EVENTLOG_TABLES, NULL };

static store_t *
s_open (const char *dir)
{
    char error [512] = "";
    store_t *store = store_new (dir, s_tables, error, sizeof error);
    ck_assert_msg (store != NULL, "store_new: %s", error);
    return store;
}

//  One store_write: eventlog_begin, then take each event, recording the
//  outcomes; abort makes the function fail after taking them.
typedef struct {
    eventlog_t *log;
    Event *events;
    size_t count;
    eventlog_outcome_t outcomes [64];
    const uint8_t **packed;     //  NULL, or each event as its producer packed it
    size_t *packed_sizes;
    bool abort;
    int attempts;
} s_take_t;

static int
s_take (store_t *store, MDB_txn *txn, void *arg)
{
    s_take_t *take = (s_take_t *) arg;
    take->attempts++;
    eventlog_begin (take->log);
    for (size_t i = 0; i < take->count; i++) {
        int rc = eventlog_take (take->log, txn, &take->events [i],
                                take->packed? take->packed [i]: NULL,
                                take->packed? take->packed_sizes [i]: 0, &take->outcomes [i]);
        if (rc)
            return rc;
    }
    if (take->abort)
        return store_fail (store, "test: aborted on purpose");
    return eventlog_flush (take->log, txn);
}

static void
s_event (Event *event, const char *producer, uint64_t producer_seq,
         const char *stream, const char *type, uint64_t time_ms)
{
    event__init (event);
    event->producer = (char *) producer;
    event->producer_seq = producer_seq;
    event->stream = (char *) stream;
    event->type = (char *) type;
    event->time_ms = time_ms;
    event->key = (char *) "k";
}

//  A committed entry as the tests hold it: its fields copied out of the
//  log's blocks (which the next write reuses), and the single-event frame
//  eventlog_entry_frame made of it while it was there.
typedef struct {
    char *topic;
    uint64_t seq;
    uint8_t *data;
    size_t size;
    zframe_t *frame;
} s_entry_t;

static void
s_entry_destroy (void **item_p)
{
    s_entry_t *entry = (s_entry_t *) *item_p;
    if (entry) {
        free (entry->topic);
        free (entry->data);
        zframe_destroy (&entry->frame);
        free (entry);
    }
    *item_p = NULL;
}

//  eventlog_committed's entries, copied, then eventlog_published.
static zlistx_t *
s_committed (eventlog_t *log)
{
    size_t count;
    const eventlog_entry_t *entries = eventlog_committed (log, &count);
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, s_entry_destroy);
    for (size_t i = 0; i < count; i++) {
        const eventlog_entry_t *entry = &entries [i];
        ck_assert_uint_eq (entry->topic_len, strlen (entry->topic));
        ck_assert_uint_eq (entry->stream_len, strcspn (entry->topic, "."));
        ck_assert_uint_lt (entry->stream_len, entry->topic_len);
        s_entry_t *copy = (s_entry_t *) calloc (1, sizeof (s_entry_t));
        copy->topic = strdup (entry->topic);
        copy->seq = entry->seq;
        copy->data = (uint8_t *) malloc (entry->size + 1);
        memcpy (copy->data, entry->data, entry->size);
        copy->size = entry->size;
        copy->frame = eventlog_entry_frame (entry);
        zlistx_add_end (list, copy);
    }
    eventlog_published (log);
    return list;
}

static void
s_entries_free (zlistx_t **entries_p)
{
    zlistx_destroy (entries_p);
}

//  Takes events in one committed write; returns the entries to publish.
static zlistx_t *
s_commit (eventlog_t *log, store_t *store, Event *events, size_t count, s_take_t *take)
{
    memset (take, 0, sizeof *take);
    take->log = log;
    take->events = events;
    take->count = count;
    ck_assert_msg (store_write (store, s_take, take) == 0, "store_write: %s", store_error (store));
    return s_committed (log);
}

static uint64_t
s_disk_u64 (store_t *store, const char *table, const char *key)
{
    MDB_txn *txn = store_read_begin (store);
    ck_assert_ptr_nonnull (txn);
    uint64_t value = s_stored_u64 (store, txn, table, key);
    store_read_end (&txn);
    return value;
}

static uint64_t
s_disk_count (store_t *store, const char *table)
{
    MDB_txn *txn = store_read_begin (store);
    ck_assert_ptr_nonnull (txn);
    uint64_t count = store_count (store, txn, table);
    store_read_end (&txn);
    return count;
}

//  Checks an entry: topic, seq, and that its data is the Event with that
//  stream seq and producer seq.
static void
s_check_entry (s_entry_t *entry, const char *topic, uint64_t seq,
               const char *producer, uint64_t producer_seq)
{
    ck_assert_ptr_nonnull (entry);
    ck_assert_str_eq (entry->topic, topic);
    ck_assert_uint_eq (entry->seq, seq);
    Event *event = (Event *) codec_decode (&event__descriptor, entry->data, entry->size);
    ck_assert_ptr_nonnull (event);
    ck_assert_uint_eq (event->stream_seq, seq);
    ck_assert_str_eq (event->producer, producer);
    ck_assert_uint_eq (event->producer_seq, producer_seq);
    codec_free (event);
    //  What fan-out sends is the frame made when the event was logged:
    //  its topic, seq and bytes are the logged ones.
    ck_assert_ptr_nonnull (entry->frame);
    const char *frame_topic;
    uint64_t frame_seq;
    const uint8_t *data;
    size_t size;
    ck_assert_int_eq (fanout_parse (entry->frame, &frame_topic, &frame_seq, &data, &size), 0);
    ck_assert_str_eq (frame_topic, topic);
    ck_assert_uint_eq (frame_seq, seq);
    ck_assert_uint_eq (size, entry->size);
    ck_assert_mem_eq (data, entry->data, size);
}

START_TEST (test_take_dense)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;

    Event events [8];
    s_event (&events [0], "intake-1", 1, "claims", "created", 1000);
    s_event (&events [1], "intake-1", 2, "intake", "batch", 1000);
    s_event (&events [2], "intake-1", 3, "claims", "scrubbed", 1000);
    s_event (&events [3], "intake-1", 4, "claims", "routed", 1000);
    s_event (&events [4], "intake-1", 5, "intake", "batch_done", 1000);
    zlistx_t *entries = s_commit (log, store, events, 5, &take);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq (take.outcomes [i], EVENTLOG_TAKEN);
    ck_assert_uint_eq (events [0].stream_seq, 1);
    ck_assert_uint_eq (events [1].stream_seq, 1);
    ck_assert_uint_eq (events [2].stream_seq, 2);
    ck_assert_uint_eq (events [3].stream_seq, 3);
    ck_assert_uint_eq (events [4].stream_seq, 2);

    //  committed() hands back every taken event, in the order taken.
    ck_assert_uint_eq (zlistx_size (entries), 5);
    s_check_entry (zlistx_first (entries), "claims.created", 1, "intake-1", 1);
    s_check_entry (zlistx_next (entries), "intake.batch", 1, "intake-1", 2);
    s_check_entry (zlistx_next (entries), "claims.scrubbed", 2, "intake-1", 3);
    s_check_entry (zlistx_next (entries), "claims.routed", 3, "intake-1", 4);
    s_check_entry (zlistx_next (entries), "intake.batch_done", 2, "intake-1", 5);
    s_entries_free (&entries);
    ck_assert_ptr_null (entries);

    ck_assert_uint_eq (eventlog_head (log, "claims"), 3);
    ck_assert_uint_eq (eventlog_head (log, "intake"), 2);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 1);
    ck_assert_uint_eq (eventlog_first (log, "intake"), 1);
    ck_assert_uint_eq (eventlog_head (log, "nothing"), 0);
    ck_assert_uint_eq (eventlog_producer_acked (log, "intake-1"), 5);
    ck_assert_uint_eq (eventlog_producer_acked (log, "other"), 0);

    //  A second producer's events continue the same stream.
    s_event (&events [0], "claims-9", 1, "claims", "denied", 1000);
    s_event (&events [1], "claims-9", 2, "claims", "paid", 1000);
    entries = s_commit (log, store, events, 2, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_TAKEN);
    ck_assert_uint_eq (zlistx_size (entries), 2);
    s_check_entry (zlistx_first (entries), "claims.denied", 4, "claims-9", 1);
    s_check_entry (zlistx_next (entries), "claims.paid", 5, "claims-9", 2);
    s_entries_free (&entries);
    //  Nothing more to publish until the next commit.
    entries = s_committed (log);
    ck_assert_uint_eq (zlistx_size (entries), 0);
    s_entries_free (&entries);

    ck_assert_uint_eq (eventlog_head (log, "claims"), 5);
    ck_assert_uint_eq (eventlog_producer_acked (log, "claims-9"), 2);
    ck_assert_uint_eq (eventlog_producer_acked (log, "intake-1"), 5);
    ck_assert_uint_eq (s_disk_count (store, "events"), 7);
    ck_assert_uint_eq (s_disk_u64 (store, "heads", "claims"), 5);
    ck_assert_uint_eq (s_disk_u64 (store, "producers", "claims-9"), 2);

    zlistx_t *streams = eventlog_streams (log);
    ck_assert_uint_eq (zlistx_size (streams), 2);
    ck_assert_str_eq (zlistx_first (streams), "claims");
    ck_assert_str_eq (zlistx_next (streams), "intake");
    zlistx_destroy (&streams);
    zlistx_t *producers = eventlog_producers (log);
    ck_assert_uint_eq (zlistx_size (producers), 2);
    ck_assert_str_eq (zlistx_first (producers), "claims-9");
    ck_assert_str_eq (zlistx_next (producers), "intake-1");
    zlistx_destroy (&producers);
    eventlog_destroy (&log);
    ck_assert_ptr_null (log);

    //  A new eventlog on the same store knows the committed figures.
    log = eventlog_new (store);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 5);
    ck_assert_uint_eq (eventlog_head (log, "intake"), 2);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 1);
    ck_assert_uint_eq (eventlog_producer_acked (log, "intake-1"), 5);
    ck_assert_uint_eq (eventlog_producer_acked (log, "claims-9"), 2);
    s_event (&events [0], "intake-1", 6, "claims", "created", 1000);
    entries = s_commit (log, store, events, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    s_check_entry (zlistx_first (entries), "claims.created", 6, "intake-1", 6);
    s_entries_free (&entries);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_duplicate_and_gap)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    Event events [8];
    for (uint64_t i = 0; i < 3; i++)
        s_event (&events [i], "p", i + 1, "claims", "created", 1000);
    zlistx_t *entries = s_commit (log, store, events, 3, &take);
    s_entries_free (&entries);

    //  Resent events (a relay that missed the ack) are dropped.
    for (uint64_t i = 0; i < 3; i++)
        s_event (&events [i], "p", i + 1, "claims", "created", 1000);
    entries = s_commit (log, store, events, 3, &take);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq (take.outcomes [i], EVENTLOG_DUPLICATE);
    ck_assert_uint_eq (zlistx_size (entries), 0);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 3);
    ck_assert_uint_eq (s_disk_count (store, "events"), 3);

    //  A batch overlapping the acked seq: old ones dropped, new ones taken,
    //  and an event repeated within the same attempt is a duplicate too.
    s_event (&events [0], "p", 3, "claims", "created", 1000);
    s_event (&events [1], "p", 4, "claims", "created", 1000);
    s_event (&events [2], "p", 4, "claims", "created", 1000);
    s_event (&events [3], "p", 5, "claims", "created", 1000);
    entries = s_commit (log, store, events, 4, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_DUPLICATE);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [2], EVENTLOG_DUPLICATE);
    ck_assert_int_eq (take.outcomes [3], EVENTLOG_TAKEN);
    ck_assert_uint_eq (zlistx_size (entries), 2);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 5);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 5);

    //  A gap: nothing written, nothing acked, the producer resends from 6.
    s_event (&events [0], "p", 7, "claims", "created", 1000);
    s_event (&events [1], "p", 8, "claims", "created", 1000);
    entries = s_commit (log, store, events, 2, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_OUT_OF_ORDER);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_OUT_OF_ORDER);
    ck_assert_uint_eq (zlistx_size (entries), 0);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 5);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 5);
    ck_assert_uint_eq (s_disk_count (store, "events"), 5);
    ck_assert_uint_eq (s_disk_u64 (store, "heads", "claims"), 5);
    ck_assert_uint_eq (s_disk_u64 (store, "producers", "p"), 5);

    //  The resend from 6 is taken.
    s_event (&events [0], "p", 6, "claims", "created", 1000);
    s_event (&events [1], "p", 7, "claims", "created", 1000);
    entries = s_commit (log, store, events, 2, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_TAKEN);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 7);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_invalid_stream)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    char long_name [300];
    memset (long_name, 'x', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    Event events [8];
    s_event (&events [0], "p", 1, "claims", "created", 1000);
    s_event (&events [1], "p", 2, "", "created", 1000);
    s_event (&events [2], "p", 3, "claims.bad", "created", 1000);
    s_event (&events [3], "p", 4, NULL, "created", 1000);
    s_event (&events [4], "p", 5, long_name, "created", 1000);
    s_event (&events [5], "p", 6, "claims", "paid", 1000);
    zlistx_t *entries = s_commit (log, store, events, 6, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    for (size_t i = 1; i < 5; i++)
        ck_assert_msg (take.outcomes [i] == EVENTLOG_INVALID, "event %zu: outcome %d",
                       i, (int) take.outcomes [i]);
    ck_assert_int_eq (take.outcomes [5], EVENTLOG_TAKEN);
    //  Dropped but acked, so the producer's outbox moves on.
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 6);
    ck_assert_uint_eq (s_disk_u64 (store, "producers", "p"), 6);
    ck_assert_uint_eq (zlistx_size (entries), 2);
    s_check_entry (zlistx_first (entries), "claims.created", 1, "p", 1);
    s_check_entry (zlistx_next (entries), "claims.paid", 2, "p", 6);
    s_entries_free (&entries);
    ck_assert_uint_eq (s_disk_count (store, "events"), 2);
    zlistx_t *streams = eventlog_streams (log);
    ck_assert_uint_eq (zlistx_size (streams), 1);
    zlistx_destroy (&streams);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

typedef struct {
    eventlog_t *log;
    Event *events;
    size_t count;
    int results [8];
} s_append_t;

static int
s_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_append_t *append = (s_append_t *) arg;
    eventlog_begin (append->log);
    for (size_t i = 0; i < append->count; i++) {
        append->results [i] = eventlog_append (append->log, txn, &append->events [i]);
        if (append->results [i] && append->results [i] != EINVAL)
            return append->results [i];
    }
    return eventlog_flush (append->log, txn);
}

START_TEST (test_append_own)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    Event events [4];
    s_event (&events [0], "p", 1, "broker", "started", 1000);
    zlistx_t *entries = s_commit (log, store, events, 1, &take);
    s_entries_free (&entries);

    s_event (&events [0], "", 0, "broker", "note", 1000);
    s_event (&events [1], "", 0, "bad.name", "note", 1000);
    s_event (&events [2], "", 0, "broker", "note", 1000);
    s_append_t append = { log, events, 3, { 0 } };
    ck_assert_int_eq (store_write (store, s_append, &append), 0);
    ck_assert_int_eq (append.results [0], 0);
    ck_assert_int_eq (append.results [1], EINVAL);
    ck_assert_int_eq (append.results [2], 0);
    entries = s_committed (log);
    ck_assert_uint_eq (zlistx_size (entries), 2);
    s_entry_t *entry = (s_entry_t *) zlistx_first (entries);
    ck_assert_str_eq (entry->topic, "broker.note");
    ck_assert_uint_eq (entry->seq, 2);
    entry = (s_entry_t *) zlistx_next (entries);
    ck_assert_uint_eq (entry->seq, 3);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "broker"), 3);
    ck_assert_uint_eq (eventlog_head (log, "bad.name"), 0);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_abort)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    Event events [8];
    s_event (&events [0], "p", 1, "claims", "created", 1000);
    s_event (&events [1], "p", 2, "claims", "created", 1000);
    zlistx_t *entries = s_commit (log, store, events, 2, &take);
    s_entries_free (&entries);

    //  An attempt that takes events (including a new stream and a new
    //  producer) and then fails.
    s_event (&events [0], "p", 3, "claims", "created", 1000);
    s_event (&events [1], "p", 4, "denials", "opened", 1000);
    s_event (&events [2], "q", 1, "claims", "created", 1000);
    memset (&take, 0, sizeof take);
    take.log = log;
    take.events = events;
    take.count = 3;
    take.abort = true;
    ck_assert_int_eq (store_write (store, s_take, &take), -1);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [2], EVENTLOG_TAKEN);
    //  The next attempt starts clean: nothing of the failed one is
    //  committed, in memory or on disk.
    eventlog_begin (log);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 2);
    ck_assert_uint_eq (eventlog_head (log, "denials"), 0);
    ck_assert_uint_eq (eventlog_first (log, "denials"), 0);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 2);
    ck_assert_uint_eq (eventlog_producer_acked (log, "q"), 0);
    ck_assert_uint_eq (s_disk_u64 (store, "heads", "claims"), 2);
    ck_assert_uint_eq (s_disk_u64 (store, "heads", "denials"), 0);
    ck_assert_uint_eq (s_disk_u64 (store, "producers", "p"), 2);
    ck_assert_uint_eq (s_disk_u64 (store, "producers", "q"), 0);
    ck_assert_uint_eq (s_disk_count (store, "events"), 2);
    zlistx_t *streams = eventlog_streams (log);
    ck_assert_uint_eq (zlistx_size (streams), 1);
    zlistx_destroy (&streams);
    zlistx_t *producers = eventlog_producers (log);
    ck_assert_uint_eq (zlistx_size (producers), 1);
    zlistx_destroy (&producers);

    //  The same events resent are taken with the seqs the failed attempt
    //  had given them, and only they are published.
    entries = s_commit (log, store, events, 3, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [2], EVENTLOG_TAKEN);
    ck_assert_uint_eq (zlistx_size (entries), 3);
    s_check_entry (zlistx_first (entries), "claims.created", 3, "p", 3);
    s_check_entry (zlistx_next (entries), "denials.opened", 1, "p", 4);
    s_check_entry (zlistx_next (entries), "claims.created", 4, "q", 1);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 4);
    ck_assert_uint_eq (eventlog_head (log, "denials"), 1);
    ck_assert_uint_eq (eventlog_first (log, "denials"), 1);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 4);
    ck_assert_uint_eq (eventlog_producer_acked (log, "q"), 1);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_map_growth_retry)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    ck_assert_int_eq (store_set_map_size (store, 256 << 10), 0);
    //  Big events in one write: the map fills after some were taken, the
    //  write runs again, and each event is taken and published once.
    size_t size = 48 << 10;
    uint8_t *payload = (uint8_t *) calloc (1, size);
    Event events [24];
    for (size_t i = 0; i < 24; i++) {
        s_event (&events [i], "p", i + 1, i % 3? "claims": "intake", "created", 1000);
        events [i].payload.data = payload;
        events [i].payload.len = size;
    }
    s_take_t take;
    zlistx_t *entries = s_commit (log, store, events, 24, &take);
    ck_assert_int_gt (take.attempts, 1);
    ck_assert_uint_eq (zlistx_size (entries), 24);
    uint64_t claims = 0, intake = 0;
    for (s_entry_t *entry = zlistx_first (entries); entry; entry = zlistx_next (entries)) {
        uint64_t *counter = strncmp (entry->topic, "claims.", 7) == 0? &claims: &intake;
        ck_assert_uint_eq (entry->seq, ++*counter);
    }
    s_entries_free (&entries);
    ck_assert_uint_eq (claims, 16);
    ck_assert_uint_eq (intake, 8);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 16);
    ck_assert_uint_eq (eventlog_head (log, "intake"), 8);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 24);
    ck_assert_uint_eq (s_disk_count (store, "events"), 24);
    free (payload);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

static void
s_free_events (Event **events, size_t n)
{
    for (size_t i = 0; i < n; i++)
        codec_free (events [i]);
    free (events);
}

START_TEST (test_fetch)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    //  Streams "a", "ab" and "b", interleaved: keys of "a" and "ab" sit
    //  next to each other and must not mix.
    Event events [16];
    const char *streams [] = { "a", "ab", "a", "b", "ab", "a", "ab", "a", "b", "a" };
    for (size_t i = 0; i < 10; i++)
        s_event (&events [i], "p", i + 1, streams [i], "t", 1000 + i);
    zlistx_t *entries = s_commit (log, store, events, 10, &take);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "a"), 5);
    ck_assert_uint_eq (eventlog_head (log, "ab"), 3);
    ck_assert_uint_eq (eventlog_head (log, "b"), 2);

    size_t n;
    Event **got = eventlog_fetch (log, "a", 1, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 5);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq (got [i]->stream, "a");
        ck_assert_uint_eq (got [i]->stream_seq, i + 1);
    }
    ck_assert_uint_eq (got [1]->producer_seq, 3);
    s_free_events (got, n);

    got = eventlog_fetch (log, "ab", 2, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 2);
    ck_assert_str_eq (got [0]->stream, "ab");
    ck_assert_uint_eq (got [0]->stream_seq, 2);
    ck_assert_uint_eq (got [1]->stream_seq, 3);
    s_free_events (got, n);

    //  A range in the middle, at most max events.
    got = eventlog_fetch (log, "a", 2, 2, 1 << 20, &n);
    ck_assert_uint_eq (n, 2);
    ck_assert_uint_eq (got [0]->stream_seq, 2);
    ck_assert_uint_eq (got [1]->stream_seq, 3);
    s_free_events (got, n);

    //  from 0 means from the start.
    got = eventlog_fetch (log, "b", 0, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 2);
    ck_assert_uint_eq (got [0]->stream_seq, 1);
    s_free_events (got, n);

    //  Past the head: nothing, and nothing of the next stream ("a" -> "ab").
    got = eventlog_fetch (log, "a", 6, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 0);
    s_free_events (got, n);
    got = eventlog_fetch (log, "b", 3, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 0);
    s_free_events (got, n);
    //  A stream that does not exist, even one that prefixes others.
    got = eventlog_fetch (log, "", 1, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 0);
    s_free_events (got, n);
    got = eventlog_fetch (log, "aa", 1, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 0);
    s_free_events (got, n);

    //  The byte budget stops a fetch early but never returns nothing.
    got = eventlog_fetch (log, "a", 1, 100, 1, &n);
    ck_assert_uint_eq (n, 1);
    ck_assert_uint_eq (got [0]->stream_seq, 1);
    s_free_events (got, n);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  A filtered fetch (ADR 58): only the named types, and through which seq
//  it looked, so the seqs of other types are covered without being sent.
START_TEST (test_fetch_types)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    //  Stream "c": seqs 1..8 of types x y y x z y y y; and "cd" beside it.
    Event events [16];
    const char *types [] = { "x", "y", "y", "x", "z", "y", "y", "y" };
    for (size_t i = 0; i < 8; i++)
        s_event (&events [i], "p", i + 1, "c", types [i], 1000 + i);
    s_event (&events [8], "p", 9, "cd", "x", 2000);
    zlistx_t *entries = s_commit (log, store, events, 9, &take);
    s_entries_free (&entries);

    char *wanted [] = { "x", "z" };
    size_t n;
    uint64_t through;
    Event **got = eventlog_fetch_types (log, "c", 1, wanted, 2, 100, 1 << 20, 1000, &n, &through);
    ck_assert_uint_eq (n, 3);
    ck_assert_uint_eq (got [0]->stream_seq, 1);
    ck_assert_uint_eq (got [1]->stream_seq, 4);
    ck_assert_uint_eq (got [2]->stream_seq, 5);
    ck_assert_str_eq (got [2]->type, "z");
    //  To the end of the stream: through its head, past the last taken.
    ck_assert_uint_eq (through, 8);
    s_free_events (got, n);

    //  At most max events: through the last one taken.
    got = eventlog_fetch_types (log, "c", 2, wanted, 2, 1, 1 << 20, 1000, &n, &through);
    ck_assert_uint_eq (n, 1);
    ck_assert_uint_eq (got [0]->stream_seq, 4);
    ck_assert_uint_eq (through, 4);
    s_free_events (got, n);

    //  At most max_scan looked at: through the last looked at.
    got = eventlog_fetch_types (log, "c", 2, wanted, 2, 100, 1 << 20, 2, &n, &through);
    ck_assert_uint_eq (n, 0);
    ck_assert_uint_eq (through, 3);
    s_free_events (got, n);

    //  No types: nothing taken, everything covered; past the head, nothing.
    got = eventlog_fetch_types (log, "c", 1, NULL, 0, 100, 1 << 20, 1000, &n, &through);
    ck_assert_uint_eq (n, 0);
    ck_assert_uint_eq (through, 8);
    s_free_events (got, n);
    got = eventlog_fetch_types (log, "c", 9, wanted, 2, 100, 1 << 20, 1000, &n, &through);
    ck_assert_uint_eq (n, 0);
    ck_assert_uint_eq (through, 8);
    s_free_events (got, n);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_prune)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    s_take_t take;
    //  "claims": seqs 1..6 at times 100..600; "old": seqs 1..3, all old.
    Event events [16];
    for (size_t i = 0; i < 6; i++)
        s_event (&events [i], "p", i + 1, "claims", "t", 100 * (i + 1));
    for (size_t i = 6; i < 9; i++)
        s_event (&events [i], "p", i + 1, "old", "t", 50);
    zlistx_t *entries = s_commit (log, store, events, 9, &take);
    s_entries_free (&entries);

    //  Nothing older than 50: nothing goes.
    ck_assert_int_eq (eventlog_prune (log, 50, 1000), 0);
    ck_assert_uint_eq (eventlog_first (log, "old"), 1);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 1);

    //  Events before 350 go (1..3 of claims, 1..2 of old); heads stay.
    ck_assert_int_eq (eventlog_prune (log, 350, 1000), 5);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 4);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 6);
    ck_assert_uint_eq (eventlog_first (log, "old"), 3);
    ck_assert_uint_eq (eventlog_head (log, "old"), 3);
    ck_assert_uint_eq (s_disk_u64 (store, "firsts", "claims"), 4);
    ck_assert_uint_eq (s_disk_count (store, "events"), 4);
    size_t n;
    Event **got = eventlog_fetch (log, "claims", 1, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 3);
    ck_assert_uint_eq (got [0]->stream_seq, 4);
    s_free_events (got, n);
    got = eventlog_fetch (log, "old", 1, 100, 1 << 20, &n);
    ck_assert_uint_eq (n, 1);
    ck_assert_uint_eq (got [0]->stream_seq, 3);
    s_free_events (got, n);

    //  A cutoff past everything still keeps each head; a limit is respected.
    ck_assert_int_eq (eventlog_prune (log, 10000, 1), 1);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 5);
    ck_assert_int_eq (eventlog_prune (log, 10000, 1000), 1);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 6);
    ck_assert_int_eq (eventlog_prune (log, 10000, 1000), 0);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 6);
    ck_assert_uint_eq (s_disk_count (store, "events"), 2);

    //  The sequence goes on after a prune and after a reopen.
    eventlog_destroy (&log);
    log = eventlog_new (store);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 6);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 6);
    s_event (&events [0], "p", 10, "claims", "t", 20000);
    entries = s_commit (log, store, events, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_uint_eq (events [0].stream_seq, 7);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_first (log, "claims"), 6);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  Producer epochs (docs/adr/0007): one producer writes seqs 1..3 under
//  epoch A, restarts and writes 4..5 under B. Resends of each are
//  duplicates; a store restored from the copy taken at seq 3 opens under C
//  and writes seq 4 again (prev A): refused, as is a re-used 2 under C; a
//  broker restored from the copy at 3 (current epoch A, acked 3) refuses a
//  seq 6 that follows B. The epochs survive a reopen of the log.
static void
s_epoch_event (Event *event, uint64_t seq, uint64_t epoch, uint64_t prev)
{
    s_event (event, "p", seq, "claims", "created", 1000);
    event->producer_epoch = epoch;
    event->prev_epoch = prev;
}

START_TEST (test_epochs)
{
    char *dir = test_tmpdir ("eventlog");
    store_t *store = s_open (dir);
    eventlog_t *log = eventlog_new (store);
    const uint64_t A = 0xa1, B = 0xb2, C = 0xc3;
    s_take_t take;
    Event events [8];
    s_epoch_event (&events [0], 1, A, 0);
    s_epoch_event (&events [1], 2, A, A);
    s_epoch_event (&events [2], 3, A, A);
    zlistx_t *entries = s_commit (log, store, events, 3, &take);
    ck_assert_uint_eq (zlistx_size (entries), 3);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_producer_epoch (log, "p"), A);

    //  The broker's store as it was at seq 3, copied while closed, for the
    //  rollback below.
    eventlog_destroy (&log);
    store_destroy (&store);
    char *copy_dir = test_tmpdir ("eventlog-copy");
    char command [1024];
    snprintf (command, sizeof command, "cp '%s/data.mdb' '%s/data.mdb'", dir, copy_dir);
    ck_assert_int_eq (system (command), 0);
    store = s_open (dir);
    log = eventlog_new (store);

    s_epoch_event (&events [0], 4, B, A);
    s_epoch_event (&events [1], 5, B, B);
    entries = s_commit (log, store, events, 2, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_TAKEN);
    s_entries_free (&entries);

    //  True resends, each under the epoch that wrote it.
    s_epoch_event (&events [0], 3, A, A);
    s_epoch_event (&events [1], 4, B, A);
    s_epoch_event (&events [2], 5, B, B);
    entries = s_commit (log, store, events, 3, &take);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq (take.outcomes [i], EVENTLOG_DUPLICATE);
    s_entries_free (&entries);

    //  The producer's store restored from its copy at seq 3: seq 4 again,
    //  under a new epoch. The old code took it for a duplicate and dropped
    //  it for good.
    s_epoch_event (&events [0], 4, C, A);
    entries = s_commit (log, store, events, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_DIVERGED);
    ck_assert_uint_eq (zlistx_size (entries), 0);
    s_entries_free (&entries);
    ck_assert_ptr_nonnull (strstr (eventlog_reason (log), "seq 4"));
    ck_assert_ptr_nonnull (strstr (eventlog_reason (log), "never saw that epoch"));
    //  A known epoch at a seq it never had is no duplicate either.
    s_epoch_event (&events [0], 4, A, A);
    entries = s_commit (log, store, events, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_DIVERGED);
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 5);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 5);

    //  Reopened from disk: the same ranges and current epoch.
    eventlog_destroy (&log);
    log = eventlog_new (store);
    ck_assert_uint_eq (eventlog_producer_epoch (log, "p"), B);
    s_epoch_event (&events [0], 5, B, B);
    s_epoch_event (&events [1], 5, C, C);
    s_epoch_event (&events [2], 6, B, B);
    entries = s_commit (log, store, events, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_DUPLICATE);
    s_entries_free (&entries);
    entries = s_commit (log, store, events + 1, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_DIVERGED);
    s_entries_free (&entries);
    entries = s_commit (log, store, events + 2, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    s_entries_free (&entries);
    eventlog_destroy (&log);
    store_destroy (&store);

    //  The broker restored from its copy at seq 3 (acked 3, epoch A). A
    //  producer event 4 that follows an event of epoch B (the producer
    //  wrote 4 under C after B's 4..: its prev is not the log's A) is
    //  refused: the log's seq 3 is not the event it follows.
    store = s_open (copy_dir);
    log = eventlog_new (store);
    ck_assert_uint_eq (eventlog_producer_acked (log, "p"), 3);
    s_epoch_event (&events [0], 4, C, B);
    entries = s_commit (log, store, events, 1, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_DIVERGED);
    ck_assert_ptr_nonnull (strstr (eventlog_reason (log), "restored from an older copy"));
    s_entries_free (&entries);
    ck_assert_uint_eq (eventlog_head (log, "claims"), 3);

    //  A log from before epochs: "legacy" took 1..3 under an epoch it did
    //  not record (an older broker). After the upgrade it takes 4 under D
    //  and records that; a resend of 2 under the unrecorded epoch is still
    //  a duplicate, and 4 under another epoch is not.
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_event (&events [seq - 1], "legacy", seq, "claims", "created", 1000);
    entries = s_commit (log, store, events, 3, &take);
    s_entries_free (&entries);
    const uint64_t D = 0xd4, E = 0xe5;
    s_event (&events [0], "legacy", 4, "claims", "created", 1000);
    events [0].producer_epoch = D;
    events [0].prev_epoch = E;
    s_event (&events [1], "legacy", 2, "claims", "created", 1000);
    events [1].producer_epoch = E;
    events [1].prev_epoch = E;
    s_event (&events [2], "legacy", 4, "claims", "created", 1000);
    events [2].producer_epoch = E;
    events [2].prev_epoch = E;
    entries = s_commit (log, store, events, 3, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_DUPLICATE);
    ck_assert_int_eq (take.outcomes [2], EVENTLOG_DIVERGED);
    s_entries_free (&entries);

    //  Events without an epoch (an older producer) keep the old rules.
    s_event (&events [0], "old", 1, "claims", "created", 1000);
    s_event (&events [1], "old", 1, "claims", "created", 1000);
    entries = s_commit (log, store, events, 2, &take);
    ck_assert_int_eq (take.outcomes [0], EVENTLOG_TAKEN);
    ck_assert_int_eq (take.outcomes [1], EVENTLOG_DUPLICATE);
    s_entries_free (&entries);
    eventlog_destroy (&log);
    store_destroy (&store);
    test_rmtree (copy_dir);
    free (copy_dir);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  fanout_frame_new lays out the same frame as fanout_frame, with the
//  payload left for the caller to pack into; no type gives "stream.".
START_TEST (test_fanout_frame_new)
{
    const uint8_t payload [] = { 1, 2, 3, 0, 5 };
    const char *types [] = { "created", "", NULL };
    const char *topics [] = { "claims.created", "claims.", "claims." };
    for (size_t i = 0; i < 3; i++) {
        uint8_t *room = NULL;
        zframe_t *made = fanout_frame_new ("claims", types [i], 42, sizeof payload, &room);
        ck_assert_ptr_nonnull (room);
        memcpy (room, payload, sizeof payload);
        zframe_t *expected = fanout_frame (topics [i], 42, payload, sizeof payload);
        ck_assert (zframe_eq (made, expected));
        const char *topic;
        uint64_t seq;
        const uint8_t *data;
        size_t size;
        ck_assert_int_eq (fanout_parse (made, &topic, &seq, &data, &size), 0);
        ck_assert_str_eq (topic, topics [i]);
        ck_assert_uint_eq (seq, 42);
        ck_assert_ptr_eq (data, room);
        ck_assert_uint_eq (size, sizeof payload);
        zframe_destroy (&made);
        zframe_destroy (&expected);
    }
}
END_TEST

//  A batch frame (ADR 48): topic "stream.", seq 0, then each event's bytes
//  behind its length, in order; a body cut short is told apart from its end.
START_TEST (test_fanout_batch)
{
    const uint8_t one [] = { 1, 2, 3 }, three [300] = { 7 };
    const uint8_t *data [] = { one, one, three };
    const size_t sizes [] = { sizeof one, 0, sizeof three };
    zframe_t *frame = fanout_batch ("claims", data, sizes, 3);
    const char *topic;
    uint64_t seq;
    const uint8_t *body;
    size_t size;
    ck_assert_int_eq (fanout_parse (frame, &topic, &seq, &body, &size), 0);
    ck_assert_str_eq (topic, "claims.");
    ck_assert_uint_eq (seq, 0);
    ck_assert (fanout_is_batch (topic, seq));
    ck_assert (!fanout_is_batch (topic, 1));
    ck_assert (!fanout_is_batch (FANOUT_HEARTBEAT, 0));
    ck_assert_uint_eq (size, 3 * 4 + sizeof one + sizeof three);
    size_t offset = 0, event_size;
    const uint8_t *event;
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq (fanout_batch_next (body, size, &offset, &event, &event_size), 1);
        ck_assert_uint_eq (event_size, sizes [i]);
        ck_assert_int_eq (memcmp (event, data [i], sizes [i]), 0);
    }
    ck_assert_int_eq (fanout_batch_next (body, size, &offset, &event, &event_size), 0);
    //  Every cut of the body short of a record's end is refused.
    for (size_t cut = 1; cut < sizeof three + 4; cut++) {
        offset = 0;
        int rc;
        while ((rc = fanout_batch_next (body, size - cut, &offset, &event, &event_size)) == 1)
            ;
        ck_assert_int_eq (rc, -1);
    }
    zframe_destroy (&frame);
}
END_TEST

//  Appends 16,400 of the broker's own events to "claims" in one write.
static int
s_fill (store_t *store, MDB_txn *txn, void *arg)
{
    eventlog_t *log = (eventlog_t *) arg;
    eventlog_begin (log);
    for (size_t i = 0; i < 16400; i++) {
        Event event;
        s_event (&event, "", 0, "claims", "x", 1);
        int rc = eventlog_append (log, txn, &event);
        if (rc)
            return rc;
    }
    return eventlog_flush (log, txn);
}

//  The broker stores an event as its producer packed it with the stream
//  seq put in, instead of packing the unpacked event again: the bytes
//  stored and sent must be exactly the ones packing gives, for every kind
//  of event (epochs, payloads, empty fields, a divergence in the group,
//  streams interleaved), and bytes it cannot put the seq into (a stream
//  seq already there, fields out of order) are packed afresh.
START_TEST (test_take_packed)
{
    char *dir = test_tmpdir ("eventlog");
    char dir_a [1024], dir_b [1024];
    snprintf (dir_a, sizeof dir_a, "%s/a", dir);
    snprintf (dir_b, sizeof dir_b, "%s/b", dir);
    store_t *store_a = s_open (dir_a), *store_b = s_open (dir_b);
    eventlog_t *log_a = eventlog_new (store_a), *log_b = eventlog_new (store_b);
    const uint64_t A = 0x0123456789abcdefULL, B = 0xfedcba9876543210ULL;
    uint8_t payload [300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload [i] = (uint8_t) (i * 7);
    Event events [2][12];
    for (size_t copy = 0; copy < 2; copy++) {
        Event *e = events [copy];
        for (size_t i = 0; i < 12; i++) {
            s_event (&e [i], "p", i + 1, i % 3 == 2? "intake": "claims", "created", 1000 + i * 300);
            e [i].producer_epoch = i < 5? A: B;
            e [i].prev_epoch = i == 0? 0: i <= 5? A: B;
            e [i].payload.data = payload;
            e [i].payload.len = (i * 37) % sizeof payload;
        }
        e [1].key = (char *) "";                //  an empty field is not packed
        e [2].type = (char *) "";
        e [3].time_ms = 0;
        e [4].producer_epoch = e [4].prev_epoch = 0;    //  an older producer
        e [9].prev_epoch = A;                   //  diverges: 9 was under B
        //  Seqs run past 127 and 16383, whose varints take 2 and 3 bytes.
        e [10].producer_seq = e [11].producer_seq = 0;
    }
    //  An event whose bytes hold a stream seq already; one whose fields
    //  are out of order (payload first): both packed afresh. Each follows
    //  its predecessor, as the producer would send it.
    size_t sizes [12];
    uint8_t *bytes [12];
    for (size_t i = 0; i < 10; i++)
        bytes [i] = codec_pack (&events [1][i], &sizes [i]);
    events [1][10] = events [1][8];
    events [1][10].producer_seq = 10;
    events [1][10].stream_seq = 99;
    bytes [10] = codec_pack (&events [1][10], &sizes [10]);
    Event *decoded_10 = (Event *) codec_decode (&event__descriptor, bytes [10], sizes [10]);
    events [0][10] = events [1][10];
    events [0][10].stream_seq = 0;
    Event only_payload = EVENT__INIT, only_head = events [1][8];
    only_payload.payload = events [1][8].payload;
    only_head.payload.len = 0;
    only_head.producer_seq = 11;
    size_t first_size, second_size;
    uint8_t *first = codec_pack (&only_payload, &first_size);
    uint8_t *second = codec_pack (&only_head, &second_size);
    sizes [11] = first_size + second_size;
    bytes [11] = (uint8_t *) malloc (sizes [11]);
    memcpy (bytes [11], first, first_size);
    memcpy (bytes [11] + first_size, second, second_size);
    free (first);
    free (second);
    Event *decoded_11 = (Event *) codec_decode (&event__descriptor, bytes [11], sizes [11]);
    ck_assert_ptr_nonnull (decoded_11);
    events [1][10] = *decoded_10;
    events [1][11] = *decoded_11;
    events [0][11] = *decoded_11;
    //  Move both logs' claims stream past seq 16383 first (varint sizes).
    ck_assert_int_eq (store_write (store_a, s_fill, log_a), 0);
    zlistx_t *none = s_committed (log_a);
    zlistx_destroy (&none);
    ck_assert_int_eq (store_write (store_b, s_fill, log_b), 0);
    none = s_committed (log_b);
    zlistx_destroy (&none);
    s_take_t take_a, take_b;
    zlistx_t *entries_a = s_commit (log_a, store_a, events [0], 12, &take_a);
    memset (&take_b, 0, sizeof take_b);
    take_b.log = log_b;
    take_b.events = events [1];
    take_b.count = 12;
    take_b.packed = (const uint8_t **) bytes;
    take_b.packed_sizes = sizes;
    ck_assert_int_eq (store_write (store_b, s_take, &take_b), 0);
    zlistx_t *entries_b = s_committed (log_b);
    for (size_t i = 0; i < 12; i++)
        ck_assert_int_eq (take_a.outcomes [i], take_b.outcomes [i]);
    ck_assert_int_eq (take_b.outcomes [9], EVENTLOG_DIVERGED);
    ck_assert_uint_eq (zlistx_size (entries_a), 11);
    ck_assert_uint_eq (zlistx_size (entries_b), 11);
    s_entry_t *a = (s_entry_t *) zlistx_first (entries_a);
    s_entry_t *b = (s_entry_t *) zlistx_first (entries_b);
    for (; a && b; a = zlistx_next (entries_a), b = zlistx_next (entries_b)) {
        ck_assert_uint_eq (a->seq, b->seq);
        ck_assert_uint_eq (a->size, b->size);
        ck_assert_int_eq (memcmp (a->data, b->data, a->size), 0);
        ck_assert (zframe_eq (a->frame, b->frame));
        Event *event = (Event *) codec_decode (&event__descriptor, b->data, b->size);
        ck_assert_ptr_nonnull (event);
        ck_assert_uint_eq (event->stream_seq, b->seq);
        codec_free (event);
    }
    ck_assert_uint_gt (eventlog_head (log_b, "claims"), 16384);
    ck_assert_uint_eq (eventlog_producer_acked (log_b, "p"), 11);
    ck_assert_uint_eq (eventlog_producer_epoch (log_b, "p"), B);
    s_entries_free (&entries_a);
    s_entries_free (&entries_b);
    codec_free (decoded_10);
    codec_free (decoded_11);
    for (size_t i = 0; i < 12; i++)
        free (bytes [i]);
    eventlog_destroy (&log_a);
    eventlog_destroy (&log_b);
    store_destroy (&store_a);
    store_destroy (&store_b);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  eventlog_packed_events finds each packed Event of a packed PublishBatch,
//  in order; too many, or bytes cut short, give 0.
START_TEST (test_packed_events)
{
    Event events [3], *pointers [3];
    uint8_t payload [200] = { 9 };
    for (size_t i = 0; i < 3; i++) {
        s_event (&events [i], "p", i + 1, "claims", "created", 5);
        events [i].payload.data = payload;
        events [i].payload.len = i * 90;
        pointers [i] = &events [i];
    }
    PublishBatch batch = PUBLISH_BATCH__INIT;
    batch.producer = (char *) "p";
    batch.events = pointers;
    batch.n_events = 3;
    size_t size;
    uint8_t *packed = codec_pack (&batch, &size);
    const uint8_t *found [3];
    size_t sizes [3];
    ck_assert_uint_eq (eventlog_packed_events (packed, size, found, sizes, 3), 3);
    for (size_t i = 0; i < 3; i++) {
        size_t expected_size;
        uint8_t *expected = codec_pack (&events [i], &expected_size);
        ck_assert_uint_eq (sizes [i], expected_size);
        ck_assert_int_eq (memcmp (found [i], expected, expected_size), 0);
        free (expected);
    }
    ck_assert_uint_eq (eventlog_packed_events (packed, size, found, sizes, 2), 0);
    for (size_t cut = 1; cut < 20; cut++)
        ck_assert_uint_eq (eventlog_packed_events (packed, size - cut, found, sizes, 3), 0);
    free (packed);
}
END_TEST

static void
s_assert_text_eq (const char *a, const char *b)
{
    ck_assert_ptr_nonnull (a);
    ck_assert_ptr_nonnull (b);
    ck_assert_str_eq (a, b);
}

//  What eventlog_read_batch reads from bytes is what protobuf-c unpacks
//  from them, and each event's bytes are the ones eventlog_packed_events
//  finds (or NULL when expected).
static void
s_check_read (const uint8_t *packed, size_t size, bool readable)
{
    codec_arena_t *arena = codec_arena_new ();
    arena->borrow = true;               //  as the broker's ingest reads
    const uint8_t **events = NULL;
    size_t *sizes = NULL, *offsets = NULL;
    PublishBatch *read = eventlog_read_batch (packed, size, arena, &events, &sizes, &offsets);
    PublishBatch *unpacked = (PublishBatch *) codec_decode (&publish_batch__descriptor, packed, size);
    if (!readable) {
        ck_assert_ptr_null (read);
        ck_assert_ptr_null (events);
        codec_free (unpacked);
        codec_arena_destroy (&arena);
        return;
    }
    ck_assert_ptr_nonnull (read);
    ck_assert_ptr_nonnull (unpacked);
    s_assert_text_eq (read->producer, unpacked->producer);
    ck_assert_uint_eq (read->n_events, unpacked->n_events);
    const uint8_t *found [16];
    size_t found_sizes [16];
    ck_assert_uint_eq (eventlog_packed_events (packed, size, found, found_sizes, 16), read->n_events);
    for (size_t i = 0; i < read->n_events; i++) {
        const Event *a = read->events [i], *b = unpacked->events [i];
        s_assert_text_eq (a->stream, b->stream);
        s_assert_text_eq (a->type, b->type);
        s_assert_text_eq (a->producer, b->producer);
        s_assert_text_eq (a->key, b->key);
        ck_assert_uint_eq (a->producer_seq, b->producer_seq);
        ck_assert_uint_eq (a->stream_seq, b->stream_seq);
        ck_assert_uint_eq (a->time_ms, b->time_ms);
        ck_assert_uint_eq (a->producer_epoch, b->producer_epoch);
        ck_assert_uint_eq (a->prev_epoch, b->prev_epoch);
        ck_assert_uint_eq (a->payload.len, b->payload.len);
        if (a->payload.len) {
            ck_assert_int_eq (memcmp (a->payload.data, b->payload.data, a->payload.len), 0);
            //  Borrowed: the payload is the event's own bytes, not a copy.
            ck_assert (a->payload.data > events [i] && a->payload.data + a->payload.len <= events [i] + sizes [i]);
        }
        //  Packed again, the read event gives the bytes it came from.
        size_t again_size;
        uint8_t *again = codec_pack (a, &again_size);
        ck_assert_uint_eq (again_size, sizes [i]);
        ck_assert_int_eq (memcmp (again, events [i], again_size), 0);
        free (again);
        ck_assert_ptr_eq (events [i], found [i]);
        ck_assert_uint_eq (sizes [i], found_sizes [i]);
        //  The stream seq put at its offset gives what protobuf-c packs
        //  for the event with that stream seq.
        Event with_seq = *a;
        with_seq.stream_seq = 20000;
        uint8_t *expected = codec_pack (&with_seq, &again_size);
        uint8_t spliced [1024], field [16];
        size_t field_size = codec_write_varint_field (field, 5, 20000);
        ck_assert_uint_le (offsets [i], sizes [i]);
        ck_assert_uint_le (sizes [i] + field_size, sizeof spliced);
        memcpy (spliced, events [i], offsets [i]);
        memcpy (spliced + offsets [i], field, field_size);
        memcpy (spliced + offsets [i] + field_size, events [i] + offsets [i], sizes [i] - offsets [i]);
        ck_assert_uint_eq (again_size, sizes [i] + field_size);
        ck_assert_int_eq (memcmp (spliced, expected, again_size), 0);
        free (expected);
    }
    codec_free (unpacked);
    codec_arena_destroy (&arena);
}

//  A batch packed with one event's bytes replaced by raw.
static uint8_t *
s_batch_with (const char *producer, const uint8_t *raw, size_t raw_size, size_t *size)
{
    uint8_t *out = (uint8_t *) malloc (raw_size + 64);
    size_t at = codec_write_bytes_field (out, 1, producer, strlen (producer));
    at += codec_write_bytes_field (out + at, 2, raw, raw_size);
    *size = at;
    return out;
}

START_TEST (test_read_batch)
{
    Event events [5], *pointers [5];
    uint8_t payload [300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload [i] = (uint8_t) (i * 7);
    s_event (&events [0], "claims-1", 1, "claims", "entered", 1765000000000ULL);
    events [0].payload.data = payload;
    events [0].payload.len = 300;
    events [0].producer_epoch = 0x0123456789abcdefULL;
    s_event (&events [1], "claims-1", 2, "claims", "", 0);     //  empty type, no time
    events [1].key = (char *) "";
    events [1].producer_epoch = 0x0123456789abcdefULL;
    events [1].prev_epoch = 0x0123456789abcdefULL;
    s_event (&events [2], "claims-1", 300000, "audit", "access", 1);
    events [2].payload.data = payload;
    events [2].payload.len = 1;
    events [2].prev_epoch = UINT64_MAX;
    s_event (&events [3], "claims-1", UINT64_MAX, "queue", "changed", UINT64_MAX);
    s_event (&events [4], "", 0, "", "", 0);                     //  nothing set at all
    events [4].key = (char *) "";
    for (size_t i = 0; i < 5; i++)
        pointers [i] = &events [i];
    PublishBatch batch = PUBLISH_BATCH__INIT;
    batch.producer = (char *) "claims-1";
    batch.events = pointers;
    for (size_t n = 0; n <= 5; n++) {
        batch.n_events = n;
        size_t size;
        uint8_t *packed = codec_pack (&batch, &size);
        s_check_read (packed, size, true);
        //  Cut short: read when protobuf-c unpacks it (cut between the
        //  events), not otherwise.
        for (size_t cut = 1; cut < size && cut < 60; cut++) {
            PublishBatch *unpacked = (PublishBatch *) codec_decode (&publish_batch__descriptor, packed,
                                                                     size - cut);
            s_check_read (packed, size - cut, unpacked != NULL);
            codec_free (unpacked);
        }
        free (packed);
    }
    //  No producer, and no bytes at all: read as protobuf-c unpacks them.
    batch.producer = (char *) "";
    batch.n_events = 2;
    size_t size;
    uint8_t *packed = codec_pack (&batch, &size);
    s_check_read (packed, size, true);
    free (packed);
    s_check_read ((const uint8_t *) "", 0, true);

    //  Bytes protobuf-c reads but a producer does not pack: left to it.
    size_t one_size;
    uint8_t *one = codec_pack (&events [0], &one_size);
    uint8_t raw [1024];
    //  A stream seq already there (field 5 after field 4).
    events [0].stream_seq = 9;
    size_t with_seq_size;
    uint8_t *with_seq = codec_pack (&events [0], &with_seq_size);
    events [0].stream_seq = 0;
    packed = s_batch_with ("claims-1", with_seq, with_seq_size, &size);
    s_check_read (packed, size, false);
    free (packed);
    free (with_seq);
    //  An unknown field (11) at the end.
    memcpy (raw, one, one_size);
    size_t raw_size = one_size + codec_write_varint_field (raw + one_size, 11, 5);
    packed = s_batch_with ("claims-1", raw, raw_size, &size);
    s_check_read (packed, size, false);
    free (packed);
    //  A field twice (type again at the end) and fields out of order
    //  (producer_seq before stream).
    raw_size = one_size + codec_write_bytes_field (raw + one_size, 2, "x", 1);
    memcpy (raw, one, one_size);
    packed = s_batch_with ("claims-1", raw, raw_size, &size);
    s_check_read (packed, size, false);
    free (packed);
    raw_size = codec_write_varint_field (raw, 4, 3);
    memcpy (raw + raw_size, one, one_size);
    raw_size += one_size;
    packed = s_batch_with ("claims-1", raw, raw_size, &size);
    s_check_read (packed, size, false);
    free (packed);
    //  A tag written in two bytes (stream's, 0x0a as 0x8a 0x00): protobuf-c
    //  reads it, the reader leaves it.
    raw [0] = 0x8a;
    raw [1] = 0x00;
    memcpy (raw + 2, one + 1, one_size - 1);
    packed = s_batch_with ("claims-1", raw, one_size + 1, &size);
    PublishBatch *long_tag = (PublishBatch *) codec_decode (&publish_batch__descriptor, packed, size);
    ck_assert_ptr_nonnull (long_tag);
    ck_assert_str_eq (long_tag->events [0]->stream, "claims");
    codec_free (long_tag);
    s_check_read (packed, size, false);
    free (packed);
    //  A known field with another wire type (time_ms as fixed64).
    memcpy (raw, one, one_size);
    raw_size = one_size + codec_write_tag (raw + one_size, 6, PROTOBUF_C_WIRE_TYPE_64BIT);
    memset (raw + raw_size, 0, 8);
    raw_size += 8;
    packed = s_batch_with ("claims-1", raw, raw_size, &size);
    s_check_read (packed, size, false);
    free (packed);
    //  The producer after the events, and the producer twice.
    uint8_t order [1200];
    size_t at = codec_write_bytes_field (order, 2, one, one_size);
    at += codec_write_bytes_field (order + at, 1, "claims-1", 8);
    s_check_read (order, at, false);
    at = codec_write_bytes_field (order, 1, "a", 1);
    at += codec_write_bytes_field (order + at, 1, "claims-1", 8);
    s_check_read (order, at, false);
    free (one);
}
END_TEST

Suite *
eventlog_suite (void)
{
    Suite *suite = suite_create ("eventlog");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_take_dense);
    tcase_add_test (tc, test_fetch_types);
    tcase_add_test (tc, test_duplicate_and_gap);
    tcase_add_test (tc, test_invalid_stream);
    tcase_add_test (tc, test_append_own);
    tcase_add_test (tc, test_abort);
    tcase_add_test (tc, test_map_growth_retry);
    tcase_add_test (tc, test_fetch);
    tcase_add_test (tc, test_prune);
    tcase_add_test (tc, test_epochs);
    tcase_add_test (tc, test_take_packed);
    tcase_add_test (tc, test_packed_events);
    tcase_add_test (tc, test_read_batch);
    tcase_add_test (tc, test_fanout_frame_new);
    tcase_add_test (tc, test_fanout_batch);
    suite_add_tcase (suite, tc);
    return suite;
}
