/*  bench/e2e: a month of a practice's claims through the whole pipeline, as
    a user runs it, next to the limits of the same machine measured in the
    same run (issue 19).

    One deployment of real processes (rcmq-broker, -audit, -intake, -claims,
    -denials, -inquiry, -metrics, -web), durable (LMDB with fsync as in
    production), CURVE on every socket, temporary dirs and free ports. The
    stages are rcmqctl commands, each timed from its start to its exit:

        intake      `intake submit FILE` (chunks, prepared, applied in
                    steps; the reply is the batch), then until claims has
                    applied every intake event (claims.Submit needs them)
        submit      `claims submit` until its 837P files are on disk
        ack         `claims ack` of each payer's 277CA
        post        `claims post` of each 835
        catch_up    until every consumer that exists has applied every event:
                    `status --json` shows every outbox empty and every
                    process's consumed offset of each stream at its head
        kpi         `metrics kpi` (after the clock: a query, not a stage)

    Untimed and printed apart: scripts/gen-837 (N clean claims) and
    scripts/payer-sim (one wave, every claim accepted, paid 60 %, partial
    20 %, denied 20 %, PLB). The total is intake start to caught up, less the
    payer's time.

    Printed besides: claims/s, each process's peak memory (VmHWM, and the
    highest RssAnon seen by a sampler every 100 ms: LMDB's mapped pages are
    file pages, not anonymous ones), the stores' sizes on disk, and the
    limits, measured after the services stop:

        lmdb        the stage's writes into a fresh env: as many records as
                    claims, of the mean size of the service's claim records
                    (read back from its store), plus the events the stage
                    produced (its outbox's seq moved by as many), of the
                    mean size of the broker's events, in transactions of
                    10,000 claims, fsync at commit; keys rising (the best
                    case for LMDB)
        curve       bench/broker (build/bench/broker --size S --events E)
                    with E the events at the broker and S their mean size:
                    the broker alone to 1 and 3 subscribers, next to CURVE
                    PUSH/PULL to one receiver and to three

    A process of the deployment that dies ends the run at once, whatever
    it waits for, saying which one, how and in which stage, with the end
    of its log (bench_watch.h); the temp dir is kept.

    Per process and stage it also prints the kernel's CPU seconds and the
    page faults (/proc/PID/stat): on a VM a fault costs several times what
    it does on bare metal, and the kernel is a third of every process.

    It prints a table and ends with ONE JSON line:
        {"name":"e2e","figures":{...},"limits":{...},"ratios":{...}}

    Usage: e2e [--claims N] [--keep] [--perf DIR] [--fanout-events E] [--no-limits]
    --perf DIR runs `perf record -g` on every process for the whole run,
    DIR/<name>.data.

    Each consumer's apply (metrics, denials, audit): the events it applied
    in the run (its consumed offsets moved by as many) per CPU second it
    spent in the timed stages (a floor: its idle loop counts too), against
    LMDB writing as many records, of the mean size of its store's values,
    2,000 a transaction as the consumer commits (ratios
    <consumer>_apply_vs_lmdb).
*/
#include "bench_util.h"
#include "store.h"

#include <czmq.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef RCMQ_SOURCE_DIR
#   define RCMQ_SOURCE_DIR "."
#endif

extern char **environ;

#define BENCH_DEFAULT_CLAIMS    100000
#define BENCH_NOW               "2026-11-02T12:00:00Z"
#define BENCH_WAIT_S            3600
#define BENCH_LMDB_BATCH        10000
#define BENCH_MAX_FILES         64

//  The processes of the deployment. audit starts with the broker
//  (bench_spawn), so it has no program of its own here.
typedef struct {
    const char *name;
    const char *program;
    pid_t pid;
    pid_t perf;
    _Atomic uint64_t hwm_kb;
    _Atomic uint64_t anon_max_kb;
    uint64_t store_bytes;
    uint64_t cpu_ticks [8];     //  utime + stime at each mark (s_mark)
    uint64_t sys_ticks [8];     //  stime alone
    uint64_t faults [8];        //  minor + major page faults
} s_proc_t;

#define BENCH_PROCS 8

//  The marks between stages, where each process's CPU time is read: the
//  CPU each spent in a stage is the difference (payer-sim runs between
//  SUBMITTED and PAYER, untimed).
typedef enum { MARK_START, MARK_INTAKE, MARK_SUBMITTED, MARK_PAYER, MARK_ACK, MARK_POST, MARK_CAUGHT_UP,
               MARK_COUNT } s_mark_t;

typedef struct {
    size_t claims;
    size_t fanout_events;       //  0: as many as the run's
    bool keep;
    bool limits;
    const char *perf_dir;
    char build [PATH_MAX];
    char root [1024];
    char keys [1100];
    char config [1100];
    char rcmqctl [PATH_MAX + 16];
    char file [1100];
    s_proc_t procs [BENCH_PROCS];
    pthread_t sampler;
    atomic_bool sampling;
    //  Stage times (usec) and what the stages did.
    uint64_t gen_usec, payer_usec;
    uint64_t intake_usec, intake_cmd_usec, submit_usec, ack_usec, post_usec, catch_up_usec, kpi_usec;
    size_t accepted;
    char *files_277 [BENCH_MAX_FILES], *files_835 [BENCH_MAX_FILES];
    size_t count_277, count_835;
    uint64_t events_ingest, events_submit, events_post;     //  outbox seqs moved
    uint64_t events_total;      //  at the broker, every stream
    double event_bytes;         //  their mean size
    double intake_record_bytes, claims_record_bytes;
    //  The consumers' apply (s_consumers): offsets summed over the streams
    //  each consumes, at the start and once caught up.
    uint64_t consumed_start [BENCH_PROCS], consumed_end [BENCH_PROCS];
} bench_t;

//  The consumers whose apply is set against LMDB (ratios
//  <name>_apply_vs_lmdb), and the transaction the limit writes in: the
//  consumer's own (common/consumer.c applies at most 2,000 live events a
//  transaction, a fetch's 2,000).
static const char *const s_consumers [] = { "metrics", "denials", "audit" };
#define BENCH_CONSUMERS      3
#define BENCH_CONSUMER_BATCH 2000

