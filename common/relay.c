/*  relay: see relay.h.

    State: acked (highest seq the broker confirmed), sent (highest seq put on
    the wire). Sending reads outbox entries after `sent`, at most WINDOW past
    `acked`, BATCH per message. An ack moves `acked` forward; an ack that
    stops short of its batch means
    the broker refused the rest (it only takes seq acked+1 next), so `sent`
    falls back to `acked` and we resend. When events are out and neither a
    send nor an ack that moved `acked` happened for RELAY_RESEND_MS, they
    are taken as lost (a broker that died holding them) and resent too:
    acks of idle pings do not count, since a restarted broker answers
    those while the events it lost will never be acked.

    The acked entries (after `deleted`, up to `acked`) are deleted inside
    the service's next write transaction, whatever it is (a hook on the
    store: store_on_write), so they cost no commit of their own: with
    claims' writable map a commit is two msyncs, and a delete per ack was
    most of claims' commits between its requests (docs/adr/0074). Only when
    no write came for RELAY_DELETE_WAIT_MS, or RELAY_DELETE_MAX wait, or
    the relay flushes, does it commit them alone. A crash before they are
    deleted only resends them: relay_new starts after the last entry
    deleted, and the broker drops what it has as duplicates.

    Acks are also checked against the outbox (docs/adr/0007): an ack below
    `acked` means the broker lost events it had committed (its store is
    older than ours), an ack above our last written seq means our store is
    older than the broker's, and a refused ack means the broker found our
    events contradict its log. Each is a store restored from an older copy
    on one side; resending cannot fix it and carrying on would lose or
    duplicate events, so the relay stops sending, raises a problem naming
    both numbers and logs it once. It stays stopped until the process is
    restarted after the operator's recovery (docs/operations.md).
*/
#include "relay.h"
#include "clock.h"
#include "log.h"
#include "transport.h"

#include <inttypes.h>
#include <stdarg.h>

#define RELAY_BATCH         500
#define RELAY_WINDOW        20000
#define RELAY_RESEND_MS     2000
#define RELAY_TICK_MS       20
#define RELAY_CONNECTED_MS  5000
#define RELAY_PING_MS       1000
#define RELAY_DELETE_WAIT_MS 40     //  acked entries wait this long for a write
#define RELAY_DELETE_MAX    2000    //  or until this many wait

struct _relay_t {
    outbox_t *outbox;
    store_t *store;
    zsock_t *socket;
    uint64_t acked;
    uint64_t sent;
    uint64_t last_ack_at;       //  monotonic ms
    uint64_t last_progress_at;  //  of an ack that moved `acked`
    uint64_t last_send_at;      //  of events
    uint64_t last_ping_at;
    uint64_t resent_from;       //  acked + 1 when we last fell back (0: never)
    uint64_t deleted;           //  entries up to here are gone from the outbox
    uint64_t deleting;          //  up to here in the write now open (hook)
    uint64_t acked_at;          //  when entries after `deleted` were first acked
    uint64_t delete_wait_ms;
    uint64_t delete_max;
    uint64_t delete_commits;    //  writes the relay committed for its deletes alone
    uint64_t delete_shared;     //  writes of the service's that took some along
    uint64_t acks_moved;        //  acks that moved `acked` (a delete each before ADR 0074)
    bool stopped;               //  an ack contradicted the outbox: send no more
    problems_t *problems;
};

//  The store's hook, in every write transaction: deletes the entries
//  acked since the last delete. They are the first ones of the table, in
//  order: one cursor walks and deletes them, rather than a search from the
//  root for each (a third of the relay's cost in claims).
static int
s_delete_acked (store_t *store, MDB_txn *txn, void *arg)
{
    relay_t *self = (relay_t *) arg;
    self->deleting = self->deleted;
    if (self->acked <= self->deleted)
        return 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, "outbox"), &cursor);
    if (rc)
        return rc;
    uint8_t from [8];
    store_u64_write (from, self->deleted + 1);
    MDB_val key = { 8, from }, value;
    rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE);
    while (rc == 0 && key.mv_size == 8 && store_u64_read (key.mv_data) <= self->acked) {
        rc = mdb_cursor_del (cursor, 0);
        //  After a delete the cursor's next is the entry that followed.
        if (rc == 0)
            rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    if (rc && rc != MDB_NOTFOUND) {
        if (rc != MDB_MAP_FULL)
            log_error ("cannot delete acked outbox entries", "error", json_string (mdb_strerror (rc)), NULL);
        return rc;
    }
    self->deleting = self->acked;
    return 0;
}

