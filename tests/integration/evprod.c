/*  evprod: a test producer for the event integration test.

        evprod --config FILE --name NAME --data DIR --count N
               [--mode both|alpha|beta] [--rate EVENTS_PER_S] [--delay MS]
               [--progress FILE]
        evprod --report DIR

    Opens its own store at DIR with the outbox tables, and appends the
    events evcheck.h generates for NAME (1..N) to the outbox, in write
    transactions of 1..500 events, while an outbox relay in the same zloop
    sends them to the broker's ingest socket (broker/ingest in the config,
    keys/dir/secret/NAME as its CURVE identity). It exits 0 once all N are
    appended AND the outbox is empty, i.e. the broker has committed every
    one, and prints a JSON summary line on stdout.

    --delay MS holds back the first append for MS after start (the relay
    is connected and pinging meanwhile), so a test can line up a broker
    failure with the moment events are in flight.

    A restarted evprod carries on from the outbox's next seq, so the
    events stay the same whatever happens to the process.

    --progress FILE is rewritten (atomically) every 100 ms with
    "appended A\nacked B\ndepth D\n", for the test driver to watch.
    --report DIR prints the store's producer name, next seq and outbox
    depth as JSON, without connecting anywhere.
*/
#include "config.h"
#include "evcheck.h"
#include "log.h"
#include "clock.h"
#include "outbox.h"
#include "relay.h"
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


#define EVPROD_TICK_MS      1
#define EVPROD_PROGRESS_MS  100
#define EVPROD_FLUSH_MS     1000

static const char *s_tables [] = { OUTBOX_TABLES, "evprod", NULL };

typedef struct {
    const char *name;
    evcheck_mode_t mode;
    uint64_t count;
    uint64_t rate;              //  events per second; 0 = as fast as it goes
    uint64_t delay;             //  ms before the first append
    const char *progress;
    store_t *store;
    outbox_t *outbox;
    relay_t *relay;
    uint64_t appended;          //  committed to the outbox
    uint64_t txns;              //  write transactions so far (drives sizes)
    uint64_t started_at;
    uint64_t last_progress_at;
    bool done;
} evprod_t;

typedef struct {
    evprod_t *self;
    uint64_t size;
} s_append_t;

//  One write transaction: the next `size` events of the generator, and
//  the transaction counter, together or not at all.
static int
s_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_append_t *append = (s_append_t *) arg;
    evprod_t *self = append->self;
    uint64_t next = s_stored_u64 (store, txn, "outbox_meta", "next_seq");
    if ((next? next: 1) != self->appended + 1)
        return store_fail (store, "outbox next seq %llu, expected %llu",
                           (unsigned long long) next, (unsigned long long) self->appended + 1);
    for (uint64_t i = 1; i <= append->size; i++) {
        uint64_t seq = self->appended + i;
        uint8_t payload [EVCHECK_PAYLOAD_MAX];
        size_t size = evcheck_payload (self->name, seq, payload);
        char key [32];
        snprintf (key, sizeof key, "%llu", (unsigned long long) seq);
        int rc = outbox_append_raw (self->outbox, txn, evcheck_stream (self->mode, seq),
                                    "test", key, payload, size);
        if (rc)
            return rc;
    }
    return store_put_u64 (store, txn, "evprod", "txns", self->txns + 1);
}

static void
s_write_progress (evprod_t *self)
{
    if (!self->progress)
        return;
    char temp [4096];
    snprintf (temp, sizeof temp, "%s.tmp", self->progress);
    FILE *file = fopen (temp, "w");
    if (!file)
        return;
    fprintf (file, "appended %llu\nacked %llu\ndepth %llu\n",
             (unsigned long long) self->appended,
             (unsigned long long) relay_acked_seq (self->relay),
             (unsigned long long) outbox_depth (self->outbox));
    fclose (file);
    rename (temp, self->progress);
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    evprod_t *self = (evprod_t *) arg;
    uint64_t now = clock_monotonic_ms ();
    uint64_t allowed = self->count;
    if (now - self->started_at < self->delay)
        allowed = 0;
    else
    if (self->rate)
        allowed = (now - self->started_at - self->delay) * self->rate / 1000 + 1;
    if (self->appended < self->count && self->appended < allowed) {
        s_append_t append = { self, evcheck_txn_size (self->name, self->txns) };
        if (append.size > self->count - self->appended)
            append.size = self->count - self->appended;
        if (store_write (self->store, s_append, &append)) {
            log_error ("cannot append", "error", json_string (store_error (self->store)), NULL);
            return -1;
        }
        self->appended += append.size;
        self->txns++;
        relay_kick (self->relay);
    }
    if (now - self->last_progress_at >= EVPROD_PROGRESS_MS) {
        s_write_progress (self);
        self->last_progress_at = now;
    }
    if (self->appended == self->count && outbox_depth (self->outbox) == 0) {
        self->done = true;
        return -1;
    }
    return 0;
}