static const s_proc_t s_procs [BENCH_PROCS] = {
    { .name = "broker",  .program = "services/broker/rcmq-broker" },
    { .name = "audit",   .program = NULL },
    { .name = "intake",  .program = "services/intake/rcmq-intake" },
    { .name = "claims",  .program = "services/claims/rcmq-claims" },
    { .name = "denials", .program = "services/denials/rcmq-denials" },
    { .name = "inquiry", .program = "services/inquiry/rcmq-inquiry" },
    { .name = "metrics", .program = "services/metrics/rcmq-metrics" },
    //  Not a consumer, but a process of the deployment: rcmqctl status
    //  waits its whole --timeout for one that does not answer.
    { .name = "web",     .program = "services/web/rcmq-web" },
};

static s_proc_t *
s_proc (bench_t *self, const char *name)
{
    for (int i = 0; i < BENCH_PROCS; i++)
        if (streq (self->procs [i].name, name))
            return &self->procs [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Memory: VmHWM and the highest RssAnon, sampled

static void
s_sample (s_proc_t *proc)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) proc->pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    while (fgets (line, sizeof line, file)) {
        unsigned long long kb;
        if (sscanf (line, "VmHWM: %llu kB", &kb) == 1)
            proc->hwm_kb = kb;
        else
        if (sscanf (line, "RssAnon: %llu kB", &kb) == 1 && kb > proc->anon_max_kb)
            proc->anon_max_kb = kb;
    }
    fclose (file);
}

//  What /proc/PID/stat says of a process's CPU and page faults (zeros
//  when it is gone). Faults are counted because on a VM each costs far
//  more than on bare metal: a writable map's pages fault again after
//  every sync, and memory given back to the system faults when reused.
typedef struct {
    uint64_t cpu_ticks, sys_ticks, faults;
} s_stat_t;

static s_stat_t
s_proc_stat (pid_t pid)
{
    s_stat_t stat = { 0, 0, 0 };
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return stat;
    if (fgets (line, sizeof line, file)) {
        //  After the ")" that ends the command name: state is field 3,
        //  minflt 10, majflt 12, utime 14 and stime 15.
        char *field = strrchr (line, ')');
        unsigned long long minflt = 0, majflt = 0, utime = 0, stime = 0;
        if (field && sscanf (field + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu %*u %llu %llu",
                             &minflt, &majflt, &utime, &stime) == 4)
            stat = (s_stat_t) { utime + stime, stime, minflt + majflt };
    }
    fclose (file);
    return stat;
}

static void
s_mark (bench_t *self, s_mark_t mark)
{
    for (int i = 0; i < BENCH_PROCS; i++)
        if (self->procs [i].pid > 0) {
            s_stat_t stat = s_proc_stat (self->procs [i].pid);
            self->procs [i].cpu_ticks [mark] = stat.cpu_ticks;
            self->procs [i].sys_ticks [mark] = stat.sys_ticks;
            self->procs [i].faults [mark] = stat.faults;
        }
}