//  The write that ran s_delete_acked committed.
static void
s_deleted (store_t *store, void *arg)
{
    relay_t *self = (relay_t *) arg;
    if (self->deleting > self->deleted) {
        self->deleted = self->deleting;
        self->delete_shared++;
    }
}

static int
s_nothing (store_t *store, MDB_txn *txn, void *arg)
{
    return 0;
}

//  Deletes the acked entries in a write of their own, now.
static void
s_delete_now (relay_t *self)
{
    if (self->acked <= self->deleted)
        return;
    //  The hook does the deleting (and logs when it cannot).
    if (store_write (self->store, s_nothing, NULL))
        log_error ("cannot delete acked outbox entries", "error", json_string (store_error (self->store)), NULL);
    else
    if (self->deleted == self->acked) {
        self->delete_commits++;
        self->delete_shared--;
    }
}

relay_t *
relay_new (outbox_t *outbox, const char *endpoint, const char *broker_key, zcert_t *cert)
{
    //  Everything still in the outbox is unsent as far as we know.
    uint64_t next, depth;
    if (outbox_position (outbox, &next, &depth))
        return NULL;
    relay_t *self = (relay_t *) zmalloc (sizeof (relay_t));
    self->outbox = outbox;
    self->store = outbox_store (outbox);
    self->problems = problems_new ();
    self->socket = zsock_new (ZMQ_DEALER);
    transport_curve_client (self->socket, cert, broker_key);
    zsock_set_sndhwm (self->socket, 0);
    zsock_set_linger (self->socket, 0);
    if (zsock_connect (self->socket, "%s", endpoint)) {
        zsock_destroy (&self->socket);
        free (self);
        return NULL;
    }
    self->acked = self->sent = self->deleted = next - 1 - depth;
    self->delete_wait_ms = RELAY_DELETE_WAIT_MS;
    self->delete_max = RELAY_DELETE_MAX;
    store_on_write (self->store, s_delete_acked, s_deleted, self);
    return self;
}

void
relay_destroy (relay_t **self_p)
{
    assert (self_p);
    relay_t *self = *self_p;
    if (!self)
        return;
    store_on_write (self->store, NULL, NULL, NULL);
    log_info ("relay: acked outbox entries deleted", "acked", json_integer ((json_int_t) self->acked),
              "deleted", json_integer ((json_int_t) self->deleted),
              "writes_alone", json_integer ((json_int_t) self->delete_commits),
              "writes_shared", json_integer ((json_int_t) self->delete_shared),
              "acks", json_integer ((json_int_t) self->acks_moved), NULL);
    zsock_destroy (&self->socket);
    problems_destroy (&self->problems);
    free (self);
    *self_p = NULL;
}

//  Sends batches of outbox entries after `sent` until the window is full.
static void
s_send_pending (relay_t *self)
{
    while (!self->stopped && self->sent < self->acked + RELAY_WINDOW) {
        MDB_txn *txn = store_read_begin (self->store);
        if (!txn)
            return;
        MDB_cursor *cursor;
        mdb_cursor_open (txn, store_table (self->store, "outbox"), &cursor);
        uint8_t start [8];
        store_u64_write (start, self->sent + 1);
        MDB_val key = { 8, start }, value;
        //  The batch is built on the wire: PublishBatch.producer (field 1)
        //  then each outbox entry, already a packed Event, as field 2.
        uint8_t *packed = NULL;
        size_t length = 0, capacity = 0, count = 0;
        const char *producer = outbox_producer (self->outbox);
        codec_append_field (&packed, &length, &capacity, 1, producer, strlen (producer));
        int rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE);
        uint64_t last = self->sent;
        while (rc == 0 && count < RELAY_BATCH) {
            uint64_t seq = store_u64_read (key.mv_data);
            //  A hole means we are out of step with the table: stop and
            //  let the broker's ack tell us where it is.
            if (seq != last + 1)
                break;
            codec_append_field (&packed, &length, &capacity, 2, value.mv_data, value.mv_size);
            count++;
            last = seq;
            rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
        }
        mdb_cursor_close (cursor);
        store_read_end (&txn);
        if (count == 0) {
            free (packed);
            return;
        }
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "PUBLISH");
        zmsg_addmem (msg, packed, length);
        free (packed);
        if (zmsg_send (&msg, self->socket)) {
            zmsg_destroy (&msg);
            return;
        }
        self->sent = last;
        self->last_send_at = clock_monotonic_ms ();
    }
}

