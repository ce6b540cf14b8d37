/*  test_outbox: the transactional outbox (DESIGN §2). Appends inside a
    store_write get dense producer seqs from 1 and decode back to the event
    written; an aborted write leaves no entry and burns no seq; the producer
    name survives a reopen but not a wiped store; and a write that fills
    the map and is run again after growth still yields dense seqs.

    Each test gets its own directory from test_tmpdir and removes it.
*/
#include "suites.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_tables [] = { OUTBOX_TABLES, "state", NULL };

static store_t *
s_open (const char *dir)
{
    char error [512] = "";
    store_t *store = store_new (dir, s_tables, error, sizeof error);
    ck_assert_msg (store != NULL, "store_new: %s", error);
    return store;
}

//  What one store_write appends: count events of the given payload size,
//  plus a state row, then commits or (abort) fails after appending.
typedef struct {
    outbox_t *outbox;
    size_t count;
    size_t payload_size;
    bool abort;
    int attempts;
} s_write_t;

static int
s_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_write_t *write = (s_write_t *) arg;
    write->attempts++;
    uint8_t *payload = write->payload_size? malloc (write->payload_size): NULL;
    int rc = 0;
    for (size_t i = 0; i < write->count && rc == 0; i++) {
        if (payload)
            memset (payload, (int) (i & 0xff), write->payload_size);
        char key [32];
        snprintf (key, sizeof key, "item-%zu", i);
        rc = outbox_append_raw (write->outbox, txn, "claims", "created", key,
                                payload, write->payload_size);
    }
    free (payload);
    if (rc == 0)
        rc = store_put (store, txn, "state", "last", 4, "x", 1);
    if (rc == 0 && write->abort)
        return store_fail (store, "test: aborted on purpose");
    return rc;
}

static int
s_write (outbox_t *outbox, size_t count, size_t payload_size, bool abort)
{
    s_write_t write = { outbox, count, payload_size, abort, 0 };
    return store_write (outbox_store (outbox), s_append, &write);
}

//  Reads every outbox entry; checks the key is the event's producer seq
//  and returns the keys in order (caller frees), count in *n.
static uint64_t *
s_outbox_seqs (store_t *store, size_t *n)
{
    MDB_txn *txn = store_read_begin (store);
    ck_assert_ptr_nonnull (txn);
    size_t count = (size_t) store_count (store, txn, "outbox");
    uint64_t *seqs = (uint64_t *) calloc (count + 1, sizeof (uint64_t));
    MDB_cursor *cursor;
    ck_assert_int_eq (mdb_cursor_open (txn, store_table (store, "outbox"), &cursor), 0);
    MDB_val key, value;
    *n = 0;
    int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    while (rc == 0) {
        ck_assert_uint_eq (key.mv_size, 8);
        ck_assert_uint_lt (*n, count);
        uint64_t seq = store_u64_read (key.mv_data);
        Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        ck_assert_ptr_nonnull (event);
        ck_assert_uint_eq (event->producer_seq, seq);
        codec_free (event);
        seqs [(*n)++] = seq;
        rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    ck_assert_int_eq (rc, MDB_NOTFOUND);
    mdb_cursor_close (cursor);
    store_read_end (&txn);
    return seqs;
}

//  The decoded event at producer seq, or NULL.
static Event *
s_entry (store_t *store, uint64_t seq)
{
    MDB_txn *txn = store_read_begin (store);
    ck_assert_ptr_nonnull (txn);
    uint8_t key [8];
    store_u64_write (key, seq);
    MDB_val value;
    Event *event = NULL;
    if (store_get (store, txn, "outbox", key, 8, &value) == 0) {
        event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        ck_assert_ptr_nonnull (event);
    }
    store_read_end (&txn);
    return event;
}

static void
s_assert_dense (store_t *store, uint64_t from, uint64_t to)
{
    size_t n;
    uint64_t *seqs = s_outbox_seqs (store, &n);
    ck_assert_uint_eq (n, to - from + 1);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq (seqs [i], from + i);
    free (seqs);
}

START_TEST (test_dense_seqs)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "claims");
    ck_assert_ptr_nonnull (outbox);
    ck_assert_ptr_eq (outbox_store (outbox), store);
    ck_assert_uint_eq (outbox_depth (outbox), 0);
    ck_assert_uint_eq (outbox_next_seq (outbox), 1);

    ck_assert_int_eq (s_write (outbox, 3, 10, false), 0);
    s_assert_dense (store, 1, 3);
    ck_assert_uint_eq (outbox_depth (outbox), 3);
    ck_assert_uint_eq (outbox_next_seq (outbox), 4);

    ck_assert_int_eq (s_write (outbox, 1, 0, false), 0);
    ck_assert_int_eq (s_write (outbox, 5, 100, false), 0);
    s_assert_dense (store, 1, 9);
    ck_assert_uint_eq (outbox_depth (outbox), 9);
    ck_assert_uint_eq (outbox_next_seq (outbox), 10);
    outbox_destroy (&outbox);
    ck_assert_ptr_null (outbox);
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