static void *
s_sampler (void *arg)
{
    bench_t *self = (bench_t *) arg;
    while (atomic_load (&self->sampling)) {
        for (int i = 0; i < BENCH_PROCS; i++)
            if (self->procs [i].pid > 0)
                s_sample (&self->procs [i]);
        usleep (100000);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The deployment

static int
s_start (bench_t *self)
{
    snprintf (self->config, sizeof self->config, "%s/rcmq.conf", self->root);
    FILE *file = bench_config_open (self->config, self->keys, self->root);
    if (!file)
        return -1;
    fprintf (file, "intake\n    api = \"tcp://127.0.0.1:%d\"\n    inbox-dir = \"%s/inbox\"\n"
                   "    ack-dir = \"%s/acks\"\n", bench_free_port (), self->root, self->root);
    const char *services [] = { "claims", "denials", "inquiry", "metrics" };
    for (size_t i = 0; i < 4; i++)
        fprintf (file, "%s\n    api = \"tcp://127.0.0.1:%d\"\n", services [i], bench_free_port ());
    fprintf (file, "web\n    api = \"tcp://127.0.0.1:%d\"\n    http = \"127.0.0.1:%d\"\n",
             bench_free_port (), bench_free_port ());
    fprintf (file, "client\n    name = \"admin\"\n");
    fclose (file);
    setenv ("RCMQ_NOW", BENCH_NOW, 1);
    int rc = 0;
    for (int i = 0; i < BENCH_PROCS; i++) {
        s_proc_t *proc = &self->procs [i];
        if (!proc->program)
            continue;
        proc->pid = bench_spawn (self->build, self->root, proc->program, self->config, proc->name);
        if (proc->pid <= 0)
            rc = -1;
        if (streq (proc->name, "broker"))
            s_proc (self, "audit")->pid = bench_audit_pid ();
    }
    return rc;
}

//  Runs rcmqctl --config CONF --timeout 900000 ARGS..., stdout to out_path
//  (or the log). Its exit status.
static int
s_ctl (bench_t *self, const char *out_path, const char *const *args)
{
    char *argv [32];
    int count = 0;
    argv [count++] = self->rcmqctl;
    argv [count++] = "--config";
    argv [count++] = self->config;
    argv [count++] = "--timeout";
    argv [count++] = "900000";
    for (size_t i = 0; args [i] && count < 31; i++)
        argv [count++] = (char *) args [i];
    argv [count] = NULL;
    return bench_run (self->root, argv, out_path);
}

//  `rcmqctl status --json`, parsed (NULL when it printed nothing).
static json_t *
s_status (bench_t *self)
{
    char out [1200];
    snprintf (out, sizeof out, "%s/status.json", self->root);
    //  Its own --timeout comes after ours and wins: a short one.
    const char *status_args [] = { "--timeout", "5000", "status", "--json", NULL };
    s_ctl (self, out, status_args);       //  non-zero while one is not up yet
    return json_load_file (out, 0, NULL);
}

static json_t *
s_status_process (json_t *status, const char *name)
{
    json_t *processes = json_object_get (status, "processes");
    for (size_t i = 0; i < json_array_size (processes); i++) {
        json_t *process = json_array_get (processes, i);
        if (streq (json_string_value (json_object_get (process, "name")) ?: "", name))
            return process;
    }
    return NULL;
}

static uint64_t
s_status_head (json_t *status, const char *stream)
{
    json_t *streams = json_object_get (json_object_get (status, "broker"), "streams");
    for (size_t i = 0; i < json_array_size (streams); i++) {
        json_t *row = json_array_get (streams, i);
        if (streq (json_string_value (json_object_get (row, "stream")) ?: "", stream))
            return (uint64_t) json_integer_value (json_object_get (row, "head_seq"));
    }
    return 0;
}

static uint64_t
s_status_u64 (json_t *status, const char *name, const char *field)
{
    return (uint64_t) json_integer_value (json_object_get (s_status_process (status, name), field));
}

//  Every process we run is up and (but the broker) connected.
static bool
s_ready (bench_t *self, json_t *status, char *why, size_t size)
{
    for (int i = 0; i < BENCH_PROCS; i++) {
        json_t *process = s_status_process (status, self->procs [i].name);
        if (!json_is_true (json_object_get (process, "up"))
        || (i > 0 && !json_is_true (json_object_get (process, "broker_connected")))) {
            snprintf (why, size, "%s not up and connected", self->procs [i].name);
            return false;
        }
    }
    return true;
}

//  Every outbox empty, and every consumer of every stream at its head.
//  With only = "claims", stream = "intake": that one consumer and stream.
static bool
s_caught_up (bench_t *self, json_t *status, const char *only, const char *only_stream, char *why, size_t size)
{
    if (!s_ready (self, status, why, size))
        return false;
    for (int i = 1; i < BENCH_PROCS; i++) {
        json_t *process = s_status_process (status, self->procs [i].name);
        uint64_t depth = (uint64_t) json_integer_value (json_object_get (process, "outbox_depth"));
        if (depth && (!only || streq (self->procs [i].name, "intake"))) {
            snprintf (why, size, "%s: %" PRIu64 " events in its outbox", self->procs [i].name, depth);
            return false;
        }
        if (only && !streq (self->procs [i].name, only))
            continue;
        const char *stream;
        json_t *seq;
        json_object_foreach (json_object_get (process, "consumed"), stream, seq) {
            if (only_stream && !streq (stream, only_stream))
                continue;
            uint64_t head = s_status_head (status, stream);
            if ((uint64_t) json_integer_value (seq) < head) {
                snprintf (why, size, "%s: %s at %" PRIu64 " of %" PRIu64, self->procs [i].name, stream,
                          (uint64_t) json_integer_value (seq), head);
                return false;
            }
        }
    }
    return true;
}

//  Waits for s_caught_up (or, with ready_only, s_ready). 0, or -1 after
//  BENCH_WAIT_S or as soon as a process of ours died (bench_watch.h).
//  *last gets the last status (caller frees).
static int
s_wait (bench_t *self, bool ready_only, const char *only, const char *only_stream, json_t **last)
{
    char why [256] = "";
    size_t polls = 0;
    uint64_t deadline = bench_usec () + BENCH_WAIT_S * 1000000ULL;
    while (bench_usec () < deadline) {
        json_t *status = s_status (self);
        bool done = status && (ready_only? s_ready (self, status, why, sizeof why)
                                         : s_caught_up (self, status, only, only_stream, why, sizeof why));
        if (done) {
            if (last)
                *last = status;
            else
                json_decref (status);
            return 0;
        }
        json_decref (status);
        //  What it waits for, now and then, when asked (RCMQ_BENCH_VERBOSE).
        if (getenv ("RCMQ_BENCH_VERBOSE") && ++polls % 10 == 0)
            fprintf (stderr, "bench: waiting: %s\n", why);
        if (bench_watch_sleep (100000)) {
            fprintf (stderr, "bench: stopped waiting (%s)\n", why);
            return -1;
        }
    }
    fprintf (stderr, "bench: still waiting after %d s: %s\n", BENCH_WAIT_S, why);
    return -1;
}

static void
s_perf_start (bench_t *self)
{
    for (int i = 0; self->perf_dir && i < BENCH_PROCS; i++) {
        s_proc_t *proc = &self->procs [i];
        char pid [16], out [PATH_MAX], log [PATH_MAX];
        snprintf (pid, sizeof pid, "%d", (int) proc->pid);
        snprintf (out, sizeof out, "%s/%s.data", self->perf_dir, proc->name);
        snprintf (log, sizeof log, "%s/perf-%s.log", self->root, proc->name);
        char *argv [] = { "perf", "record", "-g", "-F", "499", "-p", pid, "-o", out, NULL };
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init (&actions);
        posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen (&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2 (&actions, 1, 2);
        if (posix_spawnp (&proc->perf, "perf", &actions, NULL, argv, environ))
            proc->perf = 0;
        posix_spawn_file_actions_destroy (&actions);
    }
    if (self->perf_dir)
        sleep (1);              //  perf attaches
}

static void
s_perf_stop (bench_t *self)
{
    for (int i = 0; i < BENCH_PROCS; i++)
        if (self->procs [i].perf > 0) {
            kill (self->procs [i].perf, SIGINT);
            waitpid (self->procs [i].perf, NULL, 0);
            self->procs [i].perf = 0;
        }
}

//  --------------------------------------------------------------------------
//  The stages

static int
s_generate (bench_t *self)
{
    char claims [32], expect [1200];
    snprintf (claims, sizeof claims, "%zu", self->claims);
    snprintf (self->file, sizeof self->file, "%s/claims.837", self->root);
    snprintf (expect, sizeof expect, "%s/claims.json", self->root);
    uint64_t start = bench_usec ();
    char *gen [] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/gen-837", "--seed", "42",
                     "--claims", claims, "--envelopes", "4", "--out", self->file, "--expect", expect, NULL };
    int rc = bench_run (self->root, gen, NULL);
    self->gen_usec = bench_usec () - start;
    if (rc)
        fprintf (stderr, "bench: scripts/gen-837 failed (see %s/bench.log)\n", self->root);
    return rc? -1: 0;
}

//  Runs a stage's rcmqctl command with --json into DIR/<tag>.json and
//  returns that parsed (NULL on failure, said why); *usec += its time.
static json_t *
s_stage (bench_t *self, const char *tag, const char *const *args, uint64_t *usec)
{
    char out [1200];
    snprintf (out, sizeof out, "%s/%s.json", self->root, tag);
    uint64_t start = bench_usec ();
    int rc = s_ctl (self, out, args);
    *usec += bench_usec () - start;
    json_t *reply = rc == 0? json_load_file (out, 0, NULL): NULL;
    if (!reply && !bench_watch_died ())     //  else that was said
        fprintf (stderr, "bench: rcmqctl %s %s failed (exit %d; see %s/bench.log)\n", args [0], args [1], rc,
                 self->root);
    return reply;
}

//  The sum over the services of outbox_next_seq (events and records
//  produced so far).
static uint64_t
s_outbox_seq (json_t *status, const char *name)
{
    return s_status_u64 (status, name, "outbox_next_seq");
}

//  The files DIR/PATTERN, sorted. 0, or -1 when none.
//  A process's consumed offsets, summed over its streams: the events it
//  has applied (or passed over as not its own) since its store began.
static uint64_t
s_consumed (json_t *status, const char *name)
{
    uint64_t sum = 0;
    const char *stream;
    json_t *seq;
    json_object_foreach (json_object_get (s_status_process (status, name), "consumed"), stream, seq)
        sum += (uint64_t) json_integer_value (seq);
    return sum;
}

static int
s_glob (const char *dir, const char *pattern, glob_t *found)
{
    char path [1400];
    snprintf (path, sizeof path, "%s/%s", dir, pattern);
    return glob (path, 0, NULL, found) == 0? 0: -1;
}

static int
s_run (bench_t *self)
{
    json_t *status = NULL;
    if (s_wait (self, true, NULL, NULL, &status))
        return -1;
    uint64_t intake_seq = s_outbox_seq (status, "intake");
    for (int i = 0; i < BENCH_PROCS; i++)
        self->consumed_start [i] = s_consumed (status, self->procs [i].name);
    json_decref (status);
    s_perf_start (self);
    s_mark (self, MARK_START);

    //  intake
    bench_watch_stage ("intake");
    const char *intake_args [] = { "--json", "intake", "submit", self->file, NULL };
    json_t *batch = s_stage (self, "intake", intake_args, &self->intake_cmd_usec);
    self->accepted = (size_t) json_integer_value (json_object_get (batch, "accepted"));
    bool ok = batch && streq (json_string_value (json_object_get (batch, "status")) ?: "", "completed")
           && self->accepted > 0;
    json_decref (batch);
    if (!ok)
        return -1;
    self->intake_usec = self->intake_cmd_usec;
    uint64_t start = bench_usec ();
    if (s_wait (self, false, "claims", "intake", &status))
        return -1;
    self->intake_usec += bench_usec () - start;
    s_mark (self, MARK_INTAKE);
    self->events_ingest = s_outbox_seq (status, "intake") - intake_seq;
    uint64_t claims_seq = s_outbox_seq (status, "claims");
    json_decref (status);
    printf ("intake    %8.2f s  (rcmqctl intake submit %.2f s, then claims has every claim; %zu accepted)\n",
            self->intake_usec / 1e6, self->intake_cmd_usec / 1e6, self->accepted);
    fflush (stdout);

    //  submit: the reply lists the files; they are written after the commit
    const char *submit_args [] = { "--json", "claims", "submit", NULL };
    bench_watch_stage ("submit");
    start = bench_usec ();
    json_t *reply = s_stage (self, "submit", submit_args, &self->submit_usec);
    json_t *files = json_object_get (reply, "files");
    size_t file_count = json_array_size (files);
    char outbound [1200];
    snprintf (outbound, sizeof outbound, "%s/data/outbound", self->root);
    bool died = false;
    for (size_t i = 0; i < json_array_size (files) && !died; i++) {
        const char *name = json_string_value (json_array_get (files, i));
        const char *slash = strrchr (name, '/');
        char path [1400];
        snprintf (path, sizeof path, "%s/%s", outbound, slash? slash + 1: name);
        while (!died && !zsys_file_exists (path) && bench_usec () - start < BENCH_WAIT_S * 1000000ULL)
            died = bench_watch_sleep (20000) != 0;
    }
    self->submit_usec = bench_usec () - start;
    s_mark (self, MARK_SUBMITTED);
    ok = reply && (size_t) json_integer_value (json_object_get (reply, "claims")) == self->accepted;
    if (!ok && reply)
        fprintf (stderr, "bench: claims submit sent %lld claims of %zu\n",
                 (long long) json_integer_value (json_object_get (reply, "claims")), self->accepted);
    json_decref (reply);
    if (!ok || died)
        return -1;
    printf ("submit    %8.2f s  (%zu 837P files)\n", self->submit_usec / 1e6, file_count);

    //  The payer, untimed
    bench_watch_stage ("payer-sim");
    start = bench_usec ();
    char remits [1200], remits_expect [1200];
    snprintf (remits, sizeof remits, "%s/remits", self->root);
    snprintf (remits_expect, sizeof remits_expect, "%s/remits.json", self->root);
    char *sim [] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/payer-sim", "--seed", "7",
                     "--out", remits, "--expect", remits_expect, "--waves", "1", "--accept-rate", "1",
                     "--missing-277-rate", "0", "--mix", "paid=0.6,partial=0.2,denied=0.2", "--plb",
                     outbound, NULL };
    if (bench_run (self->root, sim, NULL) != 0) {
        if (!bench_watch_died ())
            fprintf (stderr, "bench: scripts/payer-sim failed (see %s/bench.log)\n", self->root);
        return -1;
    }
    self->payer_usec = bench_usec () - start;
    s_mark (self, MARK_PAYER);
    //  Its files by name (its --expect JSON is ~1 KB a claim: not loaded).
    glob_t found;
    if (s_glob (remits, "277CA-*.x12", &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc && self->count_277 < BENCH_MAX_FILES; i++)
            self->files_277 [self->count_277++] = strdup (found.gl_pathv [i]);
        globfree (&found);
    }
    if (s_glob (remits, "835-*.x12", &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc && self->count_835 < BENCH_MAX_FILES; i++)
            self->files_835 [self->count_835++] = strdup (found.gl_pathv [i]);
        globfree (&found);
    }
    printf ("(payer-sim %.2f s, untimed: %zu 277CA, %zu 835)\n", self->payer_usec / 1e6, self->count_277,
            self->count_835);

    //  ack
    bench_watch_stage ("ack");
    size_t acked = 0;
    for (size_t i = 0; i < self->count_277; i++) {
        const char *args [] = { "--json", "claims", "ack", self->files_277 [i], NULL };
        reply = s_stage (self, "ack", args, &self->ack_usec);
        if (!reply)
            return -1;
        acked += (size_t) json_integer_value (json_object_get (reply, "accepted"));
        json_decref (reply);
    }
    s_mark (self, MARK_ACK);
    printf ("ack       %8.2f s  (%zu claims accepted)\n", self->ack_usec / 1e6, acked);

    //  post
    bench_watch_stage ("post");
    size_t posted = 0;
    for (size_t i = 0; i < self->count_835; i++) {
        const char *args [] = { "--json", "claims", "post", self->files_835 [i], NULL };
        reply = s_stage (self, "post", args, &self->post_usec);
        if (!reply)
            return -1;
        posted += (size_t) json_integer_value (json_object_get (reply, "claims_posted"));
        json_decref (reply);
    }
    s_mark (self, MARK_POST);
    printf ("post      %8.2f s  (%zu claims posted)\n", self->post_usec / 1e6, posted);
    fflush (stdout);

    //  every consumer caught up
    bench_watch_stage ("catch_up");
    start = bench_usec ();
    if (s_wait (self, false, NULL, NULL, &status))
        return -1;
    self->catch_up_usec = bench_usec () - start;
    s_mark (self, MARK_CAUGHT_UP);
    //  What claims produced in submit, ack and post (request records of
    //  the run's few calls besides).
    uint64_t claims_events = s_outbox_seq (status, "claims") - claims_seq;
    for (int i = 0; i < BENCH_PROCS; i++)
        self->consumed_end [i] = s_consumed (status, self->procs [i].name);
    self->events_submit = self->accepted;
    self->events_post = claims_events > self->events_submit? claims_events - self->events_submit: 0;
    self->events_total = 0;
    json_t *streams = json_object_get (json_object_get (status, "broker"), "streams");
    for (size_t i = 0; i < json_array_size (streams); i++)
        self->events_total += (uint64_t) json_integer_value (json_object_get (json_array_get (streams, i),
                                                                              "events"));
    json_decref (status);
    printf ("catch-up  %8.2f s  (every outbox empty, every consumer at its streams' heads; %" PRIu64
            " events at the broker)\n", self->catch_up_usec / 1e6, self->events_total);

    //  The KPIs, once
    bench_watch_stage ("kpi");
    const char *kpi_args [] = { "--json", "metrics", "kpi", NULL };
    reply = s_stage (self, "kpi", kpi_args, &self->kpi_usec);
    if (!reply)
        return -1;
    json_decref (reply);
    printf ("kpi       %8.3f s  (rcmqctl metrics kpi, after the clock)\n", self->kpi_usec / 1e6);
    fflush (stdout);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sizes on disk

static _Thread_local uint64_t s_du_bytes;

static int
s_du_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F)
        s_du_bytes += (uint64_t) st->st_blocks * 512;
    return 0;
}