static void
s_stop (relay_t *self, const char *code, uint64_t seq, const char *format, ...)
{
    char message [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    self->stopped = true;
    if (problems_raise (self->problems, code, outbox_producer (self->outbox), seq, "%s", message))
        log_error ("relay stopped: the broker's log and this outbox disagree", "code", json_string (code),
                   "producer", json_string (outbox_producer (self->outbox)),
                   "message", json_string (message), NULL);
}

//  The checks of docs/adr/0007: true when the ack may be acted on.
static bool
s_ack_agrees (relay_t *self, PublishAck *ack)
{
    const char *producer = outbox_producer (self->outbox);
    if (ack->refused) {
        s_stop (self, "broker_refused_events", ack->refused_seq,
                "the broker refused seq %" PRIu64 " of %s: %s",
                ack->refused_seq, producer, ack->reason? ack->reason: "");
        return false;
    }
    if (ack->acked_seq < self->acked) {
        s_stop (self, "broker_lost_acked_events", ack->acked_seq,
                "the broker now acks %s up to seq %" PRIu64 " but had acked up to %" PRIu64
                ": the broker's store is older than this producer's (restored from a copy?);"
                " events %" PRIu64 "..%" PRIu64 " are no longer in its log",
                producer, ack->acked_seq, self->acked, ack->acked_seq + 1, self->acked);
        return false;
    }
    if (ack->acked_seq > self->acked) {
        uint64_t next, depth;
        if (outbox_position (self->outbox, &next, &depth) == 0 && ack->acked_seq > next - 1) {
            s_stop (self, "outbox_behind_broker", ack->acked_seq,
                    "the broker has logged %s up to seq %" PRIu64 " but this store's outbox ends at seq %" PRIu64
                    ": this store is older than the broker's (restored from a copy?);"
                    " its new events would re-use numbers the broker already logged",
                    producer, ack->acked_seq, next - 1);
            return false;
        }
    }
    return true;
}

static void
s_on_ack (relay_t *self, PublishAck *ack)
{
    self->last_ack_at = clock_monotonic_ms ();
    if (self->stopped || !s_ack_agrees (self, ack))
        return;
    if (ack->acked_seq > self->acked) {
        if (self->acked == self->deleted)
            self->acked_at = self->last_ack_at;
        self->acked = ack->acked_seq;
        self->acks_moved++;
        self->last_progress_at = self->last_ack_at;
        if (self->sent < self->acked)
            self->sent = self->acked;
        if (self->acked - self->deleted >= self->delete_max)
            s_delete_now (self);
    }
    //  The broker took less than this batch: resend from what it has. Only
    //  once per point, and only for an ack that is current: batches sent
    //  before we fell back (after a broker restart, up to a window of them)
    //  are all refused the same way, and each would otherwise send the
    //  whole window again. The resent batches follow them on the same
    //  connection; if they are lost as well, the resend timer catches it.
    if (ack->acked_seq < ack->batch_last_seq && ack->acked_seq == self->acked
    &&  self->sent > self->acked && self->resent_from != self->acked + 1) {
        self->sent = self->acked;
        self->resent_from = self->acked + 1;
    }
}

static int
s_on_input (zloop_t *loop, zsock_t *socket, void *arg)
{
    relay_t *self = (relay_t *) arg;
    zmsg_t *msg = zmsg_recv (socket);
    if (!msg)
        return 0;
    char *command = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    if (command && streq (command, "ACK")) {
        PublishAck *ack = (PublishAck *) codec_decode_frame (&publish_ack__descriptor, body);
        if (ack) {
            s_on_ack (self, ack);
            codec_free (ack);
        }
    }
    else
    if (command && streq (command, "REFUSED")) {
        //  The broker will not take this key's events at all (a producer
        //  name or stream the key may not write): resending cannot help,
        //  so stop, keep them in the outbox and say why until fixed.
        char *reason = body? zframe_strdup (body): NULL;
        s_stop (self, "broker_refused_publisher", self->sent,
                "the broker refused this service's events: %s (a service key publishes only "
                "its own streams; see producers/<key name> in docs/configuration.md)",
                reason? reason: "no reason given");
        free (reason);
    }
    free (command);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    s_send_pending (self);
    return 0;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    relay_t *self = (relay_t *) arg;
    uint64_t now = clock_monotonic_ms ();
    if (self->acked > self->deleted && now - self->acked_at >= self->delete_wait_ms)
        s_delete_now (self);
    if (!self->stopped && self->sent > self->acked && now - self->last_send_at > RELAY_RESEND_MS
    &&  now - self->last_progress_at > RELAY_RESEND_MS) {
        self->sent = self->acked;
        self->resent_from = self->acked + 1;
    }
    s_send_pending (self);
    //  When idle, an empty batch asks the broker where we stand: it keeps
    //  relay_connected true and lets acks that were lost catch up.
    if (now - self->last_send_at > RELAY_PING_MS && now - self->last_ping_at > RELAY_PING_MS) {
        PublishBatch batch = PUBLISH_BATCH__INIT;
        batch.producer = (char *) outbox_producer (self->outbox);
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "PUBLISH");
        zframe_t *frame = codec_encode (&batch);
        zmsg_append (msg, &frame);
        if (zmsg_send (&msg, self->socket) == 0)
            self->last_ping_at = now;
        zmsg_destroy (&msg);
    }
    return 0;
}

