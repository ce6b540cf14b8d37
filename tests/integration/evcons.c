/*  evcons: a test consumer for the event integration test.

        evcons --config FILE --name NAME --data DIR --streams alpha[,beta]
               [--expect alpha=N[,beta=M]] [--progress FILE]
        evcons --report DIR

    Opens its own store at DIR (the consumer's "offsets" table and our own
    "applied") and applies the given streams with consumer.h, connected to
    the broker's fanout and replay sockets as keys/dir/secret/NAME.

    Applying an event extends two records in "applied", in the SAME write
    transaction that moves the consumer's offset, which is the point: if
    the consumer applied an event twice or skipped one, no crash could hide
    it, the records would show it.
        s:<stream>             count, last stream seq, violations (a stream
                               seq that is not last + 1), and the stream
                               hash chain (evcheck.h) in the broker's order
        p:<stream>:<producer>  count, last producer seq, violations (a
                               producer seq not above the last), and the
                               producer hash chain
        bad_payload            events whose payload is not what evcheck
                               generates for their producer and seq
    It runs until killed, or until every stream in --expect has reached its
    count, then exits 0. --progress FILE is rewritten every 100 ms with one
    "<stream> <offset>" line per stream. --report DIR prints the records
    and offsets as one JSON object.
*/
#include "config.h"
#include "consumer.h"
#include "evcheck.h"
#include "log.h"
#include "clock.h"
#include "transport.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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


#define EVCONS_MAX_STREAMS  8
#define EVCONS_TICK_MS      100

static const char *s_tables [] = { CONSUMER_TABLES, "applied", NULL };

typedef struct {
    consumer_t *consumer;
    const char *progress;
    char *streams [EVCONS_MAX_STREAMS + 1];
    uint64_t expect [EVCONS_MAX_STREAMS];
    bool expecting;
    bool done;
} evcons_t;

static int
s_get_chain (store_t *store, MDB_txn *txn, const char *key, evcheck_chain_t *chain)
{
    MDB_val value;
    int rc = store_get (store, txn, "applied", key, strlen (key), &value);
    if (rc == MDB_NOTFOUND) {
        memset (chain, 0, sizeof *chain);
        return 0;
    }
    if (rc)
        return rc;
    return evcheck_chain_decode (chain, value.mv_data, value.mv_size)
        ? store_fail (store, "record %s is corrupt", key): 0;
}

static int
s_put_chain (store_t *store, MDB_txn *txn, const char *key, const evcheck_chain_t *chain)
{
    uint8_t buf [EVCHECK_CHAIN_BYTES];
    evcheck_chain_encode (chain, buf);
    return store_put (store, txn, "applied", key, strlen (key), buf, sizeof buf);
}

//  The consumer's apply function: everything it touches is in txn.
static int
s_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    const char *producer = event->producer? event->producer: "";
    char key [512];
    evcheck_chain_t chain;

    snprintf (key, sizeof key, "s:%s", event->stream);
    int rc = s_get_chain (store, txn, key, &chain);
    if (rc)
        return rc;
    if (event->stream_seq != chain.last + 1)
        chain.violations++;
    chain.count++;
    chain.last = event->stream_seq;
    evcheck_stream_step (chain.hash, event->stream_seq, producer, event->producer_seq,
                         event->payload.data, event->payload.len);
    if ((rc = s_put_chain (store, txn, key, &chain)))
        return rc;

    snprintf (key, sizeof key, "p:%s:%s", event->stream, producer);
    if ((rc = s_get_chain (store, txn, key, &chain)))
        return rc;
    if (event->producer_seq <= chain.last)
        chain.violations++;
    chain.count++;
    chain.last = event->producer_seq;
    evcheck_producer_step (chain.hash, event->producer_seq, event->payload.data, event->payload.len);
    if ((rc = s_put_chain (store, txn, key, &chain)))
        return rc;

    char name [96];
    evcheck_logical_name (producer, name, sizeof name);
    uint8_t expected [EVCHECK_PAYLOAD_MAX];
    size_t size = evcheck_payload (name, event->producer_seq, expected);
    if (size != event->payload.len || memcmp (expected, event->payload.data, size))
        rc = store_put_u64 (store, txn, "applied", "bad_payload",
                            s_stored_u64 (store, txn, "applied", "bad_payload") + 1);
    return rc;
}