static uint64_t
s_du (const char *dir)
{
    s_du_bytes = 0;
    nftw (dir, s_du_one, 16, FTW_PHYS);
    return s_du_bytes;
}

//  Entries and value bytes of one table of a stopped service's store.
static int
s_table_stats (const char *dir, const char *table, size_t *count, size_t *bytes)
{
    char error [256];
    const char *tables [] = { table, NULL };
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench: %s: %s\n", dir, error);
        return -1;
    }
    *count = *bytes = 0;
    MDB_txn *txn = store_read_begin (store);
    store_iter_t *iter = txn? store_iter_new (store, txn, table, NULL, 0): NULL;
    MDB_val key, value;
    while (iter && store_iter_next (iter, &key, &value)) {
        (*count)++;
        *bytes += value.mv_size;
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    store_destroy (&store);
    return 0;
}

//  Entries and value bytes of every table of a stopped service's store but
//  the consumer's own "offsets".
typedef struct {
    size_t count, bytes;
} s_stats_t;

static void
s_stats_row (void *arg, const char *table, const MDB_val *key, const MDB_val *value)
{
    (void) key;
    s_stats_t *stats = (s_stats_t *) arg;
    if (streq (table, "offsets"))
        return;
    stats->count++;
    stats->bytes += value->mv_size;
}

