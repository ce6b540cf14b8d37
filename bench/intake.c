/*  bench/intake: 837P intake, next to the raw limits of the same machine
    measured in the same run, and next to a peer parser.

    The file is made at bench time by scripts/gen-837 (seed 42, N claims,
    0.5 % of each kind of error, 4 envelopes) into a temporary folder, then
    read into memory. Measured (each in-memory figure is the best of two
    runs):

        split       raw limit: read the file from the page cache and cut it
                    into segments at the terminator (memchr), nothing else;
        tokenize    common/x12.c's reader over the buffer: separators from
                    ISA, elements split, every envelope check;
        parse       tokenize + the 837P parser (services/intake/parse_837p.c)
                    building a Claim message per claim;
        parse+scrub parse + every scrub rule (scrub.c), as intake runs them;
        ingest      through the service: a real rcmq-broker and rcmq-intake
                    (CURVE, LMDB with fsync), the file uploaded in 4 MiB
                    chunks as `rcmqctl intake submit` sends it, until the
                    upload is done (the batch committed: claims sealed,
                    stored, routed, events in the outbox), and on until
                    intake's outbox is empty (every event durable at the
                    broker too); meanwhile a second client asks
                    intake.Health every 100 ms and the slowest answer is
                    printed (status latency), next to its limit (the
                    slowest of 20 answers of an idle intake, asked before
                    the submit: CURVE round trip and the audit record's
                    write), with the apply's length (from the upload first
                    seen `applying` to `done`: it is applied in steps,
                    docs/adr/0015) and intake's peak RSS (VmHWM) after the
                    submit;
        lmdb        raw limit of the store under ingest: the same claims'
                    records (each claim PHI-sealed and packed, untimed) put
                    into an LMDB env as intake puts them - the claim record,
                    its outbox event of the same bytes, and its PCN - in one
                    write transaction per file (intake applies a file in
                    one), the claim records appended and the map as large
                    as intake's from the start, as intake does; fsync at
                    commit;
        peer        Debian's X12::Parser (libx12-parser-perl 0.80) with its
                    837 map: parsefile plus walking every loop's segments,
                    timed inside perl (start-up excluded); and the two most
                    used X12 parsers of the npm registry, installed by npm
                    into the temp dir when node and npm are on PATH
                    (skipped with a note otherwise): node-x12 1.7.1's
                    X12Parser (the whole file into objects, the read
                    excluded) and x12-parser 1.3.0's stream of segments
                    (tokenizing only, the read included), timed inside
                    node, with their peak RSS.

    Next to the times, the CPU seconds: this thread's over the best parse +
    scrub (CLOCK_THREAD_CPUTIME_ID) and rcmq-intake's (utime + stime of
    /proc/PID/stat) from the submit to its outbox empty; on a shared box
    they, not the wall clock, show what a change did (docs/performance.md).

    It prints a table and ends with ONE JSON line:
        {"name":"intake","figures":{...},"limits":{...},"ratios":{...}}

    Usage: intake [--claims N] [--no-peer] [--keep] [--ingest-only]
    (--no-peer: none of the three peers)
    (--ingest-only: only through the service, e.g. for the peak RSS of
    intake with a 1,000,000-claim file; --file F: that file, of --claims N
    claims, instead of one from gen-837, with no expected count)
    Programs are found next to this one's build folder (../services/...,
    ../cli/rcmqctl) or in $RCMQ_BUILD; gen-837 in the source tree.
*/
#include "bench_util.h"
#include "client.h"
#include "clock.h"
#include "codec.h"
#include "intake.h"
#include "parse_837p.h"
#include "phi_claim.h"
#include "scrub.h"
#include "store.h"
#include "transport.h"
#include "x12.h"
#include "intake.pb-c.h"
#include "upload.pb-c.h"

#include <fcntl.h>
#include <stddef.h>
#include <getopt.h>
#include <jansson.h>
#include <time.h>

#ifndef RCMQ_SOURCE_DIR
#   define RCMQ_SOURCE_DIR "."
#endif

#define BENCH_DEFAULT_CLAIMS    100000
#define BENCH_NOW               "2026-11-02T12:00:00Z"
#define BENCH_SUBMIT_TIMEOUT_MS 900000
#define BENCH_X12PARSER_MAP     "837_004010X098.cf"
#define BENCH_CHUNK_BYTES       (4u << 20)      //  as rcmqctl intake submit sends

typedef struct {
    size_t claims;
    bool keep;
    bool peer;
    bool ingest_only;           //  only through the service (large files)
    bool given_file;            //  --file: a file made elsewhere
    int parse_only;             //  --parse-only R: R rounds of parse + scrub, nothing else
    bool digest;                //  --digest: and a digest of their output (untimed)
    char build [PATH_MAX];
    char root [1024];
    char file [1200];
    char keys [1200];
    uint8_t *data;
    size_t size;
    size_t expect_accepted;
    uint64_t now_ms;
} bench_t;

//  --------------------------------------------------------------------------
//  The file

static int
s_generate (bench_t *self)
{
    char claims [32], expect [1200];
    snprintf (claims, sizeof claims, "%zu", self->claims);
    snprintf (self->file, sizeof self->file, "%s/claims.837", self->root);
    snprintf (expect, sizeof expect, "%s/claims.json", self->root);
    char *argv [] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/gen-837", "--seed", "42",
                      "--claims", claims, "--envelopes", "4", "--error-rate", "ALL=0.005",
                      "--out", self->file, "--expect", expect, NULL };
    if (bench_run (self->root, argv, "/dev/null") != 0) {
        fprintf (stderr, "bench: scripts/gen-837 failed (see %s/bench.log)\n", self->root);
        return -1;
    }
    json_error_t error;
    json_t *root = json_load_file (expect, 0, &error);
    json_t *totals = json_object_get (root, "totals");
    self->expect_accepted = (size_t) json_integer_value (json_object_get (totals, "accepted"));
    json_decref (root);
    return 0;
}