static int
s_report (const char *dir)
{
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        fprintf (stderr, "evprod: %s is not a store directory\n", dir);
        return 2;
    }
    char error [512];
    store_t *store = store_new (dir, s_tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "evprod: %s\n", error);
        return 1;
    }
    MDB_txn *txn = store_read_begin (store);
    if (!txn) {
        store_destroy (&store);
        return 1;
    }
    MDB_val instance;
    char producer [96] = "";
    if (store_get (store, txn, "outbox_meta", "instance", 8, &instance) == 0)
        snprintf (producer, sizeof producer, "%.*s", (int) instance.mv_size,
                  (const char *) instance.mv_data);
    json_t *report = json_pack ("{s:s, s:I, s:I, s:I}",
        "instance", producer,
        "next_seq", (json_int_t) s_stored_u64 (store, txn, "outbox_meta", "next_seq"),
        "outbox_depth", (json_int_t) store_count (store, txn, "outbox"),
        "txns", (json_int_t) s_stored_u64 (store, txn, "evprod", "txns"));
    store_read_end (&txn);
    store_destroy (&store);
    char *text = json_dumps (report, JSON_COMPACT);
    printf ("%s\n", text);
    free (text);
    json_decref (report);
    return 0;
}

static void
s_usage (void)
{
    printf ("Usage: evprod --config FILE --name NAME --data DIR --count N\n"
            "              [--mode both|alpha|beta] [--rate N] [--delay MS] [--progress FILE]\n"
            "       evprod --report DIR\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config",   required_argument, 0, 'c' },
        { "name",     required_argument, 0, 'n' },
        { "data",     required_argument, 0, 'd' },
        { "count",    required_argument, 0, 'N' },
        { "mode",     required_argument, 0, 'm' },
        { "rate",     required_argument, 0, 'r' },
        { "delay",    required_argument, 0, 'D' },
        { "progress", required_argument, 0, 'p' },
        { "report",   required_argument, 0, 'R' },
        { "help",     no_argument,       0, 'h' },
        { 0, 0, 0, 0 }
    };
    evprod_t self_data = { .mode = EVCHECK_BOTH }, *self = &self_data;
    const char *config_file = NULL, *data = NULL;
    int option;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
            case 'c': config_file = optarg; break;
            case 'n': self->name = optarg; break;
            case 'd': data = optarg; break;
            case 'N': self->count = strtoull (optarg, NULL, 10); break;
            case 'r': self->rate = strtoull (optarg, NULL, 10); break;
            case 'D': self->delay = strtoull (optarg, NULL, 10); break;
            case 'p': self->progress = optarg; break;
            case 'R': return s_report (optarg);
            case 'm':
                if (evcheck_mode_parse (optarg, &self->mode) == 0)
                    break;
                //  fall through
            default: s_usage (); return option == 'h'? 0: 2;
        }
    }
    if (!config_file || !self->name || !data || !self->count) {
        s_usage ();
        return 2;
    }
    char process [96];
    snprintf (process, sizeof process, "evprod-%s", self->name);
    log_init (process);
    if (sodium_init () < 0)
        return 1;
    config_t *config = config_new ();
    if (config_load (config, config_file)) {
        fprintf (stderr, "evprod: %s\n", config_error (config));
        return 2;
    }
    const char *keys_dir = config_path (config, "keys/dir", NULL);
    const char *ingest = config_get (config, "broker/ingest", NULL);
    zcert_t *cert = transport_load_secret (keys_dir, self->name);
    char *broker_key = transport_load_public_key (keys_dir, "broker");
    char error [512];
    self->store = store_new (data, s_tables, error, sizeof error);
    if (!cert || !broker_key || !self->store) {
        fprintf (stderr, "evprod: %s\n", !self->store? error: "keys missing");
        return 1;
    }
    self->outbox = outbox_new (self->store, self->name);
    self->relay = self->outbox? relay_new (self->outbox, ingest, broker_key, cert): NULL;
    if (!self->relay) {
        fprintf (stderr, "evprod: cannot start outbox and relay to %s\n", ingest);
        return 1;
    }
    MDB_txn *txn = store_read_begin (self->store);
    self->txns = s_stored_u64 (self->store, txn, "evprod", "txns");
    store_read_end (&txn);
    self->appended = outbox_next_seq (self->outbox) - 1;
    self->started_at = clock_monotonic_ms ();
    log_info ("started", "producer", json_string (outbox_producer (self->outbox)),
              "appended", json_integer ((json_int_t) self->appended),
              "count", json_integer ((json_int_t) self->count), NULL);

    zsys_catch_interrupts ();
    zloop_t *loop = zloop_new ();
    relay_attach (self->relay, loop);
    zloop_timer (loop, EVPROD_TICK_MS, 0, s_on_tick, self);
    zloop_start (loop);
    zloop_destroy (&loop);

    int rc = 3;                 //  interrupted, or could not append
    if (self->done && relay_flush (self->relay, EVPROD_FLUSH_MS) == 0)
        rc = 0;
    s_write_progress (self);
    uint64_t elapsed = clock_monotonic_ms () - self->started_at;
    printf ("{\"producer\":\"%s\",\"appended\":%llu,\"txns\":%llu,\"outbox_depth\":%llu,"
            "\"elapsed_ms\":%llu,\"exit\":%d}\n",
            outbox_producer (self->outbox), (unsigned long long) self->appended,
            (unsigned long long) self->txns, (unsigned long long) outbox_depth (self->outbox),
            (unsigned long long) elapsed, rc);
    fflush (stdout);
    relay_destroy (&self->relay);
    outbox_destroy (&self->outbox);
    store_destroy (&self->store);
    zcert_destroy (&cert);
    free (broker_key);
    config_destroy (&config);
    return rc;
}