static int
s_store_stats (const char *dir, size_t *count, size_t *bytes)
{
    s_stats_t stats = { 0, 0 };
    int rc = bench_env_rows (dir, s_stats_row, &stats);
    *count = stats.count;
    *bytes = stats.bytes;
    return rc;
}

//  --------------------------------------------------------------------------
//  The LMDB limit: records and events into a fresh env

typedef struct {
    uint64_t from, count;       //  records of this transaction
    size_t record_size;
    double events_per_record;
    size_t event_size;
    uint64_t *event_seq;
    uint8_t *value;
} s_lmdb_batch_t;

static int
s_lmdb_fill (store_t *store, MDB_txn *txn, void *arg)
{
    s_lmdb_batch_t *batch = (s_lmdb_batch_t *) arg;
    double events = 0;
    for (uint64_t i = 0; i < batch->count; i++) {
        uint8_t key [8];
        store_u64_write (key, batch->from + i);
        memcpy (batch->value, &i, sizeof i);
        int rc = store_put (store, txn, "records", key, sizeof key, batch->value, batch->record_size);
        for (events += batch->events_per_record; rc == 0 && events >= 1; events -= 1) {
            store_u64_write (key, ++*batch->event_seq);
            rc = store_put (store, txn, "events", key, sizeof key, batch->value, batch->event_size);
        }
        if (rc)
            return rc;
    }
    return 0;
}

//  Seconds to write `records` records of record_size and `events` events
//  of event_size, per_txn records a transaction; 0 on error.
static double
s_lmdb (bench_t *self, const char *tag, size_t records, size_t record_size, size_t events, size_t event_size,
        size_t per_txn)
{
    char dir [1300], error [256];
    snprintf (dir, sizeof dir, "%s/lmdb-%s", self->root, tag);
    zsys_dir_create ("%s", dir);
    static const char *tables [] = { "records", "events", NULL };
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench: lmdb: %s\n", error);
        return 0;
    }
    size_t largest = record_size > event_size? record_size: event_size;
    store_set_map_size (store, (records * record_size + events * event_size) * 3 + (64u << 20));
    uint64_t event_seq = 0;
    s_lmdb_batch_t batch = { .from = 1, .record_size = record_size, .event_size = event_size,
                             .events_per_record = records? (double) events / (double) records: 0,
                             .event_seq = &event_seq, .value = (uint8_t *) malloc (largest + 8) };
    randombytes_buf (batch.value, largest + 8);
    uint64_t start = bench_usec ();
    int rc = 0;
    while (rc == 0 && batch.from <= records) {
        batch.count = records - batch.from + 1;
        if (batch.count > per_txn)
            batch.count = per_txn;
        rc = store_write (store, s_lmdb_fill, &batch);
        batch.from += batch.count;
    }
    uint64_t usec = bench_usec () - start;
    if (rc)
        fprintf (stderr, "bench: lmdb: %s\n", store_error (store));
    free (batch.value);
    store_destroy (&store);
    bench_rmtree (dir);
    return rc? 0: usec / 1e6;
}