//  Reads the file whole (the in-memory benchmarks' input).
static int
s_load (bench_t *self)
{
    FILE *file = fopen (self->file, "rb");
    if (!file)
        return -1;
    fseek (file, 0, SEEK_END);
    self->size = (size_t) ftell (file);
    fseek (file, 0, SEEK_SET);
    self->data = (uint8_t *) malloc (self->size);
    size_t got = fread (self->data, 1, self->size, file);
    fclose (file);
    return got == self->size? 0: -1;
}

//  --------------------------------------------------------------------------
//  In memory

//  Raw limit: read from the page cache and cut at every terminator.
static uint64_t
s_split (bench_t *self, size_t *segments)
{
    uint64_t start = bench_usec ();
    int fd = open (self->file, O_RDONLY);
    char *buffer = (char *) malloc (self->size + 1);
    size_t got = 0;
    ssize_t rc;
    while (got < self->size && (rc = read (fd, buffer + got, self->size - got)) > 0)
        got += (size_t) rc;
    close (fd);
    char terminator = got > 105? buffer [105]: '~';
    size_t count = 0;
    for (const char *at = buffer, *end = buffer + got; at < end; ) {
        const char *next = (const char *) memchr (at, terminator, (size_t) (end - at));
        if (!next)
            break;
        count++;
        at = next + 1;
        while (at < end && (*at == '\r' || *at == '\n'))
            at++;
    }
    uint64_t usec = bench_usec () - start;
    free (buffer);
    *segments = count;
    return usec;
}

//  Results nobody reads, so the compiler keeps the work that makes them.
static volatile size_t s_sink;

static uint64_t
s_tokenize (bench_t *self, size_t *segments)
{
    uint64_t start = bench_usec ();
    x12_reader_t *reader = x12_reader_new_buffer (self->data, self->size);
    x12_segment_t *segment;
    size_t count = 0, elements = 0;
    while (x12_reader_next (reader, &segment) == 1) {
        count++;
        elements += x12_segment_count (segment);
    }
    x12_reader_destroy (&reader);
    uint64_t usec = bench_usec () - start;
    *segments = count;
    s_sink = elements;
    return usec;
}

typedef struct {
    bench_t *bench;
    scrub_t *scrub;             //  NULL: parse only
    size_t claims;
    size_t accepted;
    //  --parse-only's digest: FNV-1a of every claim and scrub result packed.
    bool digest;
    uint64_t hash;
    //  For the LMDB limit: each claim sealed and packed.
    phi_key_t *key;
    uint8_t **records;
    size_t *sizes;
    char **pcns;
} s_parse_t;

static uint64_t
s_fnv (uint64_t hash, const void *data, size_t size)
{
    const uint8_t *byte = (const uint8_t *) data;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ byte [i]) * 1099511628211ULL;
    return hash;
}

static uint64_t
s_fnv_message (uint64_t hash, const void *message)
{
    size_t size;
    uint8_t *packed = codec_pack (message, &size);
    hash = s_fnv (hash, packed, size);
    free (packed);
    return hash;
}

static int
s_on_claim (const Claim *claim, void *arg)
{
    s_parse_t *parse = (s_parse_t *) arg;
    if (parse->digest)
        parse->hash = s_fnv_message (parse->hash, claim);
    if (parse->scrub) {
        ScrubResult *result = scrub_claim (parse->scrub, claim, parse->bench->now_ms);
        if (parse->digest)
            parse->hash = s_fnv_message (parse->hash, result);
        parse->accepted += result->accepted;
        scrub_result__free_unpacked (result, NULL);
    }
    if (parse->key && parse->claims < parse->bench->claims) {
        char id [64];
        snprintf (id, sizeof id, "B20261102-000001-%05zu", parse->claims + 1);
        SealedClaim *sealed = phi_claim_seal (parse->key, id, claim);
        IntakeClaim record = INTAKE_CLAIM__INIT;
        record.claim_id = id;
        record.batch_id = "B20261102-000001";
        record.pcn = claim->patient_control_number;
        record.claim = sealed;
        record.received_ms = parse->bench->now_ms;
        parse->records [parse->claims] = codec_pack (&record, &parse->sizes [parse->claims]);
        parse->pcns [parse->claims] = strdup (claim->patient_control_number);
        codec_free (sealed);
    }
    parse->claims++;
    return 0;
}

static uint64_t
s_parse (bench_t *self, s_parse_t *parse)
{
    uint64_t start = bench_usec ();
    x12_reader_t *reader = x12_reader_new_buffer (self->data, self->size);
    parse_837p_report_t report;
    int rc = parse_837p (reader, s_on_claim, parse, &report);
    if (parse->digest)
        parse->hash = s_fnv (parse->hash, &report, offsetof (parse_837p_report_t, error_segment));
    x12_reader_destroy (&reader);
    uint64_t usec = bench_usec () - start;
    if (rc)
        fprintf (stderr, "bench: the file does not parse: %s\n", report.error);
    return usec;
}

//  --------------------------------------------------------------------------
//  LMDB: the same records, one write transaction per file

static int
s_fill (store_t *store, MDB_txn *txn, void *arg)
{
    s_parse_t *parse = (s_parse_t *) arg;
    for (size_t i = 0; i < parse->claims; i++) {
        char id [64], seq [8];
        snprintf (id, sizeof id, "B20261102-000001-%05zu", i + 1);
        store_u64_write ((uint8_t *) seq, i + 1);
        //  As intake puts a claim record: appended, its id sorting last.
        MDB_val key = { strlen (id), id }, value = { parse->sizes [i], parse->records [i] };
        int rc = mdb_put (txn, store_table (store, "claims"), &key, &value, MDB_APPEND);
        if (rc == MDB_KEYEXIST)
            rc = store_put (store, txn, "claims", id, strlen (id), parse->records [i], parse->sizes [i]);
        if (rc == 0)
            rc = store_put (store, txn, "outbox", seq, sizeof seq, parse->records [i], parse->sizes [i]);
        if (rc == 0)
            rc = store_put (store, txn, "pcns", parse->pcns [i], strlen (parse->pcns [i]), id, strlen (id));
        if (rc)
            return rc;
    }
    return 0;
}