typedef struct {
    outbox_t *outbox;
} s_mixed_t;

//  One event with a protobuf payload, one raw, one with no key and no payload.
static int
s_append_mixed (store_t *store, MDB_txn *txn, void *arg)
{
    outbox_t *outbox = ((s_mixed_t *) arg)->outbox;
    StreamHead head = STREAM_HEAD__INIT;
    head.stream = "claims";
    head.head_seq = 42;
    int rc = outbox_append (outbox, txn, "claims", "denied", "CLM-1", &head);
    if (rc == 0)
        rc = outbox_append_raw (outbox, txn, "intake", "batch_received", "B-7",
                                (const uint8_t *) "raw\0bytes", 9);
    if (rc == 0)
        rc = outbox_append (outbox, txn, "queue", "phase_changed", NULL, NULL);
    return rc;
}

START_TEST (test_decode)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "claims");
    ck_assert_ptr_nonnull (outbox);
    const char *producer = outbox_producer (outbox);
    ck_assert_str_ne (producer, "claims");
    ck_assert_int_eq (strncmp (producer, "claims-", 7), 0);

    s_mixed_t mixed = { outbox };
    ck_assert_int_eq (store_write (store, s_append_mixed, &mixed), 0);

    Event *event = s_entry (store, 1);
    ck_assert_ptr_nonnull (event);
    ck_assert_str_eq (event->stream, "claims");
    ck_assert_str_eq (event->type, "denied");
    ck_assert_str_eq (event->key, "CLM-1");
    ck_assert_str_eq (event->producer, producer);
    ck_assert_uint_eq (event->producer_seq, 1);
    ck_assert_uint_eq (event->stream_seq, 0);       //  the broker sets it
    ck_assert_uint_gt (event->time_ms, 1500000000000ULL);
    StreamHead *head = (StreamHead *) codec_decode (&stream_head__descriptor,
                                                    event->payload.data, event->payload.len);
    ck_assert_ptr_nonnull (head);
    ck_assert_str_eq (head->stream, "claims");
    ck_assert_uint_eq (head->head_seq, 42);
    codec_free (head);
    codec_free (event);

    event = s_entry (store, 2);
    ck_assert_ptr_nonnull (event);
    ck_assert_str_eq (event->stream, "intake");
    ck_assert_str_eq (event->type, "batch_received");
    ck_assert_str_eq (event->key, "B-7");
    ck_assert_str_eq (event->producer, producer);
    ck_assert_uint_eq (event->producer_seq, 2);
    ck_assert_uint_eq (event->payload.len, 9);
    ck_assert_mem_eq (event->payload.data, "raw\0bytes", 9);
    codec_free (event);

    event = s_entry (store, 3);
    ck_assert_ptr_nonnull (event);
    ck_assert_str_eq (event->stream, "queue");
    ck_assert_str_eq (event->type, "phase_changed");
    ck_assert_str_eq (event->key, "");
    ck_assert_uint_eq (event->producer_seq, 3);
    ck_assert_uint_eq (event->payload.len, 0);
    codec_free (event);

    ck_assert_ptr_null (s_entry (store, 4));
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  The outbox writes an Event's bytes by hand (outbox.c): they must be the
//  bytes protobuf-c packs from the same Event, whatever is present or
//  absent (empty key, no payload, a message payload, a key longer than the
//  writer's stack buffer, a payload over LMDB's node size), since the
//  broker splices the stream seq into them.
typedef struct {
    outbox_t *outbox;
    char *long_key;
    uint8_t *big;
} s_wire_t;