//  bench/broker at our events' count and mean size; its JSON line.
static json_t *
s_fanout_limits (bench_t *self, size_t events, size_t size)
{
    char program [PATH_MAX + 32], events_arg [32], size_arg [32], out [1200];
    snprintf (program, sizeof program, "%s/bench/broker", self->build);
    snprintf (events_arg, sizeof events_arg, "%zu", events);
    snprintf (size_arg, sizeof size_arg, "%zu", size);
    snprintf (out, sizeof out, "%s/broker-bench.out", self->root);
    char *argv [] = { program, "--events", events_arg, "--size", size_arg, NULL };
    int rc = bench_run (self->root, argv, out);
    FILE *file = fopen (out, "r");
    char *line = NULL, *last = NULL;
    size_t length = 0;
    while (file && getline (&line, &length, file) > 0) {
        printf ("    | %s", line);
        if (line [0] == '{') {
            free (last);
            last = strdup (line);
        }
    }
    free (line);
    if (file)
        fclose (file);
    json_t *result = last? json_loads (last, 0, NULL): NULL;
    free (last);
    if (rc || !result)
        fprintf (stderr, "bench: bench/broker failed (exit %d; see %s)\n", rc, out);
    return result;
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    fprintf (stderr, "usage: e2e [--claims N] [--keep] [--perf DIR] [--fanout-events E] [--no-limits]\n");
}