static uint64_t
s_lmdb (bench_t *self, s_parse_t *parse, size_t *bytes)
{
    char dir [1200], error [256];
    snprintf (dir, sizeof dir, "%s/lmdb", self->root);
    zsys_dir_create ("%s", dir);
    const char *tables [] = { "claims", "outbox", "pcns", NULL };
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench: %s\n", error);
        return 0;
    }
    //  Intake's map size, so neither is timed growing the map by retrying.
    store_set_map_size (store, INTAKE_MAP_SIZE);
    *bytes = 0;
    for (size_t i = 0; i < parse->claims; i++)
        *bytes += parse->sizes [i];
    uint64_t start = bench_usec ();
    int rc = store_write (store, s_fill, parse);
    uint64_t usec = bench_usec () - start;
    if (rc)
        fprintf (stderr, "bench: LMDB write failed: %s\n", store_error (store));
    store_destroy (&store);
    return rc? 0: usec;
}

//  --------------------------------------------------------------------------
//  Through the service

typedef struct {
    uint64_t submit_usec;       //  until the upload is done: the batch is committed
    uint64_t broker_usec;       //  until intake's outbox is empty
    uint32_t accepted;
    uint32_t claims;
    uint64_t status_worst_usec; //  the slowest intake.Health during the submit
    uint64_t status_probes;
    uint64_t status_slow;       //  of them, slower than BENCH_GOAL_MS
    uint64_t status_idle_usec;  //  the slowest of BENCH_IDLE_PROBES before it
    uint64_t apply_usec;        //  from the upload first seen applying to done
    uint64_t intake_peak_kb;    //  intake's VmHWM after the submit
    double intake_cpu_seconds;  //  intake's user + system CPU, submit start to outbox empty
} s_ingest_t;

//  Asks intake.Health every BENCH_PROBE_MS through a client of its own
//  while the submit runs, and keeps the longest wait for an answer.
typedef struct {
    const char *endpoint;
    const char *server_key;
    zcert_t *cert;
    uint64_t worst_usec;
    uint64_t probes;
    uint64_t slow;              //  answers slower than BENCH_GOAL_MS
} s_probe_t;

#define BENCH_PROBE_MS 100
//  The goal for a status answer during a submit.
#define BENCH_GOAL_MS 100
//  Health calls asked of an idle intake before the submit: their slowest
//  is the status latency's limit on this machine (CURVE round trip, the
//  audit record's write and fsync), next to which the figure reads.
#define BENCH_IDLE_PROBES 20

//  The probe's client watch: the actor is asked to end (the submit is
//  over, or failed), so its call in flight is not waited out.
static bool
s_probe_ended (void *pipe)
{
    return (zsock_events (pipe) & ZMQ_POLLIN) != 0;
}

static void
s_probe_actor (zsock_t *pipe, void *arg)
{
    s_probe_t *probe = (s_probe_t *) arg;
    client_t *client = client_new (probe->endpoint, probe->server_key, probe->cert);
    client_set_timeout (client, BENCH_SUBMIT_TIMEOUT_MS);
    client_set_retries (client, 0);
    client_set_watch (client, s_probe_ended, pipe);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    while (!zpoller_wait (poller, BENCH_PROBE_MS) && !zpoller_terminated (poller)) {
        uint64_t start = bench_usec ();
        Reply *reply = client_call (client, "intake.Health", NULL);
        uint64_t took = bench_usec () - start;
        codec_free (reply);
        probe->probes++;
        if (took > probe->worst_usec)
            probe->worst_usec = took;
        if (took > BENCH_GOAL_MS * 1000)
            probe->slow++;
    }
    zpoller_destroy (&poller);
    client_destroy (&client);
}

//  The upload as rcmqctl does it: chunks, commit, poll until applied.
static Batch *
s_upload (client_t *client, const uint8_t *data, size_t size, uint64_t *apply_usec)
{
    uint64_t applying_since = 0;
    UploadBegin begin = UPLOAD_BEGIN__INIT;
    begin.filename = "claims.837";
    begin.size = size;
    Reply *reply = client_call (client, "intake.UploadBegin", &begin);
    Upload *upload = reply && reply->status == STATUS__OK
        ? (Upload *) codec_decode (&upload__descriptor, reply->body.data, reply->body.len): NULL;
    codec_free (reply);
    char id [64] = "", batch_id [64] = "";
    if (upload)
        snprintf (id, sizeof id, "%s", upload->upload_id);
    codec_free (upload);
    bool ok = *id;
    for (size_t offset = 0; ok && offset < size; offset += BENCH_CHUNK_BYTES) {
        UploadChunk chunk = UPLOAD_CHUNK__INIT;
        chunk.upload_id = id;
        chunk.offset = offset;
        chunk.data.data = (uint8_t *) data + offset;
        chunk.data.len = size - offset < BENCH_CHUNK_BYTES? size - offset: BENCH_CHUNK_BYTES;
        reply = client_call (client, "intake.UploadChunk", &chunk);
        ok = reply && reply->status == STATUS__OK;
        if (!ok)
            fprintf (stderr, "bench: intake.UploadChunk: %s\n", reply? reply->message: client_error (client));
        codec_free (reply);
    }
    UploadId upload_id = UPLOAD_ID__INIT;
    upload_id.upload_id = id;
    const char *method = "intake.UploadCommit";
    while (ok) {
        reply = client_call (client, method, &upload_id);
        upload = reply && reply->status == STATUS__OK
            ? (Upload *) codec_decode (&upload__descriptor, reply->body.data, reply->body.len): NULL;
        if (!upload)
            fprintf (stderr, "bench: %s: %s\n", method, reply? reply->message: client_error (client));
        codec_free (reply);
        ok = upload && !streq (upload->state, "failed");
        bool done = ok && streq (upload->state, "done");
        //  The apply runs in steps, so its state is seen (it never was
        //  when the apply held intake's loop from start to end).
        if (ok && !applying_since && streq (upload->state, "applying"))
            applying_since = bench_usec ();
        if (done) {
            snprintf (batch_id, sizeof batch_id, "%s", upload->batch_id);
            *apply_usec = applying_since? bench_usec () - applying_since: 0;
        }
        if (upload && !ok)
            fprintf (stderr, "bench: upload failed: %s\n", upload->error);
        codec_free (upload);
        if (done)
            break;
        method = "intake.UploadStatus";
        if (bench_watch_sleep (50000))
            ok = false;
    }
    if (!ok)
        return NULL;
    BatchId request = BATCH_ID__INIT;
    request.batch_id = batch_id;
    reply = client_call (client, "intake.GetBatch", &request);
    Batch *batch = reply && reply->status == STATUS__OK
        ? (Batch *) codec_decode (&batch__descriptor, reply->body.data, reply->body.len): NULL;
    codec_free (reply);
    return batch;
}