static void
s_write_progress (evcons_t *self)
{
    if (!self->progress)
        return;
    char temp [4096];
    snprintf (temp, sizeof temp, "%s.tmp", self->progress);
    FILE *file = fopen (temp, "w");
    if (!file)
        return;
    for (size_t i = 0; self->streams [i]; i++)
        fprintf (file, "%s %llu\n", self->streams [i],
                 (unsigned long long) consumer_offset (self->consumer, self->streams [i]));
    fclose (file);
    rename (temp, self->progress);
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    evcons_t *self = (evcons_t *) arg;
    s_write_progress (self);
    if (!self->expecting)
        return 0;
    for (size_t i = 0; self->streams [i]; i++)
        if (consumer_offset (self->consumer, self->streams [i]) < self->expect [i])
            return 0;
    self->done = true;
    return -1;
}

//  "alpha,beta" into self->streams.
static int
s_parse_streams (evcons_t *self, char *text)
{
    size_t count = 0;
    for (char *name = strtok (text, ","); name; name = strtok (NULL, ",")) {
        if (count == EVCONS_MAX_STREAMS)
            return -1;
        self->streams [count++] = name;
    }
    self->streams [count] = NULL;
    return count? 0: -1;
}

//  "alpha=N,beta=M": each name must be one of the streams.
static int
s_parse_expect (evcons_t *self, char *text)
{
    for (char *item = strtok (text, ","); item; item = strtok (NULL, ",")) {
        char *equals = strchr (item, '=');
        if (!equals)
            return -1;
        *equals = 0;
        size_t i = 0;
        while (self->streams [i] && strcmp (self->streams [i], item))
            i++;
        if (!self->streams [i])
            return -1;
        self->expect [i] = strtoull (equals + 1, NULL, 10);
    }
    self->expecting = true;
    return 0;
}

static json_t *
s_chain_json (const evcheck_chain_t *chain)
{
    char hex [2 * EVCHECK_HASH_SIZE + 1];
    evcheck_hex (chain->hash, hex);
    return json_pack ("{s:I, s:I, s:I, s:s}",
                      "count", (json_int_t) chain->count, "last", (json_int_t) chain->last,
                      "violations", (json_int_t) chain->violations, "hash", hex);
}

static int
s_report (const char *dir)
{
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        fprintf (stderr, "evcons: %s is not a store directory\n", dir);
        return 2;
    }
    char error [512];
    store_t *store = store_new (dir, s_tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "evcons: %s\n", error);
        return 1;
    }
    MDB_txn *txn = store_read_begin (store);
    if (!txn) {
        store_destroy (&store);
        return 1;
    }
    json_t *offsets = json_object ();
    json_t *streams = json_object ();
    json_t *producers = json_object ();
    json_t *report = json_pack ("{s:o, s:o, s:o, s:I}", "offsets", offsets, "streams", streams,
        "producers", producers,
        "bad_payload", (json_int_t) s_stored_u64 (store, txn, "applied", "bad_payload"));

    MDB_cursor *cursor;
    MDB_val key, value;
    mdb_cursor_open (txn, store_table (store, "offsets"), &cursor);
    for (int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        char *name = strndup ((const char *) key.mv_data, key.mv_size);
        if (value.mv_size == 8)
            json_object_set_new (offsets, name, json_integer ((json_int_t) store_u64_read (value.mv_data)));
        free (name);
    }
    mdb_cursor_close (cursor);

    mdb_cursor_open (txn, store_table (store, "applied"), &cursor);
    for (int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        char *name = strndup ((const char *) key.mv_data, key.mv_size);
        evcheck_chain_t chain;
        if (evcheck_chain_decode (&chain, value.mv_data, value.mv_size) == 0) {
            if (!strncmp (name, "s:", 2))
                json_object_set_new (streams, name + 2, s_chain_json (&chain));
            else
            if (!strncmp (name, "p:", 2)) {
                //  p:<stream>:<producer>; stream names have no ':'.
                char *colon = strchr (name + 2, ':');
                if (colon) {
                    *colon = 0;
                    json_t *by_stream = json_object_get (producers, name + 2);
                    if (!by_stream) {
                        by_stream = json_object ();
                        json_object_set_new (producers, name + 2, by_stream);
                    }
                    json_object_set_new (by_stream, colon + 1, s_chain_json (&chain));
                }
            }
        }
        free (name);
    }
    mdb_cursor_close (cursor);
    store_read_end (&txn);
    store_destroy (&store);
    char *text = json_dumps (report, JSON_COMPACT | JSON_SORT_KEYS);
    printf ("%s\n", text);
    free (text);
    json_decref (report);
    return 0;
}