static int
s_append_wire (store_t *store, MDB_txn *txn, void *arg)
{
    s_wire_t *wire = (s_wire_t *) arg;
    StreamHead head = STREAM_HEAD__INIT;
    head.stream = "claims";
    head.head_seq = 300;
    StreamHead empty = STREAM_HEAD__INIT;       //  packs to nothing
    int rc = outbox_append (wire->outbox, txn, "claims", "denied", "CLM-1", &head);
    if (rc == 0)
        rc = outbox_append_raw (wire->outbox, txn, "intake", "batch_received", NULL, NULL, 0);
    if (rc == 0)
        rc = outbox_append_raw (wire->outbox, txn, "intake", "raw", "", (const uint8_t *) "x", 1);
    if (rc == 0)
        rc = outbox_append (wire->outbox, txn, "queue", "changed", wire->long_key, &empty);
    if (rc == 0)
        rc = outbox_append_raw (wire->outbox, txn, "claims", "big", "K", wire->big, 70000);
    if (rc == 0)
        rc = outbox_append (wire->outbox, txn, "claims", "no_payload", "K2", NULL);
    return rc;
}

START_TEST (test_wire_bytes)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "claims");
    ck_assert_ptr_nonnull (outbox);
    s_wire_t wire = { outbox, (char *) malloc (3001), (uint8_t *) malloc (70000) };
    memset (wire.long_key, 'k', 3000);
    wire.long_key [3000] = 0;
    for (size_t i = 0; i < 70000; i++)
        wire.big [i] = (uint8_t) (i * 7);
    ck_assert_int_eq (store_write (store, s_append_wire, &wire), 0);

    const size_t payloads [] = { 11, 0, 1, 0, 70000, 0 };
    MDB_txn *txn = store_read_begin (store);
    ck_assert_ptr_nonnull (txn);
    for (uint64_t seq = 1; seq <= 6; seq++) {
        uint8_t key [8];
        store_u64_write (key, seq);
        MDB_val value;
        ck_assert_int_eq (store_get (store, txn, "outbox", key, 8, &value), 0);
        Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        ck_assert_ptr_nonnull (event);
        ck_assert_uint_eq (event->producer_seq, seq);
        ck_assert_uint_eq (event->producer_epoch, outbox_epoch (outbox));
        ck_assert_uint_eq (event->prev_epoch, seq == 1? 0: outbox_epoch (outbox));
        ck_assert_uint_eq (event->payload.len, payloads [seq - 1]);
        size_t size;
        uint8_t *again = codec_pack (event, &size);
        ck_assert_uint_eq (size, value.mv_size);
        ck_assert_mem_eq (again, value.mv_data, size);
        if (seq == 4)
            ck_assert_str_eq (event->key, wire.long_key);
        if (seq == 5)
            ck_assert_mem_eq (event->payload.data, wire.big, 70000);
        free (again);
        codec_free (event);
    }
    store_read_end (&txn);
    free (wire.long_key);
    free (wire.big);
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_abort)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "denials");
    ck_assert_ptr_nonnull (outbox);

    //  Aborted before anything was ever committed.
    ck_assert_int_eq (s_write (outbox, 2, 10, true), -1);
    ck_assert_str_eq (store_error (store), "test: aborted on purpose");
    ck_assert_uint_eq (outbox_depth (outbox), 0);
    ck_assert_uint_eq (outbox_next_seq (outbox), 1);
    ck_assert_ptr_null (s_entry (store, 1));

    ck_assert_int_eq (s_write (outbox, 2, 10, false), 0);
    s_assert_dense (store, 1, 2);
    //  Aborted after commits: still nothing, and no seq consumed.
    ck_assert_int_eq (s_write (outbox, 3, 10, true), -1);
    ck_assert_uint_eq (outbox_depth (outbox), 2);
    ck_assert_uint_eq (outbox_next_seq (outbox), 3);
    ck_assert_ptr_null (s_entry (store, 3));
    ck_assert_int_eq (s_write (outbox, 1, 10, false), 0);
    s_assert_dense (store, 1, 3);
    ck_assert_uint_eq (outbox_next_seq (outbox), 4);
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_producer_identity)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "intake");
    ck_assert_ptr_nonnull (outbox);
    char first [96];
    snprintf (first, sizeof first, "%s", outbox_producer (outbox));
    ck_assert_int_eq (strncmp (first, "intake-", 7), 0);
    ck_assert_uint_gt (strlen (first), 7);
    ck_assert_int_eq (s_write (outbox, 2, 0, false), 0);
    outbox_destroy (&outbox);

    //  A second outbox on the same store is the same producer.
    outbox = outbox_new (store, "intake");
    ck_assert_str_eq (outbox_producer (outbox), first);
    outbox_destroy (&outbox);
    store_destroy (&store);

    //  So is one on the reopened store, and it goes on from the next seq.
    store = s_open (dir);
    outbox = outbox_new (store, "intake");
    ck_assert_str_eq (outbox_producer (outbox), first);
    ck_assert_uint_eq (outbox_next_seq (outbox), 3);
    ck_assert_uint_eq (outbox_depth (outbox), 2);
    outbox_destroy (&outbox);
    store_destroy (&store);

    //  A wiped and recreated store is a new producer, starting from 1.
    test_rmtree (dir);
    store = s_open (dir);
    outbox = outbox_new (store, "intake");
    ck_assert_int_eq (strncmp (outbox_producer (outbox), "intake-", 7), 0);
    ck_assert_str_ne (outbox_producer (outbox), first);
    ck_assert_uint_eq (outbox_next_seq (outbox), 1);
    ck_assert_uint_eq (outbox_depth (outbox), 0);
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