int
relay_attach (relay_t *self, zloop_t *loop)
{
    if (zloop_reader (loop, self->socket, s_on_input, self))
        return -1;
    return zloop_timer (loop, RELAY_TICK_MS, 0, s_on_tick, self) < 0? -1: 0;
}

void
relay_kick (relay_t *self)
{
    s_send_pending (self);
}

int
relay_flush (relay_t *self, int timeout_ms)
{
    uint64_t deadline = clock_monotonic_ms () + (uint64_t) timeout_ms;
    s_delete_now (self);
    while (!self->stopped && outbox_depth (self->outbox) > 0) {
        uint64_t now = clock_monotonic_ms ();
        if (now >= deadline)
            return -1;
        s_on_tick (NULL, 0, self);
        zpoller_t *poller = zpoller_new (self->socket, NULL);
        //  We flush because SIGTERM came: czmq's poller would return at
        //  once on an interrupted process and we would never read the acks.
        zpoller_set_nonstop (poller, true);
        if (zpoller_wait (poller, (int) (deadline - now > 100? 100: deadline - now)) == self->socket)
            s_on_input (NULL, self->socket, self);
        zpoller_destroy (&poller);
        s_delete_now (self);
    }
    return self->stopped? -1: 0;
}

bool
relay_connected (relay_t *self)
{
    return self->last_ack_at && clock_monotonic_ms () - self->last_ack_at < RELAY_CONNECTED_MS;
}

uint64_t
relay_acked_seq (relay_t *self)
{
    return self->acked;
}

bool
relay_stopped (relay_t *self)
{
    return self->stopped;
}

problems_t *
relay_problems (relay_t *self)
{
    return self->problems;
}

void
relay_set_delete_wait (relay_t *self, uint64_t wait_ms, uint64_t max)
{
    self->delete_wait_ms = wait_ms;
    self->delete_max = max;
}

uint64_t
relay_deleted_seq (relay_t *self)
{
    return self->deleted;
}

uint64_t
relay_delete_commits (relay_t *self)
{
    return self->delete_commits;
}