static void
s_usage (void)
{
    printf ("Usage: evcons --config FILE --name NAME --data DIR --streams S[,S]\n"
            "              [--expect S=N[,S=N]] [--progress FILE]\n"
            "       evcons --report DIR\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config",   required_argument, 0, 'c' },
        { "name",     required_argument, 0, 'n' },
        { "data",     required_argument, 0, 'd' },
        { "streams",  required_argument, 0, 's' },
        { "expect",   required_argument, 0, 'e' },
        { "progress", required_argument, 0, 'p' },
        { "report",   required_argument, 0, 'R' },
        { "help",     no_argument,       0, 'h' },
        { 0, 0, 0, 0 }
    };
    evcons_t self_data = { 0 }, *self = &self_data;
    const char *config_file = NULL, *data = NULL, *name = NULL;
    char *expect = NULL;
    int option;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
            case 'c': config_file = optarg; break;
            case 'n': name = optarg; break;
            case 'd': data = optarg; break;
            case 'e': expect = optarg; break;
            case 'p': self->progress = optarg; break;
            case 'R': return s_report (optarg);
            case 's':
                if (s_parse_streams (self, optarg) == 0)
                    break;
                //  fall through
            default: s_usage (); return option == 'h'? 0: 2;
        }
    }
    if (!config_file || !name || !data || !self->streams [0]
    ||  (expect && s_parse_expect (self, expect))) {
        s_usage ();
        return 2;
    }
    char process [96];
    snprintf (process, sizeof process, "evcons-%s", name);
    log_init (process);
    if (sodium_init () < 0)
        return 1;
    config_t *config = config_new ();
    if (config_load (config, config_file)) {
        fprintf (stderr, "evcons: %s\n", config_error (config));
        return 2;
    }
    const char *keys_dir = config_path (config, "keys/dir", NULL);
    const char *fanout = config_get (config, "broker/fanout", NULL);
    const char *replay = config_get (config, "broker/replay", NULL);
    zcert_t *cert = transport_load_secret (keys_dir, name);
    char *broker_key = transport_load_public_key (keys_dir, "broker");
    char error [512];
    store_t *store = store_new (data, s_tables, error, sizeof error);
    if (!cert || !broker_key || !store) {
        fprintf (stderr, "evcons: %s\n", !store? error: "keys missing");
        return 1;
    }
    self->consumer = consumer_new (store, name, (const char *const *) self->streams, s_apply, self);
    zloop_t *loop = zloop_new ();
    if (consumer_connect (self->consumer, fanout, replay, broker_key, cert)
    ||  consumer_attach (self->consumer, loop)) {
        fprintf (stderr, "evcons: cannot connect to %s and %s\n", fanout, replay);
        return 1;
    }
    zloop_timer (loop, EVCONS_TICK_MS, 0, s_on_tick, self);
    log_info ("started", "streams", json_integer ((json_int_t) consumer_stream_count (self->consumer)), NULL);
    uint64_t started_at = clock_monotonic_ms ();
    zsys_catch_interrupts ();
    zloop_start (loop);
    zloop_destroy (&loop);
    s_write_progress (self);

    printf ("{\"consumer\":\"%s\",\"applied\":%llu,\"elapsed_ms\":%llu,\"done\":%s}\n", name,
            (unsigned long long) consumer_applied_total (self->consumer),
            (unsigned long long) (clock_monotonic_ms () - started_at), self->done? "true": "false");
    fflush (stdout);
    consumer_destroy (&self->consumer);
    store_destroy (&store);
    zcert_destroy (&cert);
    free (broker_key);
    config_destroy (&config);
    return self->done? 0: 3;
}