int
main (int argc, char *argv [])
{
    bench_t bench = { .claims = BENCH_DEFAULT_CLAIMS, .limits = true };
    bench_t *self = &bench;
    memcpy (self->procs, s_procs, sizeof s_procs);
    static struct option options [] = {
        { "claims",        required_argument, NULL, 'c' },
        { "events",        required_argument, NULL, 'e' },  //  scripts/bench passes it to every bench
        { "fanout-events", required_argument, NULL, 'f' },
        { "perf",          required_argument, NULL, 'p' },
        { "no-limits",     no_argument,       NULL, 'n' },
        { "keep",          no_argument,       NULL, 'k' },
        { "help",          no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c')
            self->claims = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'e')
            ;                   //  the broker's; ours is --claims
        else
        if (option == 'f')
            self->fanout_events = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'p')
            self->perf_dir = optarg;
        else
        if (option == 'n')
            self->limits = false;
        else
        if (option == 'k')
            self->keep = true;
        else
        if (option == 'h') {
            s_usage ();
            return 0;
        }
        else
            fprintf (stderr, "bench e2e: ignoring unknown option %s\n", argv [optind - 1]);
    }
    if (self->claims < 10) {
        s_usage ();
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    bench_build_dir (self->build, sizeof self->build);
    snprintf (self->rcmqctl, sizeof self->rcmqctl, "%.4000s/cli/rcmqctl", self->build);
    if (bench_tmpdir (self->root, sizeof self->root, "e2e")) {
        perror ("bench: mkdtemp");
        return 1;
    }
    snprintf (self->keys, sizeof self->keys, "%.1000s/keys", self->root);
    zsys_init ();
    zsys_set_logstream (NULL);
    if (self->perf_dir)
        zsys_dir_create ("%s", self->perf_dir);

    printf ("e2e bench: %zu claims through broker, audit, intake, claims, denials, inquiry, metrics, web "
            "(durable, CURVE; temp %s)\n", self->claims, self->root);
    fflush (stdout);
    int failed = s_generate (self);
    if (!failed)
        printf ("(gen-837 %.2f s, untimed)\n", self->gen_usec / 1e6);
    failed = failed || bench_keys_init (self->build, self->root, self->keys) != 0 || s_start (self);
    if (!failed) {
        atomic_store (&self->sampling, true);
        pthread_create (&self->sampler, NULL, s_sampler, self);
        failed = s_run (self);
        atomic_store (&self->sampling, false);
        pthread_join (self->sampler, NULL);
        for (int i = 0; i < BENCH_PROCS; i++)
            if (self->procs [i].pid > 0)
                s_sample (&self->procs [i]);
    }
    s_perf_stop (self);
    for (int i = BENCH_PROCS - 1; i >= 0; i--)
        if (self->procs [i].program)
            bench_stop (&self->procs [i].pid);
    if (failed) {
        fprintf (stderr, "bench e2e: failed; kept %s (logs there)\n", self->root);
        return 1;
    }

    //  Stores, and the sizes the limits take.
    char dir [1300];
    uint64_t store_total = 0;
    for (int i = 0; i < BENCH_PROCS; i++) {
        snprintf (dir, sizeof dir, "%.1000s/data/%.100s", self->root, self->procs [i].name);
        self->procs [i].store_bytes = s_du (dir);
        store_total += self->procs [i].store_bytes;
    }
    size_t count = 0, bytes = 0;
    snprintf (dir, sizeof dir, "%.1000s/data/intake", self->root);
    if (s_table_stats (dir, "claims", &count, &bytes) == 0 && count)
        self->intake_record_bytes = (double) bytes / (double) count;
    snprintf (dir, sizeof dir, "%.1000s/data/claims", self->root);
    if (s_table_stats (dir, "claims", &count, &bytes) == 0 && count)
        self->claims_record_bytes = (double) bytes / (double) count;
    snprintf (dir, sizeof dir, "%.1000s/data/broker", self->root);
    if (s_table_stats (dir, "events", &count, &bytes) == 0 && count)
        self->event_bytes = (double) bytes / (double) count;

    double total_s = (self->intake_usec + self->submit_usec + self->ack_usec + self->post_usec
                    + self->catch_up_usec) / 1e6;
    double claims = (double) self->accepted;
    printf ("\n%-10s %10s %12s\n", "stage", "seconds", "claims/s");
    const struct { const char *name; uint64_t usec; } stages [] = {
        { "intake", self->intake_usec }, { "submit", self->submit_usec }, { "ack", self->ack_usec },
        { "post", self->post_usec }, { "catch_up", self->catch_up_usec }
    };
    for (size_t i = 0; i < 5; i++)
        printf ("%-10s %10.2f %12.0f\n", stages [i].name, stages [i].usec / 1e6, bench_rate (claims, stages [i].usec));
    printf ("%-10s %10.2f %12.0f\n", "total", total_s, total_s > 0? claims / total_s: 0);

    printf ("\n%-8s %12s %14s %12s\n", "process", "VmHWM MB", "RssAnon max MB", "store MB");
    json_t *memory = json_object ();
    for (int i = 0; i < BENCH_PROCS; i++) {
        s_proc_t *proc = &self->procs [i];
        printf ("%-8s %12.1f %14.1f %12.1f\n", proc->name, proc->hwm_kb / 1024.0, proc->anon_max_kb / 1024.0,
                proc->store_bytes / 1e6);
        json_object_set_new (memory, proc->name, json_pack ("{s:f, s:f, s:f}", "vmhwm_mb", proc->hwm_kb / 1024.0,
                             "rss_anon_max_mb", proc->anon_max_kb / 1024.0, "store_mb", proc->store_bytes / 1e6));
    }
    printf ("%-8s %12s %14s %12.1f\n", "all", "", "", store_total / 1e6);

    //  CPU seconds of each process in each stage: wall time far above
    //  the CPU spent is waiting (fsync, the other processes, the box).
    static const struct { const char *name; s_mark_t from, to; } spans [] = {
        { "intake", MARK_START, MARK_INTAKE }, { "submit", MARK_INTAKE, MARK_SUBMITTED },
        { "ack", MARK_PAYER, MARK_ACK }, { "post", MARK_ACK, MARK_POST }, { "catch_up", MARK_POST, MARK_CAUGHT_UP }
    };
    double tick = (double) sysconf (_SC_CLK_TCK);
    printf ("\nCPU seconds (user + system) %-10s", "");
    for (size_t s = 0; s < 5; s++)
        printf (" %9s", spans [s].name);
    printf (" %9s\n", "all");
    json_t *cpu = json_object ();
    for (int i = 0; i < BENCH_PROCS; i++) {
        s_proc_t *proc = &self->procs [i];
        printf ("%-38s", proc->name);
        double all = 0;
        json_t *row = json_object ();
        for (size_t s = 0; s < 5; s++) {
            double seconds = (double) (proc->cpu_ticks [spans [s].to] - proc->cpu_ticks [spans [s].from]) / tick;
            all += seconds;
            printf (" %9.2f", seconds);
            json_object_set_new (row, spans [s].name, json_real (seconds));
        }
        printf (" %9.2f\n", all);
        json_object_set_new (cpu, proc->name, row);
    }
    printf ("%-38s", "wall");
    for (size_t s = 0; s < 5; s++)
        printf (" %9.2f", (double) stages [s].usec / 1e6);
    printf (" %9.2f\n", total_s);

    //  The kernel's share and the page faults behind much of it.
    printf ("\nsystem CPU seconds, page faults (K)    ");
    for (size_t s = 0; s < 5; s++)
        printf (" %9s", spans [s].name);
    printf (" %9s\n", "all");
    json_t *system = json_object (), *faults = json_object ();
    for (int i = 0; i < BENCH_PROCS; i++) {
        s_proc_t *proc = &self->procs [i];
        json_t *sys_row = json_object (), *fault_row = json_object ();
        double sys_all = 0, faults_all = 0;
        printf ("%-31s system", proc->name);
        for (size_t s = 0; s < 5; s++) {
            double seconds = (double) (proc->sys_ticks [spans [s].to] - proc->sys_ticks [spans [s].from]) / tick;
            sys_all += seconds;
            printf (" %9.2f", seconds);
            json_object_set_new (sys_row, spans [s].name, json_real (seconds));
        }
        printf (" %9.2f\n%-31s faults", sys_all, "");
        for (size_t s = 0; s < 5; s++) {
            double faulted = (double) (proc->faults [spans [s].to] - proc->faults [spans [s].from]);
            faults_all += faulted;
            printf (" %9.1f", faulted / 1e3);
            json_object_set_new (fault_row, spans [s].name, json_integer ((json_int_t) faulted));
        }
        printf (" %9.1f\n", faults_all / 1e3);
        json_object_set_new (system, proc->name, sys_row);
        json_object_set_new (faults, proc->name, fault_row);
    }
    printf ("\nclaim records: intake %.0f B, claims %.0f B; events at the broker: %" PRIu64 " of %.0f B on average\n",
            self->intake_record_bytes, self->claims_record_bytes, self->events_total, self->event_bytes);

    json_t *figures = json_pack ("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f}",
        "claims", (json_int_t) self->accepted, "total_seconds", total_s,
        "intake_seconds", self->intake_usec / 1e6, "intake_submit_seconds", self->intake_cmd_usec / 1e6,
        "submit_seconds", self->submit_usec / 1e6, "ack_seconds", self->ack_usec / 1e6,
        "post_seconds", self->post_usec / 1e6, "catch_up_seconds", self->catch_up_usec / 1e6,
        "kpi_seconds", self->kpi_usec / 1e6, "claims_per_s", total_s > 0? claims / total_s: 0.0,
        "gen_seconds", self->gen_usec / 1e6, "payer_sim_seconds", self->payer_usec / 1e6,
        "events", (json_int_t) self->events_total, "store_mb", store_total / 1e6);
    json_object_set_new (figures, "memory", memory);
    json_object_set_new (figures, "cpu_seconds", cpu);
    json_object_set_new (figures, "system_cpu_seconds", system);
    json_object_set_new (figures, "page_faults", faults);
    json_t *limits = json_object ();
    json_t *ratios = json_object ();
    if (self->limits) {
        //  LMDB: what each stage writes, at its records' and events' sizes.
        size_t records = self->accepted;
        double lmdb_ingest = s_lmdb (self, "ingest", records, (size_t) self->intake_record_bytes,
                                     self->events_ingest, (size_t) self->event_bytes, BENCH_LMDB_BATCH);
        double lmdb_submit = s_lmdb (self, "submit", records, (size_t) self->claims_record_bytes,
                                     self->events_submit, (size_t) self->event_bytes, BENCH_LMDB_BATCH);
        double lmdb_post = s_lmdb (self, "post", records, (size_t) self->claims_record_bytes,
                                   self->events_post, (size_t) self->event_bytes, BENCH_LMDB_BATCH);
        printf ("\n%-44s %10s %12s\n", "limit: LMDB batched durable writes", "seconds", "claims/s");
        printf ("%-44s %10.2f %12.0f   (%zu records of %.0f B, %" PRIu64 " events)\n", "  ingest's", lmdb_ingest,
                lmdb_ingest > 0? claims / lmdb_ingest: 0, records, self->intake_record_bytes, self->events_ingest);
        printf ("%-44s %10.2f %12.0f   (%zu records of %.0f B, %" PRIu64 " events)\n", "  submit's", lmdb_submit,
                lmdb_submit > 0? claims / lmdb_submit: 0, records, self->claims_record_bytes, self->events_submit);
        printf ("%-44s %10.2f %12.0f   (%zu records of %.0f B, %" PRIu64 " events)\n", "  post's", lmdb_post,
                lmdb_post > 0? claims / lmdb_post: 0, records, self->claims_record_bytes, self->events_post);
        json_object_set_new (limits, "lmdb_ingest_seconds", json_real (lmdb_ingest));
        json_object_set_new (limits, "lmdb_submit_seconds", json_real (lmdb_submit));
        json_object_set_new (limits, "lmdb_post_seconds", json_real (lmdb_post));
        json_object_set_new (ratios, "ingest_vs_lmdb",
                             json_real (self->intake_cmd_usec? lmdb_ingest / (self->intake_cmd_usec / 1e6): 0));
        json_object_set_new (ratios, "submit_vs_lmdb",
                             json_real (self->submit_usec? lmdb_submit / (self->submit_usec / 1e6): 0));
        json_object_set_new (ratios, "post_vs_lmdb",
                             json_real (self->post_usec? lmdb_post / (self->post_usec / 1e6): 0));

        //  Each consumer's apply: the events it applied in the run per
        //  second of its own CPU (what it would apply with a core to
        //  itself; its idle loop is in it too, so this is a floor), next
        //  to LMDB's writes of as many records as events, of the mean size
        //  of the records its store holds, in the consumer's transactions.
        printf ("\n%-8s %10s %8s %12s %16s %10s %12s %7s\n", "consumer", "events", "CPU s", "events/CPU s",
                "store records", "LMDB s", "LMDB ev/s", "ratio");
        for (size_t c = 0; c < BENCH_CONSUMERS; c++) {
            const char *name = s_consumers [c];
            s_proc_t *proc = s_proc (self, name);
            size_t p = (size_t) (proc - self->procs);
            uint64_t applied = self->consumed_end [p] > self->consumed_start [p]
                             ? self->consumed_end [p] - self->consumed_start [p]: 0;
            double cpu_s = (double) (proc->cpu_ticks [MARK_CAUGHT_UP] - proc->cpu_ticks [MARK_START]
                                   - (proc->cpu_ticks [MARK_PAYER] - proc->cpu_ticks [MARK_SUBMITTED]))
                         / (double) sysconf (_SC_CLK_TCK);
            size_t store_records = 0, store_bytes = 0;
            snprintf (dir, sizeof dir, "%.1000s/data/%.100s", self->root, name);
            s_store_stats (dir, &store_records, &store_bytes);
            size_t record_size = store_records? (store_bytes + store_records / 2) / store_records: 0;
            char tag [64];
            snprintf (tag, sizeof tag, "apply-%s", name);
            double lmdb_s = applied? s_lmdb (self, tag, applied, record_size ? record_size: 1, 0, 0,
                                             BENCH_CONSUMER_BATCH): 0;
            double per_cpu_s = cpu_s > 0? applied / cpu_s: 0;
            double ratio = cpu_s > 0 && lmdb_s > 0? lmdb_s / cpu_s: 0;
            printf ("%-8s %10" PRIu64 " %8.2f %12.0f %9zu of %4zu B %10.2f %12.0f %7.2f\n", name, applied, cpu_s,
                    per_cpu_s, store_records, record_size, lmdb_s, lmdb_s > 0? applied / lmdb_s: 0, ratio);
            char key [96];
            snprintf (key, sizeof key, "%s_events_applied", name);
            json_object_set_new (figures, key, json_integer ((json_int_t) applied));
            snprintf (key, sizeof key, "%s_apply_per_cpu_s", name);
            json_object_set_new (figures, key, json_real (per_cpu_s));
            snprintf (key, sizeof key, "lmdb_%s_apply_seconds", name);
            json_object_set_new (limits, key, json_real (lmdb_s));
            snprintf (key, sizeof key, "%s_apply_vs_lmdb", name);
            json_object_set_new (ratios, key, json_real (ratio));
        }
        fflush (stdout);

        //  CURVE and the broker alone, at our events' count and size.
        size_t events = self->fanout_events? self->fanout_events: (size_t) self->events_total;
        size_t size = (size_t) (self->event_bytes + 0.5);
        printf ("\nlimit: bench/broker --events %zu --size %zu (the broker alone, and CURVE PUSH/PULL)\n",
                events, size);
        fflush (stdout);
        json_t *broker = s_fanout_limits (self, events, size);
        char key [96], name [32];
        snprintf (name, sizeof name, "%zuB", size);
        if (size == 1024)
            snprintf (name, sizeof name, "1KB");
        double values [4];
        const char *keys [4] = { "figures", "figures", "limits", "limits" };
        const char *fields [4] = { "broker_%s_1sub", "broker_%s_3sub", "curve_pushpull_%s", "curve_pushpull_3recv_%s" };
        for (int i = 0; i < 4; i++) {
            snprintf (key, sizeof key, fields [i], name);
            values [i] = json_number_value (json_object_get (json_object_get (broker, keys [i]), key));
        }
        json_decref (broker);
        json_object_set_new (limits, "fanout_events", json_integer ((json_int_t) events));
        json_object_set_new (limits, "event_bytes", json_integer ((json_int_t) size));
        json_object_set_new (limits, "broker_1sub_per_s", json_real (values [0]));
        json_object_set_new (limits, "broker_3sub_per_s", json_real (values [1]));
        json_object_set_new (limits, "curve_pushpull_per_s", json_real (values [2]));
        json_object_set_new (limits, "curve_pushpull_3recv_per_s", json_real (values [3]));
        json_object_set_new (ratios, "fanout_1sub_vs_curve", json_real (values [2] > 0? values [0] / values [2]: 0));
        json_object_set_new (ratios, "fanout_3sub_vs_curve3", json_real (values [3] > 0? values [1] / values [3]: 0));
        printf ("\nratios: ingest/LMDB %.2f  submit/LMDB %.2f  post/LMDB %.2f  fan-out 1 sub/CURVE %.2f  "
                "3 subs/CURVE to 3 %.2f\n",
                json_real_value (json_object_get (ratios, "ingest_vs_lmdb")),
                json_real_value (json_object_get (ratios, "submit_vs_lmdb")),
                json_real_value (json_object_get (ratios, "post_vs_lmdb")),
                json_real_value (json_object_get (ratios, "fanout_1sub_vs_curve")),
                json_real_value (json_object_get (ratios, "fanout_3sub_vs_curve3")));
    }
    bench_print_line ("e2e", figures, limits, ratios, 6);
    for (size_t i = 0; i < self->count_277; i++)
        free (self->files_277 [i]);
    for (size_t i = 0; i < self->count_835; i++)
        free (self->files_835 [i]);
    if (self->keep)
        fprintf (stderr, "bench: kept %s\n", self->root);
    else
        bench_rmtree (self->root);
    return 0;
}