static int
s_ack (store_t *store, MDB_txn *txn, void *arg)
{
    //  What the relay does when the broker acked seq 1 and 2.
    for (uint64_t seq = 1; seq <= 2; seq++) {
        uint8_t key [8];
        store_u64_write (key, seq);
        int rc = store_del (store, txn, "outbox", key, 8);
        if (rc)
            return rc;
    }
    return 0;
}

START_TEST (test_depth_next_seq)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "audit");
    ck_assert_int_eq (s_write (outbox, 4, 8, false), 0);
    ck_assert_uint_eq (outbox_depth (outbox), 4);
    ck_assert_uint_eq (outbox_next_seq (outbox), 5);
    //  Acknowledged entries leave; the sequence does not go back.
    ck_assert_int_eq (store_write (store, s_ack, NULL), 0);
    ck_assert_uint_eq (outbox_depth (outbox), 2);
    ck_assert_uint_eq (outbox_next_seq (outbox), 5);
    ck_assert_int_eq (s_write (outbox, 1, 8, false), 0);
    s_assert_dense (store, 3, 5);
    ck_assert_uint_eq (outbox_next_seq (outbox), 6);
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

START_TEST (test_map_growth)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "claims");
    ck_assert_ptr_nonnull (outbox);
    ck_assert_int_eq (store_set_map_size (store, 256 << 10), 0);
    size_t small = store_map_size (store);

    //  Writes of several 48 KiB events each: the map fills in the middle
    //  of a transaction that has already appended, and it runs again.
    size_t total = 0;
    int retried = 0;
    for (int round = 0; round < 8; round++) {
        s_write_t write = { outbox, 6, 48 << 10, false, 0 };
        ck_assert_msg (store_write (store, s_append, &write) == 0,
                       "store_write: %s", store_error (store));
        if (write.attempts > 1)
            retried++;
        total += write.count;
    }
    ck_assert_int_gt (retried, 0);
    ck_assert_uint_gt (store_map_size (store), small);
    s_assert_dense (store, 1, total);
    ck_assert_uint_eq (outbox_depth (outbox), total);
    ck_assert_uint_eq (outbox_next_seq (outbox), total + 1);
    //  The payloads are the ones written, event by event.
    for (uint64_t seq = 1; seq <= total; seq++) {
        Event *event = s_entry (store, seq);
        ck_assert_ptr_nonnull (event);
        ck_assert_uint_eq (event->payload.len, 48 << 10);
        ck_assert_uint_eq (event->payload.data [100], (seq - 1) % 6);
        codec_free (event);
    }
    outbox_destroy (&outbox);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  Epochs (docs/adr/0007): every open draws a new one, each event carries