//  VmHWM of a process, in kB (0 when unreadable).
static uint64_t
s_peak_kb (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    uint64_t kb = 0;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmHWM:", 6) == 0)
            kb = strtoull (line + 6, NULL, 10);
    if (file)
        fclose (file);
    return kb;
}

//  User + system CPU seconds a process has used (/proc/PID/stat), -1
//  when unreadable: on this shared box the wall clock is mostly the load,
//  the CPU a process spent is what a change moves.
static double
s_cpu_seconds (pid_t pid)
{
    char path [64], text [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    size_t got = file? fread (text, 1, sizeof text - 1, file): 0;
    if (file)
        fclose (file);
    text [got] = 0;
    //  After the command's closing parenthesis: state is field 3, utime
    //  and stime fields 14 and 15.
    char *at = strrchr (text, ')');
    unsigned long long utime = 0, stime = 0;
    if (!at || sscanf (at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                       &utime, &stime) != 2)
        return -1;
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

//  CPU seconds of the calling thread (the in-memory parse and scrub).
static double
s_thread_cpu (void)
{
    struct timespec now;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
    return (double) now.tv_sec + now.tv_nsec / 1e9;
}

static int
s_ingest (bench_t *self, s_ingest_t *ingest)
{
    char config [1200];
    snprintf (config, sizeof config, "%s/rcmq.conf", self->root);
    char intake_api [64];
    snprintf (intake_api, sizeof intake_api, "tcp://127.0.0.1:%d", bench_free_port ());
    FILE *file = bench_config_open (config, self->keys, self->root);
    if (!file)
        return -1;
    fprintf (file, "intake\n    api = \"%s\"\n    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n",
             intake_api, self->root, self->root);
    fclose (file);
    setenv ("RCMQ_NOW", BENCH_NOW, 1);
    pid_t broker = bench_spawn (self->build, self->root, "services/broker/rcmq-broker", config, "broker");
    pid_t intake = bench_spawn (self->build, self->root, "services/intake/rcmq-intake", config, "intake");
    zcert_t *admin = transport_load_secret (self->keys, "admin");
    char *intake_key = transport_load_public_key (self->keys, "intake");
    client_t *client = admin && intake_key? client_new (intake_api, intake_key, admin): NULL;
    //  Every call stops waiting the moment broker or intake dies (the
    //  watch says which), not at its 15-minute timeout.
    if (client)
        client_set_watch (client, bench_watch_client, NULL);
    int rc = -1;
    //  Up: intake answers and its relay is connected to the broker.
    for (int attempt = 0; client && attempt < 60 && rc; attempt++) {
        client_set_timeout (client, 500);
        client_set_retries (client, 0);
        Reply *reply = client_call (client, "intake.Health", NULL);
        HealthReply *health = reply && reply->status == STATUS__OK
            ? (HealthReply *) codec_decode (&health_reply__descriptor, reply->body.data, reply->body.len): NULL;
        if (health && health->broker_connected)
            rc = 0;
        else
        if (bench_watch_sleep (200000))
            break;
        codec_free (health);
        codec_free (reply);
    }
    if (rc)
        fprintf (stderr, "bench: intake did not come up; see %s/intake.log\n", self->root);
    if (rc == 0) {
        client_set_timeout (client, BENCH_SUBMIT_TIMEOUT_MS);
        for (int i = 0; i < BENCH_IDLE_PROBES; i++) {
            uint64_t asked = bench_usec ();
            codec_free (client_call (client, "intake.Health", NULL));
            uint64_t took = bench_usec () - asked;
            if (took > ingest->status_idle_usec)
                ingest->status_idle_usec = took;
            usleep (BENCH_PROBE_MS * 1000 / 2);
        }
        bench_watch_stage ("ingest");
        s_probe_t probe = { intake_api, intake_key, admin, 0, 0, 0 };
        zactor_t *prober = zactor_new (s_probe_actor, &probe);
        double cpu_start = s_cpu_seconds (intake);
        uint64_t start = bench_usec ();
        Batch *batch = s_upload (client, self->data, self->size, &ingest->apply_usec);
        ingest->submit_usec = bench_usec () - start;
        zactor_destroy (&prober);
        ingest->status_worst_usec = probe.worst_usec;
        ingest->status_probes = probe.probes;
        ingest->status_slow = probe.slow;
        ingest->intake_peak_kb = s_peak_kb (intake);
        if (batch && streq (batch->status, "completed")) {
            ingest->accepted = batch->accepted;
            ingest->claims = batch->claims;
        }
        else {
            fprintf (stderr, "bench: the upload failed\n");
            rc = -1;
        }
        codec_free (batch);
        //  Then until every event is at the broker.
        client_set_timeout (client, 2000);
        while (rc == 0) {
            Reply *health_reply = client_call (client, "intake.Health", NULL);
            HealthReply *health = health_reply && health_reply->status == STATUS__OK
                ? (HealthReply *) codec_decode (&health_reply__descriptor, health_reply->body.data,
                                                health_reply->body.len): NULL;
            bool empty = health && health->outbox_depth == 0;
            codec_free (health);
            codec_free (health_reply);
            if (empty) {
                ingest->broker_usec = bench_usec () - start;
                double cpu_end = s_cpu_seconds (intake);
                ingest->intake_cpu_seconds = cpu_start >= 0 && cpu_end >= 0? cpu_end - cpu_start: -1;
                break;
            }
            if (bench_usec () - start > BENCH_SUBMIT_TIMEOUT_MS * 1000ULL || bench_watch_sleep (20000)) {
                rc = -1;
                break;
            }
        }
    }
    client_destroy (&client);
    zcert_destroy (&admin);
    free (intake_key);
    bench_stop (&intake);
    bench_stop (&broker);
    return rc;
}

//  The status latency during the submit, next to its limit (the slowest of
//  an idle intake's answers) and the apply's length.
static void
s_print_status (const s_ingest_t *ingest)
{
    printf ("%-34s %12.3f s worst of %" PRIu64 " intake.Health calls, every %d ms\n",
            "status latency during the submit", ingest->status_worst_usec / 1e6, ingest->status_probes,
            BENCH_PROBE_MS);
    printf ("%-34s %12" PRIu64 " of %" PRIu64 "\n", "  of them slower than 100 ms", ingest->status_slow,
            ingest->status_probes);
    printf ("%-34s %12.3f s worst of %d calls   (during / idle %.1f)\n", "limit: status latency, intake idle",
            ingest->status_idle_usec / 1e6, BENCH_IDLE_PROBES,
            ingest->status_idle_usec? (double) ingest->status_worst_usec / ingest->status_idle_usec: 0);
    printf ("%-34s %12.3f s (from the upload seen applying to done)\n", "apply, in steps", ingest->apply_usec / 1e6);
}

//  --------------------------------------------------------------------------
//  The peer: X12::Parser

static const char *s_peer_script =
    "use strict; use warnings; use Time::HiRes qw(time);\n"
    "eval { require X12::Parser; 1 } or exit 2;\n"
    "(my $cf = $INC{'X12/Parser.pm'}) =~ s/\\.pm$//; $cf .= '/cf/" BENCH_X12PARSER_MAP "';\n"
    "-f $cf or exit 2;\n"
    "my $start = time;\n"
    "my $p = X12::Parser->new;\n"
    "$p->parsefile(file => $ARGV[0], conf => $cf);\n"
    "my ($loops, $segments) = (0, 0);\n"
    "while (my @l = $p->get_next_pos_level_loop) { $loops++; my @s = $p->get_loop_segments; $segments += @s; }\n"
    "printf \"%.3f %d %d\\n\", time - $start, $loops, $segments;\n";

//  Seconds X12::Parser takes, or -1 when it is not installed / failed.
static double
s_peer (bench_t *self, size_t *loops, size_t *segments)
{
    char out [1200];
    snprintf (out, sizeof out, "%s/peer.out", self->root);
    char *argv [] = { "/usr/bin/perl", "-e", (char *) s_peer_script, self->file, NULL };
    int rc = bench_run (self->root, argv, out);
    if (rc != 0) {
        fprintf (stderr, "bench: X12::Parser %s (exit %d)\n",
                 rc == 2? "is not installed (apt-get install libx12-parser-perl)": "failed", rc);
        return -1;
    }
    FILE *file = fopen (out, "r");
    double seconds = -1;
    if (file) {
        if (fscanf (file, "%lf %zu %zu", &seconds, loops, segments) != 3)
            seconds = -1;
        fclose (file);
    }
    return seconds;
}

//  --------------------------------------------------------------------------
//  The npm peers: node-x12 (X12Parser, the whole file into objects) and
//  x12-parser (a stream of segment objects), what a Node user would pick.
//  Installed into the run's temp dir by npm when node and npm are on PATH.

#define BENCH_NPM_PACKAGES "node-x12@1.7.1", "x12-parser@1.3.0"

//  Each script prints "<seconds> <segments> <peak RSS kB>"; the file is read
//  before the clock for node-x12 (X12::Parser's parsefile reads it inside
//  the clock, as the streaming parser does: both are what a user runs).
static const char *s_node_x12_script =
    "const fs = require ('fs');\n"
    "const { X12Parser } = require ('node-x12');\n"
    "const text = fs.readFileSync (process.argv [1], 'utf8');\n"
    "const start = process.hrtime.bigint ();\n"
    "const parsed = new X12Parser (true).parse (text);\n"
    "let segments = 0;\n"
    "for (const ic of (parsed.interchanges || [parsed]))\n"
    "    for (const group of ic.functionalGroups)\n"
    "        for (const set of group.transactions)\n"
    "            segments += set.segments.length;\n"
    "const seconds = Number (process.hrtime.bigint () - start) / 1e9;\n"
    "console.log (seconds.toFixed (3), segments, process.resourceUsage ().maxRSS);\n";

static const char *s_x12_parser_script =
    "const fs = require ('fs');\n"
    "const { X12parser } = require ('x12-parser');\n"
    "const start = process.hrtime.bigint ();\n"
    "let segments = 0;\n"
    "fs.createReadStream (process.argv [1]).pipe (new X12parser ())\n"
    "    .on ('data', () => segments++)\n"
    "    .on ('error', (error) => { console.error (error); process.exit (1); })\n"
    "    .on ('end', () => {\n"
    "        const seconds = Number (process.hrtime.bigint () - start) / 1e9;\n"
    "        console.log (seconds.toFixed (3), segments, process.resourceUsage ().maxRSS);\n"
    "    });\n";

typedef struct {
    const char *name;
    const char *script;
    double seconds;             //  -1: not run
    size_t segments;
    size_t rss_kb;
} s_npm_peer_t;

//  The path of program on PATH into path, or false.
static bool
s_which (const char *program, char *path, size_t size)
{
    const char *env = getenv ("PATH");
    char *paths = strdup (env? env: "/usr/bin:/bin");
    bool found = false;
    for (char *dir = strtok (paths, ":"); dir && !found; dir = strtok (NULL, ":")) {
        snprintf (path, size, "%s/%s", dir, program);
        found = access (path, X_OK) == 0;
    }
    free (paths);
    return found;
}

//  Installs the packages into ROOT/npm; false (said why) when node or npm
//  is missing or the install failed.
static bool
s_npm_install (bench_t *self, char *node, size_t node_size)
{
    char npm [PATH_MAX];
    if (!s_which ("node", node, node_size) || !s_which ("npm", npm, sizeof npm)) {
        printf ("npm peers: skipped, node or npm is not installed (apt-get install nodejs npm)\n");
        return false;
    }
    char prefix [1200];
    snprintf (prefix, sizeof prefix, "%s/npm", self->root);
    zsys_dir_create ("%s", prefix);
    char *argv [] = { npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save",
                      "--silent", BENCH_NPM_PACKAGES, NULL };
    if (bench_run (self->root, argv, NULL) != 0) {
        printf ("npm peers: skipped, npm install %s failed (see %s/bench.log)\n",
                "node-x12@1.7.1 x12-parser@1.3.0", self->root);
        return false;
    }
    return true;
}

static void
s_npm_peer (bench_t *self, const char *node, s_npm_peer_t *peer)
{
    char out [1200], modules [1300];
    snprintf (out, sizeof out, "%s/npm-%s.out", self->root, peer->name);
    snprintf (modules, sizeof modules, "%s/npm/node_modules", self->root);
    setenv ("NODE_PATH", modules, 1);
    //  node-x12 holds the whole file as objects: room beyond node's
    //  default heap, or it dies of it at 100,000 claims.
    char *argv [] = { (char *) node, "--max-old-space-size=16384", "-e", (char *) peer->script, self->file, NULL };
    int rc = bench_run (self->root, argv, out);
    unsetenv ("NODE_PATH");
    FILE *file = fopen (out, "r");
    if (rc || !file || fscanf (file, "%lf %zu %zu", &peer->seconds, &peer->segments, &peer->rss_kb) != 3) {
        fprintf (stderr, "bench: %s failed (exit %d; see %s/bench.log)\n", peer->name, rc, self->root);
        peer->seconds = -1;
    }
    if (file)
        fclose (file);
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    fprintf (stderr, "usage: intake [--claims N] [--no-peer] [--keep] [--ingest-only [--file F]]\n"
                     "              [--parse-only ROUNDS [--digest] [--file F]]\n");
}

int
main (int argc, char *argv [])
{
    bench_t self = { .claims = BENCH_DEFAULT_CLAIMS, .peer = true };
    static struct option options [] = {
        { "claims",  required_argument, NULL, 'c' },
        { "events",  required_argument, NULL, 'e' },    //  scripts/bench passes it to every bench
        { "no-peer", no_argument,       NULL, 'n' },
        { "keep",    no_argument,       NULL, 'k' },
        { "ingest-only", no_argument,   NULL, 'i' },
        { "file",    required_argument, NULL, 'f' },
        { "parse-only", required_argument, NULL, 'p' },
        { "digest",  no_argument,       NULL, 'd' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c')
            self.claims = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'e')
            ;                   //  the broker's; ours is --claims
        else
        if (option == 'n')
            self.peer = false;
        else
        if (option == 'k')
            self.keep = true;
        else
        if (option == 'i')
            self.ingest_only = true;
        else
        if (option == 'f') {
            snprintf (self.file, sizeof self.file, "%s", optarg);
            self.given_file = true;
        }
        else
        if (option == 'p')
            self.parse_only = atoi (optarg);
        else
        if (option == 'd')
            self.digest = true;
        else
        if (option == 'h') {
            s_usage ();
            return 0;
        }
        else
            fprintf (stderr, "bench intake: ignoring unknown option %s\n", argv [optind - 1]);
    }
    if (self.claims < 10) {
        s_usage ();
        return 2;
    }
    //  Programs: $RCMQ_BUILD, else the build folder this one is in.
    bench_build_dir (self.build, sizeof self.build);
    clock_parse_iso8601 (BENCH_NOW, &self.now_ms);
    if (bench_tmpdir (self.root, sizeof self.root, "intake")) {
        perror ("bench: mkdtemp");
        return 1;
    }
    snprintf (self.keys, sizeof self.keys, "%s/keys", self.root);
    zsys_init ();
    zsys_set_logstream (NULL);

    printf ("intake bench: %zu claims, file from scripts/gen-837 --seed 42 (temp %s)\n", self.claims, self.root);
    fflush (stdout);
    int failed = 0;
    if ((!self.given_file && s_generate (&self)) || s_load (&self) || bench_keys_init (self.build, self.root, self.keys) != 0) {
        fprintf (stderr, "bench: cannot prepare the file or keys\n");
        failed = 1;
    }
    double mb = self.size / 1e6;
    double claims = (double) self.claims;

    //  --ingest-only: the service alone, for files too large to measure
    //  in memory as well (the 1M-claim peak RSS).
    if (self.ingest_only) {
        s_ingest_t ingest = { 0 };
        if (!failed && s_ingest (&self, &ingest) != 0)
            failed = 1;
        if (!failed) {
            printf ("\nfile: %.1f MB, %zu claims (intake accepted %u, expected %zu)\n", mb, self.claims,
                    ingest.accepted, self.expect_accepted);
            printf ("%-34s %12.0f claims/s %10.3f s\n", "ingest via upload (committed)",
                    bench_rate (claims, ingest.submit_usec), ingest.submit_usec / 1e6);
            s_print_status (&ingest);
            printf ("%-34s %12.1f MB (VmHWM)\n", "intake peak RSS after the submit", ingest.intake_peak_kb / 1024.0);
            printf ("%-34s %12.3f s  (%.1f us a claim, submit to outbox empty)\n",
                    "CPU: rcmq-intake during the ingest", ingest.intake_cpu_seconds,
                    ingest.intake_cpu_seconds * 1e6 / claims);
        }
        free (self.data);
        if (self.keep)
            fprintf (stderr, "bench: kept %s\n", self.root);
        else
            bench_rmtree (self.root);
        return failed;
    }

    //  --parse-only: parse + scrub in memory alone, for a profiler or an
    //  A/B of the parser (best of ROUNDS, against read-and-split).
    if (self.parse_only > 0 && !failed) {
        scrub_t *scrub = scrub_new ();
        uint64_t best = UINT64_MAX, split = UINT64_MAX;
        double best_cpu = -1;
        size_t segments = 0, accepted = 0;
        for (int round = 0; round < self.parse_only; round++) {
            uint64_t usec = s_split (&self, &segments);
            split = usec < split? usec: split;
            s_parse_t scrubbed = { .bench = &self, .scrub = scrub };
            double cpu = s_thread_cpu ();
            usec = s_parse (&self, &scrubbed);
            cpu = s_thread_cpu () - cpu;
            best = usec < best? usec: best;
            best_cpu = best_cpu < 0 || cpu < best_cpu? cpu: best_cpu;
            accepted = scrubbed.accepted;
        }
        //  Untimed: a digest of what the parser and the scrubber made, for
        //  comparing two builds' output on one file.
        s_parse_t digest = { .bench = &self, .scrub = scrub, .digest = true, .hash = 14695981039346656037ULL };
        if (self.digest)
            s_parse (&self, &digest);
        scrub_destroy (&scrub);
        printf ("parse + scrub %.3f s (CPU %.3f s, best of %d), read and split %.3f s, %zu accepted, "
                "digest %016llx\n", best / 1e6, best_cpu, self.parse_only, split / 1e6, accepted,
                (unsigned long long) digest.hash);
        free (self.data);
        if (!self.keep)
            bench_rmtree (self.root);
        return 0;
    }

    //  In memory, best of two.
    size_t segments = 0, tokens = 0;
    uint64_t split_usec = UINT64_MAX, tokenize_usec = UINT64_MAX, parse_usec = UINT64_MAX, scrub_usec = UINT64_MAX;
    double scrub_cpu = -1;      //  the thread's CPU seconds of the best parse + scrub
    size_t accepted = 0;
    scrub_t *scrub = scrub_new ();
    for (int round = 0; round < 2 && !failed; round++) {
        uint64_t usec = s_split (&self, &segments);
        split_usec = usec < split_usec? usec: split_usec;
        usec = s_tokenize (&self, &tokens);
        tokenize_usec = usec < tokenize_usec? usec: tokenize_usec;
        s_parse_t parse = { .bench = &self };
        usec = s_parse (&self, &parse);
        parse_usec = usec < parse_usec? usec: parse_usec;
        s_parse_t scrubbed = { .bench = &self, .scrub = scrub };
        double cpu = s_thread_cpu ();
        usec = s_parse (&self, &scrubbed);
        cpu = s_thread_cpu () - cpu;
        if (scrub_cpu < 0 || cpu < scrub_cpu)
            scrub_cpu = cpu;
        scrub_usec = usec < scrub_usec? usec: scrub_usec;
        accepted = scrubbed.accepted;
        if (scrubbed.claims != self.claims) {
            fprintf (stderr, "bench: parsed %zu claims of %zu\n", scrubbed.claims, self.claims);
            failed = 1;
        }
    }
    scrub_destroy (&scrub);

    //  LMDB with the same records (sealed and packed untimed).
    uint64_t lmdb_usec = 0;
    size_t record_bytes = 0;
    if (!failed) {
        char path [1300], error [256];
        snprintf (path, sizeof path, "%s/phi.key", self.keys);
        s_parse_t records = { .bench = &self };
        records.key = phi_key_load (path, error, sizeof error);
        records.records = (uint8_t **) calloc (self.claims, sizeof (uint8_t *));
        records.sizes = (size_t *) calloc (self.claims, sizeof (size_t));
        records.pcns = (char **) calloc (self.claims, sizeof (char *));
        if (records.key) {
            s_parse (&self, &records);
            lmdb_usec = s_lmdb (&self, &records, &record_bytes);
        }
        else
            fprintf (stderr, "bench: %s\n", error);
        for (size_t i = 0; i < self.claims; i++) {
            free (records.records [i]);
            free (records.pcns [i]);
        }
        free (records.records);
        free (records.sizes);
        free (records.pcns);
        phi_key_destroy (&records.key);
        failed |= lmdb_usec == 0;
    }

    //  Through the service.
    s_ingest_t ingest = { 0 };
    if (!failed && s_ingest (&self, &ingest) != 0)
        failed = 1;
    if (!failed && ingest.accepted != self.expect_accepted)
        fprintf (stderr, "bench: intake accepted %u claims, the generator expected %zu\n",
                 ingest.accepted, self.expect_accepted);

    //  The peer.
    double peer_seconds = -1;
    size_t peer_loops = 0, peer_segments = 0;
    if (!failed && self.peer)
        peer_seconds = s_peer (&self, &peer_loops, &peer_segments);
    s_npm_peer_t npm_peers [] = {
        { "node-x12", s_node_x12_script, -1, 0, 0 },
        { "x12-parser", s_x12_parser_script, -1, 0, 0 },
    };
    char node [PATH_MAX];
    if (!failed && self.peer && s_npm_install (&self, node, sizeof node))
        for (size_t i = 0; i < 2; i++)
            s_npm_peer (&self, node, &npm_peers [i]);

    if (failed) {
        fprintf (stderr, "bench intake: failed; kept %s\n", self.root);
        return 1;
    }
    double split_mbs = bench_rate (mb, split_usec), split_cps = bench_rate (claims, split_usec);
    double tokenize_mbs = bench_rate (mb, tokenize_usec);
    double parse_cps = bench_rate (claims, parse_usec);
    double scrub_cps = bench_rate (claims, scrub_usec), scrub_mbs = bench_rate (mb, scrub_usec);
    double lmdb_cps = bench_rate (claims, lmdb_usec);
    double ingest_cps = bench_rate (claims, ingest.submit_usec), broker_cps = bench_rate (claims, ingest.broker_usec);
    double ours_seconds = scrub_usec / 1e6;

    printf ("\nfile: %.1f MB, %zu segments, %zu claims (%zu pass scrub; intake accepted %u, expected %zu)\n\n",
            mb, segments, self.claims, accepted, ingest.accepted, self.expect_accepted);
    printf ("%-34s %12s %10s %10s\n", "", "claims/s", "MB/s", "seconds");
    printf ("%-34s %12.0f %10.1f %10.3f\n", "limit: read + split at terminators", split_cps, split_mbs, split_usec / 1e6);
    printf ("%-34s %12.0f %10.1f %10.3f\n", "x12 reader (tokenize + envelopes)", bench_rate (claims, tokenize_usec),
            tokenize_mbs, tokenize_usec / 1e6);
    printf ("%-34s %12.0f %10.1f %10.3f\n", "parse 837P to Claim messages", parse_cps, bench_rate (mb, parse_usec),
            parse_usec / 1e6);
    printf ("%-34s %12.0f %10.1f %10.3f\n", "parse + scrub", scrub_cps, scrub_mbs, ours_seconds);
    printf ("%-34s %12.0f %10.1f %10.3f\n", "limit: LMDB, same records, 1 txn", lmdb_cps, bench_rate (record_bytes / 1e6, lmdb_usec),
            lmdb_usec / 1e6);
    printf ("%-34s %12.0f %10.1f %10.3f\n", "ingest via upload (committed)", ingest_cps, bench_rate (mb, ingest.submit_usec),
            ingest.submit_usec / 1e6);
    printf ("%-34s %12.0f %10.1f %10.3f\n", "ingest + events at the broker", broker_cps, bench_rate (mb, ingest.broker_usec),
            ingest.broker_usec / 1e6);
    s_print_status (&ingest);
    printf ("%-34s %12.1f MB (VmHWM)\n", "intake peak RSS after the submit", ingest.intake_peak_kb / 1024.0);
    printf ("%-34s %12.3f s  (%.1f us a claim; the wall clock above is mostly the load)\n",
            "CPU: parse + scrub (best run)", scrub_cpu, scrub_cpu * 1e6 / (double) claims);
    printf ("%-34s %12.3f s  (%.1f us a claim, submit to outbox empty)\n",
            "CPU: rcmq-intake during the ingest", ingest.intake_cpu_seconds,
            ingest.intake_cpu_seconds * 1e6 / (double) claims);
    if (peer_seconds > 0)
        printf ("%-34s %12.0f %10.1f %10.3f   (%zu loops, %zu segments)\n", "peer: X12::Parser (parse only)",
                claims / peer_seconds, mb / peer_seconds, peer_seconds, peer_loops, peer_segments);
    else
        printf ("%-34s %12s\n", "peer: X12::Parser", "not run");
    for (size_t i = 0; i < 2; i++) {
        char label [64];
        snprintf (label, sizeof label, "peer: npm %s", npm_peers [i].name);
        if (npm_peers [i].seconds > 0)
            printf ("%-34s %12.0f %10.1f %10.3f   (%zu segments, peak RSS %.0f MB; %.1f x our parse + scrub time)\n",
                    label, claims / npm_peers [i].seconds, mb / npm_peers [i].seconds, npm_peers [i].seconds,
                    npm_peers [i].segments, npm_peers [i].rss_kb / 1024.0, npm_peers [i].seconds / ours_seconds);
        else
            printf ("%-34s %12s\n", label, "not run");
    }
    printf ("\nparse+scrub / split limit %.2f   ingest / LMDB limit %.2f   X12::Parser time / parse+scrub time %.1f\n",
            scrub_mbs / split_mbs, ingest_cps / lmdb_cps, peer_seconds > 0? peer_seconds / ours_seconds: 0);

    json_t *figures = json_pack ("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
        "claims", (json_int_t) self.claims, "file_mb", mb,
        "parse_scrub_claims_per_s", scrub_cps, "parse_scrub_mb_per_s", scrub_mbs,
        "parse_claims_per_s", parse_cps, "tokenize_mb_per_s", tokenize_mbs,
        "ingest_claims_per_s", ingest_cps, "ingest_to_broker_claims_per_s", broker_cps,
        "parse_scrub_seconds", ours_seconds);
    json_object_set_new (figures, "status_worst_ms", json_real (ingest.status_worst_usec / 1e3));
    json_object_set_new (figures, "apply_seconds", json_real (ingest.apply_usec / 1e6));
    json_object_set_new (figures, "status_slower_than_100ms", json_integer ((json_int_t) ingest.status_slow));
    json_object_set_new (figures, "status_probes", json_integer ((json_int_t) ingest.status_probes));
    json_object_set_new (figures, "intake_peak_rss_mb", json_real (ingest.intake_peak_kb / 1024.0));
    json_object_set_new (figures, "parse_scrub_cpu_seconds", json_real (scrub_cpu));
    json_object_set_new (figures, "intake_cpu_seconds", json_real (ingest.intake_cpu_seconds));
    json_object_set_new (figures, "x12parser_seconds", peer_seconds > 0? json_real (peer_seconds): json_null ());
    json_t *limits = json_pack ("{s:f, s:f, s:f, s:f}",
        "split_mb_per_s", split_mbs, "split_claims_per_s", split_cps, "lmdb_claims_per_s", lmdb_cps,
        "status_idle_worst_ms", ingest.status_idle_usec / 1e3);
    json_t *ratios = json_pack ("{s:f, s:f, s:f}",
        "parse_scrub_vs_split", scrub_mbs / split_mbs, "tokenize_vs_split", tokenize_mbs / split_mbs,
        "ingest_vs_lmdb", ingest_cps / lmdb_cps);
    json_object_set_new (ratios, "status_worst_vs_idle",
                         ingest.status_idle_usec? json_real ((double) ingest.status_worst_usec / ingest.status_idle_usec)
                                                : json_null ());
    json_object_set_new (ratios, "x12parser_time_vs_parse_scrub",
                         peer_seconds > 0? json_real (peer_seconds / ours_seconds): json_null ());
    //  node-x12 1.7.1 X12Parser and the streaming x12-parser 1.3.0: their
    //  time over ours (parse + scrub), null when not run.
    const char *npm_keys [] = { "node_x12", "x12_parser_stream" };
    for (size_t i = 0; i < 2; i++) {
        char key [96];
        snprintf (key, sizeof key, "%s_seconds", npm_keys [i]);
        json_object_set_new (figures, key, npm_peers [i].seconds > 0? json_real (npm_peers [i].seconds): json_null ());
        snprintf (key, sizeof key, "%s_rss_mb", npm_keys [i]);
        json_object_set_new (figures, key, npm_peers [i].seconds > 0? json_real (npm_peers [i].rss_kb / 1024.0)
                                                                    : json_null ());
        snprintf (key, sizeof key, "%s_time_vs_parse_scrub", npm_keys [i]);
        json_object_set_new (ratios, key, npm_peers [i].seconds > 0? json_real (npm_peers [i].seconds / ours_seconds)
                                                                   : json_null ());
    }
    bench_print_line ("intake", figures, limits, ratios, 6);
    free (self.data);
    if (self.keep)
        fprintf (stderr, "bench: kept %s\n", self.root);
    else
        bench_rmtree (self.root);
    return 0;
}