//  it and the epoch of the event before it, across reopens and aborted
//  writes, so the broker can tell a restored copy from the original.
START_TEST (test_epochs)
{
    char *dir = test_tmpdir ("outbox");
    store_t *store = s_open (dir);
    outbox_t *outbox = outbox_new (store, "claims");
    uint64_t first = outbox_epoch (outbox);
    ck_assert_uint_ne (first, 0);
    ck_assert_int_eq (s_write (outbox, 2, 0, false), 0);
    outbox_destroy (&outbox);

    //  A copy of the store taken now (closed), for the restore below.
    store_destroy (&store);
    char *copy = test_tmpdir ("outbox-copy");
    char command [1024];
    snprintf (command, sizeof command, "cp '%s/data.mdb' '%s/data.mdb'", dir, copy);
    ck_assert_int_eq (system (command), 0);
    store = s_open (dir);

    outbox = outbox_new (store, "claims");
    uint64_t second = outbox_epoch (outbox);
    ck_assert_uint_ne (second, first);
    ck_assert_int_ne (s_write (outbox, 1, 0, true), 0);     //  aborted
    ck_assert_int_eq (s_write (outbox, 2, 0, false), 0);
    const char *producer = strdup (outbox_producer (outbox));
    outbox_destroy (&outbox);
    uint64_t expect [5][2] = { { first, 0 }, { first, first }, { second, first },
                               { second, second } };
    for (uint64_t seq = 1; seq <= 4; seq++) {
        Event *event = s_entry (store, seq);
        ck_assert_ptr_nonnull (event);
        ck_assert_uint_eq (event->producer_epoch, expect [seq - 1][0]);
        ck_assert_uint_eq (event->prev_epoch, expect [seq - 1][1]);
        codec_free (event);
    }
    store_destroy (&store);

    //  The copy put back: same producer name, but a third epoch, and its
    //  next event (seq 3 again) follows the first epoch, not the second.
    store = s_open (copy);
    outbox = outbox_new (store, "claims");
    ck_assert_str_eq (outbox_producer (outbox), producer);
    uint64_t third = outbox_epoch (outbox);
    ck_assert_uint_ne (third, first);
    ck_assert_uint_ne (third, second);
    ck_assert_int_eq (s_write (outbox, 1, 0, false), 0);
    Event *event = s_entry (store, 3);
    ck_assert_ptr_nonnull (event);
    ck_assert_uint_eq (event->producer_epoch, third);
    ck_assert_uint_eq (event->prev_epoch, first);
    codec_free (event);
    outbox_destroy (&outbox);
    store_destroy (&store);
    free ((char *) producer);
    test_rmtree (copy);
    free (copy);
    test_rmtree (dir);
    free (dir);
}
END_TEST

Suite *
outbox_suite (void)
{
    Suite *suite = suite_create ("outbox");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_dense_seqs);
    tcase_add_test (tc, test_decode);
    tcase_add_test (tc, test_wire_bytes);
    tcase_add_test (tc, test_abort);
    tcase_add_test (tc, test_producer_identity);
    tcase_add_test (tc, test_depth_next_seq);
    tcase_add_test (tc, test_map_growth);
    tcase_add_test (tc, test_epochs);
    suite_add_tcase (suite, tc);
    return suite;
}
