/*  harness: see harness.h. Plain POSIX (fork, exec, waitpid) so that the
    test process itself starts no threads: PR_SET_PDEATHSIG fires when the
    thread that forked exits, which for us is the whole test process.
*/
#include "harness.h"
#include "client.h"
#include "transport.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RCMQ_BUILD_DIR
#   define RCMQ_BUILD_DIR "build"
#endif
#ifndef RCMQ_SOURCE_DIR
#   define RCMQ_SOURCE_DIR "."
#endif

#define HARNESS_MAX_PROCS  64
#define HARNESS_MAX_PATHS  128

struct _harness_proc_t {
    char name [64];
    pid_t pid;
    int status;                 //  exit code or 128 + signal, once reaped
    bool reaped;
};

struct _harness_t {
    char *dir;
    char *paths [HARNESS_MAX_PATHS];
    size_t path_count;
    harness_proc_t procs [HARNESS_MAX_PROCS];
    size_t proc_count;
    char config [PATH_MAX];
};

//  Every live harness, so atexit can kill their processes when a Check
//  assertion ends the test process early.
static harness_t *s_live [8];

static void
s_kill_all (void)
{
    for (size_t h = 0; h < sizeof s_live / sizeof s_live [0]; h++) {
        harness_t *self = s_live [h];
        if (!self)
            continue;
        for (size_t i = 0; i < self->proc_count; i++)
            if (!self->procs [i].reaped && self->procs [i].pid > 0) {
                kill (self->procs [i].pid, SIGKILL);
                waitpid (self->procs [i].pid, NULL, 0);
                self->procs [i].reaped = true;
            }
    }
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

uint64_t
harness_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void
harness_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep (&ts, &ts) && errno == EINTR)
        ;
}

int
harness_scaled_ms (int ms)
{
#ifdef RCMQ_SANITIZED
    return ms * 27 / 10;     //  170 s becomes 459 s: under the 8 min budget
#else
    return ms;
#endif
}

harness_t *
harness_new (const char *tag)
{
    harness_t *self = (harness_t *) calloc (1, sizeof (harness_t));
    const char *base = getenv ("TMPDIR");
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/rcmq-it-%s-XXXXXX", base && *base? base: "/tmp", tag);
    if (!mkdtemp (path)) {
        perror ("harness: mkdtemp");
        free (self);
        return NULL;
    }
    self->dir = strdup (path);
    mkdir (harness_path (self, "data"), 0700);
    mkdir (harness_path (self, "logs"), 0755);
    static bool registered = false;
    if (!registered) {
        atexit (s_kill_all);
        registered = true;
    }
    for (size_t h = 0; h < sizeof s_live / sizeof s_live [0]; h++)
        if (!s_live [h]) {
            s_live [h] = self;
            break;
        }
    return self;
}

void
harness_destroy (harness_t **self_p, bool failed)
{
    harness_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->proc_count; i++)
        if (!self->procs [i].reaped) {
            harness_kill (&self->procs [i], SIGKILL);
            harness_wait (&self->procs [i], 5000);
        }
    if (failed)
        harness_print_logs (self, 25);
    const char *keep = getenv ("RCMQ_ITEST_KEEP");
    if (keep && *keep)
        fprintf (stderr, "harness: kept %s\n", self->dir);
    else
        nftw (self->dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t h = 0; h < sizeof s_live / sizeof s_live [0]; h++)
        if (s_live [h] == self)
            s_live [h] = NULL;
    for (size_t i = 0; i < self->path_count; i++)
        free (self->paths [i]);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *
harness_dir (harness_t *self)
{
    return self->dir;
}

static const char *
s_keep (harness_t *self, char *path)
{
    if (self->path_count == HARNESS_MAX_PATHS) {
        //  Recycle the oldest: callers use a path right away.
        free (self->paths [0]);
        memmove (self->paths, self->paths + 1, (HARNESS_MAX_PATHS - 1) * sizeof (char *));
        self->path_count--;
    }
    self->paths [self->path_count++] = path;
    return path;
}

const char *
harness_path (harness_t *self, const char *relative)
{
    char *path = (char *) malloc (PATH_MAX);
    snprintf (path, PATH_MAX, "%s/%s", self->dir, relative);
    return s_keep (self, path);
}

const char *
harness_bin (harness_t *self, const char *relative)
{
    const char *build = getenv ("RCMQ_BUILD");
    char *path = (char *) malloc (PATH_MAX);
    snprintf (path, PATH_MAX, "%s/%s", build && *build? build: RCMQ_BUILD_DIR, relative);
    return s_keep (self, path);
}

int
harness_keys (harness_t *self, const char *const *names)
{
    const char *rcmqctl = harness_bin (self, "cli/rcmqctl");
    const char *keys = harness_path (self, "keys");
    char *init [] = { (char *) rcmqctl, "keys", "init", (char *) keys, NULL };
    if (harness_run (self, "rcmqctl", init, NULL, 20000) != 0)
        return -1;
    for (const char *const *name = names; name && *name; name++) {
        char *add [] = { (char *) rcmqctl, "keys", "add", (char *) *name,
                         "--role", "service", "--dir", (char *) keys, NULL };
        if (harness_run (self, "rcmqctl", add, NULL, 20000) != 0)
            return -1;
    }
    return 0;
}

int
harness_free_port (void)
{
    static int used [64];
    static size_t used_count = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
        int sock = socket (AF_INET, SOCK_STREAM, 0);
        if (sock < 0)
            return -1;
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
        addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t size = sizeof addr;
        int port = -1;
        if (bind (sock, (struct sockaddr *) &addr, sizeof addr) == 0
        &&  getsockname (sock, (struct sockaddr *) &addr, &size) == 0)
            port = ntohs (addr.sin_port);
        close (sock);
        bool seen = false;
        for (size_t i = 0; i < used_count; i++)
            seen = seen || used [i] == port;
        if (port > 0 && !seen) {
            if (used_count < sizeof used / sizeof used [0])
                used [used_count++] = port;
            return port;
        }
    }
    return -1;
}

const char *
harness_config (harness_t *self)
{
    snprintf (self->config, sizeof self->config, "%s/rcmq.conf", self->dir);
    FILE *file = fopen (self->config, "w");
    if (!file)
        return NULL;
    fprintf (file, "#   written by the integration harness\n"
                   "keys\n    dir = \"%s/keys\"\n"
                   "data\n    dir = \"%s/data\"\n"
                   "broker\n", self->dir, self->dir);
    static const char *sockets [] = { "ingest", "fanout", "replay", "api" };
    for (size_t i = 0; i < 4; i++)
        fprintf (file, "    %s = \"tcp://127.0.0.1:%d\"\n", sockets [i], harness_free_port ());
    //  rcmq-audit owns the access registry every process decides with: it
    //  runs in every deployment the harness makes (harness_spawn_service).
    fprintf (file, "audit\n    api = \"tcp://127.0.0.1:%d\"\n", harness_free_port ());
    fclose (file);
    return self->config;
}

//  --------------------------------------------------------------------------
//  Processes

static pid_t
s_fork_exec (harness_t *self, const char *name, char *const argv [], int stdout_fd)
{
    char log [PATH_MAX];
    snprintf (log, sizeof log, "%s/logs/%s.log", self->dir, name);
    int log_fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return -1;
    fflush (NULL);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        dup2 (stdout_fd >= 0? stdout_fd: log_fd, STDOUT_FILENO);
        dup2 (log_fd, STDERR_FILENO);
        if (chdir (self->dir))
            _exit (127);
        execv (argv [0], argv);
        fprintf (stderr, "harness: cannot exec %s: %s\n", argv [0], strerror (errno));
        _exit (127);
    }
    close (log_fd);
    if (pid > 0) {
        //  A line in the log marks each start, so restarts are easy to see.
        FILE *file = fopen (log, "a");
        if (file) {
            fprintf (file, "---- harness: started pid %d:", (int) pid);
            for (char *const *arg = argv; *arg; arg++)
                fprintf (file, " %s", *arg);
            fprintf (file, "\n");
            fclose (file);
        }
    }
    return pid;
}

harness_proc_t *
harness_spawn (harness_t *self, const char *name, char *const argv [])
{
    harness_proc_t *proc = NULL;
    for (size_t i = 0; i < self->proc_count && !proc; i++)
        if (self->procs [i].reaped && !strcmp (self->procs [i].name, name))
            proc = &self->procs [i];
    if (!proc) {
        if (self->proc_count == HARNESS_MAX_PROCS)
            return NULL;
        proc = &self->procs [self->proc_count++];
    }
    memset (proc, 0, sizeof *proc);
    snprintf (proc->name, sizeof proc->name, "%s", name);
    proc->pid = s_fork_exec (self, name, argv, -1);
    if (proc->pid < 0) {
        proc->reaped = true;
        return NULL;
    }
    return proc;
}

pid_t
harness_pid (harness_proc_t *proc)
{
    return proc->pid;
}

static void
s_reaped (harness_proc_t *proc, int status)
{
    proc->reaped = true;
    proc->status = WIFEXITED (status)? WEXITSTATUS (status)
                 : WIFSIGNALED (status)? 128 + WTERMSIG (status): -1;
}

bool
harness_running (harness_proc_t *proc)
{
    if (proc->reaped)
        return false;
    int status;
    if (waitpid (proc->pid, &status, WNOHANG) == proc->pid)
        s_reaped (proc, status);
    return !proc->reaped;
}

void
harness_kill (harness_proc_t *proc, int signal)
{
    if (!proc->reaped)
        kill (proc->pid, signal);
}

int
harness_wait (harness_proc_t *proc, int timeout_ms)
{
    uint64_t deadline = harness_now_ms () + (uint64_t) timeout_ms;
    while (harness_running (proc)) {
        if (harness_now_ms () >= deadline)
            return -1;
        harness_sleep_ms (10);
    }
    return proc->status;
}

int
harness_run (harness_t *self, const char *name, char *const argv [], char **output, int timeout_ms)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/logs/%s.out-XXXXXX", self->dir, name);
    int out_fd = mkstemp (path);
    if (out_fd < 0)
        return -1;
    harness_proc_t proc = { .reaped = false };
    snprintf (proc.name, sizeof proc.name, "%s", name);
    proc.pid = s_fork_exec (self, name, argv, out_fd);
    close (out_fd);
    int rc = proc.pid > 0? harness_wait (&proc, timeout_ms): -1;
    if (rc == -1 && proc.pid > 0) {
        kill (proc.pid, SIGKILL);
        waitpid (proc.pid, NULL, 0);
    }
    if (output)
        *output = harness_slurp (path);
    remove (path);
    return rc;
}

//  --------------------------------------------------------------------------
//  Waiting and reading

bool
harness_wait_until (bool (*fn) (void *arg), void *arg, int timeout_ms, int interval_ms)
{
    uint64_t deadline = harness_now_ms () + (uint64_t) timeout_ms;
    while (!fn (arg)) {
        if (harness_now_ms () >= deadline)
            return false;
        harness_sleep_ms (interval_ms);
    }
    return true;
}

size_t
harness_files_in (const char *dir)
{
    DIR *folder = opendir (dir);
    size_t count = 0;
    for (struct dirent *entry = folder? readdir (folder): NULL; entry; entry = readdir (folder))
        if (*entry->d_name != '.')
            count++;
    if (folder)
        closedir (folder);
    return count;
}

char *
harness_slurp (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    size_t size = 0, capacity = 4096;
    char *text = (char *) malloc (capacity);
    size_t got;
    while ((got = fread (text + size, 1, capacity - size - 1, file)) > 0) {
        size += got;
        if (capacity - size - 1 == 0)
            text = (char *) realloc (text, capacity *= 2);
    }
    fclose (file);
    text [size] = 0;
    return text;
}

uint64_t
harness_file_value (const char *path, const char *key)
{
    char *text = harness_slurp (path);
    if (!text)
        return 0;
    uint64_t value = 0;
    size_t len = strlen (key);
    for (char *line = text; line && *line; ) {
        if (!strncmp (line, key, len) && line [len] == ' ') {
            value = strtoull (line + len + 1, NULL, 10);
            break;
        }
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    free (text);
    return value;
}

bool
harness_log_contains (harness_t *self, const char *name, const char *text)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/logs/%s.log", self->dir, name);
    char *log = harness_slurp (path);
    bool found = log && strstr (log, text);
    free (log);
    return found;
}

static void
s_print_tail (const char *path, const char *name, int lines)
{
    char *text = harness_slurp (path);
    if (!text)
        return;
    size_t len = strlen (text);
    const char *start = text + len;
    int seen = 0;
    while (start > text && seen <= lines)
        if (*--start == '\n')
            seen++;
    if (*start == '\n')
        start++;
    fprintf (stderr, "==== %s (last %d lines) ====\n%s%s", name, lines, start,
             len && text [len - 1] != '\n'? "\n": "");
    free (text);
}

void
harness_print_logs (harness_t *self, int lines)
{
    char logs [PATH_MAX];
    snprintf (logs, sizeof logs, "%s/logs", self->dir);
    struct dirent **entries;
    int count = scandir (logs, &entries, NULL, alphasort);
    for (int i = 0; i < count; i++) {
        if (entries [i]->d_name [0] != '.') {
            char path [PATH_MAX + 256];
            snprintf (path, sizeof path, "%s/%s", logs, entries [i]->d_name);
            s_print_tail (path, entries [i]->d_name, lines);
        }
        free (entries [i]);
    }
    if (count >= 0)
        free (entries);
}

//  --------------------------------------------------------------------------
//  A deployment: its config, its services, rcmqctl

int
harness_config_append (harness_t *self, const char *format, ...)
{
    assert (*self->config);
    FILE *file = fopen (self->config, "a");
    if (!file)
        return -1;
    va_list args;
    va_start (args, format);
    vfprintf (file, format, args);
    va_end (args);
    return fclose (file) == 0? 0: -1;
}

void
harness_config_value (harness_t *self, const char *section, const char *key, char *buf, size_t size)
{
    assert (*self->config);
    buf [0] = 0;
    char *text = harness_slurp (self->config);
    char header [64], item [80];
    snprintf (header, sizeof header, "\n%s\n", section);
    snprintf (item, sizeof item, "    %s = \"", key);
    const char *at = text? strstr (text, header): NULL;
    at = at? strstr (at, item): NULL;
    if (at) {
        at += strlen (item);
        const char *end = strchr (at, '"');
        if (end && (size_t) (end - at) < size)
            snprintf (buf, size, "%.*s", (int) (end - at), at);
    }
    free (text);
}

//  The deployment's rcmq-audit, when the harness runs it: NULL otherwise.
static harness_proc_t *
s_audit_running (harness_t *self)
{
    for (size_t i = 0; i < self->proc_count; i++)
        if (streq (self->procs [i].name, "audit") && harness_running (&self->procs [i]))
            return &self->procs [i];
    return NULL;
}

harness_proc_t *
harness_spawn_service (harness_t *self, const char *name)
{
    assert (*self->config);
    //  No process admits anyone the access registry does not hold, and
    //  rcmq-audit owns it: it runs beside whatever a suite starts, once.
    harness_proc_t *audit = s_audit_running (self);
    if (streq (name, "audit") && audit)
        return audit;
    if (!streq (name, "audit") && !audit) {
        char *argv [] = { (char *) harness_bin (self, "services/audit/rcmq-audit"), "--config",
                          self->config, NULL };
        harness_spawn (self, "audit", argv);
    }
    char program [PATH_MAX];
    snprintf (program, sizeof program, "services/%s/rcmq-%s", name, name);
    char *argv [] = { (char *) harness_bin (self, program), "--config", self->config, NULL };
    return harness_spawn (self, name, argv);
}

json_t *
harness_ctl_json (harness_t *self, const char *log, int *rc_out, int timeout_ms, char *const *args)
{
    assert (*self->config);
    char *argv [32];
    size_t argc = 0;
    argv [argc++] = (char *) harness_bin (self, "cli/rcmqctl");
    argv [argc++] = "--config";
    argv [argc++] = self->config;
    argv [argc++] = "--json";
    for (; *args && argc < 31; args++)
        argv [argc++] = *args;
    argv [argc] = NULL;
    char *output = NULL;
    int rc = harness_run (self, log, argv, &output, harness_scaled_ms (timeout_ms));
    if (rc_out)
        *rc_out = rc;
    json_t *json = output? json_loads (output, 0, NULL): NULL;
    free (output);
    return json;
}

json_t *
harness_ctl_json_va (harness_t *self, const char *log, int *rc_out, int timeout_ms, va_list args)
{
    char *list [28];
    size_t count = 0;
    char *arg;
    while ((arg = va_arg (args, char *)) && count < 27)
        list [count++] = arg;
    list [count] = NULL;
    return harness_ctl_json (self, log, rc_out, timeout_ms, list);
}

json_t *
harness_status (harness_t *self)
{
    char *args [] = { "status", "--timeout", "400", NULL };
    return harness_ctl_json (self, "rcmqctl", NULL, 10000, args);
}

json_t *
harness_status_process (json_t *status, const char *name)
{
    json_t *processes = json_object_get (status, "processes");
    for (size_t i = 0; i < json_array_size (processes); i++) {
        json_t *process = json_array_get (processes, i);
        const char *process_name = json_string_value (json_object_get (process, "name"));
        if (process_name && streq (process_name, name))
            return process;
    }
    return NULL;
}

bool
harness_status_up (json_t *status, const char *name)
{
    json_t *process = harness_status_process (status, name);
    return process && json_is_true (json_object_get (process, "up"))
        && (streq (name, "broker") || json_is_true (json_object_get (process, "broker_connected")));
}

typedef struct {
    harness_t *harness;
    const char *const *names;
} s_up_wait_t;

static bool
s_all_up (void *arg)
{
    s_up_wait_t *wait = (s_up_wait_t *) arg;
    json_t *status = harness_status (wait->harness);
    bool up = status != NULL;
    for (const char *const *name = wait->names; up && *name; name++)
        up = harness_status_up (status, *name);
    json_decref (status);
    return up;
}

bool
harness_wait_up (harness_t *self, const char *const *names, int timeout_ms)
{
    s_up_wait_t wait = { self, names };
    return harness_wait_until (s_all_up, &wait, timeout_ms, 200);
}

uint64_t
harness_consumed (harness_t *self, const char *name, const char *stream)
{
    json_t *status = harness_status (self);
    json_t *consumed = json_object_get (harness_status_process (status, name), "consumed");
    uint64_t offset = (uint64_t) json_integer_value (json_object_get (consumed, stream));
    json_decref (status);
    return offset;
}

int
harness_script (harness_t *self, const char *script, char *const *args, int timeout_ms)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/scripts/%s", RCMQ_SOURCE_DIR, script);
    char *argv [48];
    size_t argc = 0;
    argv [argc++] = "/usr/bin/env";
    argv [argc++] = "python3";
    argv [argc++] = path;
    for (; *args && argc < 47; args++)
        argv [argc++] = *args;
    argv [argc] = NULL;
    return harness_run (self, script, argv, NULL, timeout_ms);
}

//  --------------------------------------------------------------------------
//  Sockets, and the broker's replay socket

zsock_t *
harness_dealer (const char *endpoint, const char *server_key, zcert_t *cert)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (cert)
        transport_curve_client (dealer, cert, server_key);
    zsock_set_linger (dealer, 0);
    zsock_connect (dealer, "%s", endpoint);
    return dealer;
}

zmsg_t *
harness_recv (zsock_t *socket, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (socket, NULL);
    zmsg_t *msg = zpoller_wait (poller, harness_scaled_ms (timeout_ms)) == socket? zmsg_recv (socket): NULL;
    zpoller_destroy (&poller);
    return msg;
}

int
harness_replay (const char *replay, zcert_t *cert, const char *broker_key,
                const char *stream, const char *consumer, uint32_t batch,
                int timeout_ms, bool (*on_event) (const Event *event, void *arg),
                void *arg, uint64_t *head)
{
    zsock_t *dealer = harness_dealer (replay, broker_key, cert);
    uint64_t from = 1;
    int rc = 0;
    bool more = true;
    while (more) {
        FetchRequest request = FETCH_REQUEST__INIT;
        request.stream = (char *) stream;
        request.from_seq = from;
        request.max_events = batch;
        request.consumer = (char *) consumer;
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "FETCH");
        zframe_t *frame = codec_encode (&request);
        zmsg_append (msg, &frame);
        zmsg_send (&msg, dealer);
        zmsg_t *answer = harness_recv (dealer, timeout_ms);
        FetchReply *reply = answer && zmsg_size (answer) == 2
            ? (FetchReply *) codec_decode_frame (&fetch_reply__descriptor, zmsg_last (answer)): NULL;
        zmsg_destroy (&answer);
        if (!reply) {
            rc = -1;
            break;
        }
        if (head)
            *head = reply->head_seq;
        for (size_t i = 0; more && i < reply->n_events; i++) {
            from = reply->events [i]->stream_seq + 1;
            more = on_event (reply->events [i], arg);
        }
        more = more && reply->n_events > 0 && from <= reply->head_seq;
        codec_free (reply);
    }
    zsock_destroy (&dealer);
    return rc;
}

bool
harness_start_services (harness_t *self, const char *const *names, harness_proc_t **procs, int timeout_ms)
{
    bool spawned = true;
    for (size_t i = 0; names [i]; i++) {
        procs [i] = harness_spawn_service (self, names [i]);
        spawned = spawned && procs [i];
    }
    return spawned && harness_wait_up (self, names, timeout_ms);
}

int
harness_first_exited (harness_proc_t **procs, size_t count, int *status)
{
    for (size_t i = 0; i < count; i++)
        if (procs [i] && !harness_running (procs [i])) {
            *status = harness_wait (procs [i], 0);
            return (int) i;
        }
    return -1;
}

void
harness_check_into (char *failures, size_t size, int *failed, bool ok, const char *format, ...)
{
    if (ok)
        return;
    (*failed)++;
    size_t used = strlen (failures);
    if (used + 2 >= size)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (failures + used, size - used - 1, format, args);
    va_end (args);
    strcat (failures, "\n");
}

//  --------------------------------------------------------------------------
//  Identities, through the access registry

typedef struct {
    harness_t *harness;
    zcert_t *cert;
} s_admitted_t;

//  Every service the harness runs answers NAME's <svc>.Health.
static bool
s_admitted (void *arg)
{
    s_admitted_t *wait = (s_admitted_t *) arg;
    harness_t *self = wait->harness;
    const char *keys = harness_path (self, "keys");
    bool all = true;
    for (size_t i = 0; all && i < self->proc_count; i++) {
        harness_proc_t *proc = &self->procs [i];
        char endpoint [128], method [80];
        harness_config_value (self, proc->name, "api", endpoint, sizeof endpoint);
        if (!*endpoint || !harness_running (proc))
            continue;
        char *server_key = transport_load_public_key (keys, proc->name);
        if (!server_key)
            continue;
        client_t *client = client_new (endpoint, server_key, wait->cert);
        client_set_timeout (client, 1000);
        client_set_retries (client, 0);
        snprintf (method, sizeof method, "%s.Health", proc->name);
        Reply *reply = client? client_call (client, method, NULL): NULL;
        all = reply && reply->status == STATUS__OK;
        codec_free (reply);
        client_destroy (&client);
        free (server_key);
    }
    return all;
}

int
harness_grant (harness_t *self, const char *name, const char *role, const char *team, const char *until)
{
    const char *keys = harness_path (self, "keys");
    char cert_path [PATH_MAX];
    snprintf (cert_path, sizeof cert_path, "%s/public/%s.cert", keys, name);
    if (!zsys_file_exists (cert_path)) {
        char *add [] = { (char *) harness_bin (self, "cli/rcmqctl"), "keys", "add", (char *) name,
                         "--dir", (char *) keys, NULL };
        if (harness_run (self, "rcmqctl", add, NULL, 20000) != 0)
            return -1;
    }
    char *ask [16] = { "--as", "admin", "access", "request", (char *) name, "--role", (char *) role,
                       "--team", (char *) team, "--key", cert_path, NULL };
    if (until) {
        ask [11] = "--until";
        ask [12] = (char *) until;
        ask [13] = NULL;
    }
    int rc;
    json_t *asked = harness_ctl_json (self, "rcmqctl", &rc, 20000, ask);
    json_int_t request = json_integer_value (json_object_get (asked, "request"));
    json_decref (asked);
    if (rc != 0 || request <= 0) {
        fprintf (stderr, "harness: access request %s as admin: exit %d (logs/rcmqctl.log)\n", name, rc);
        return -1;
    }
    char id [32];
    snprintf (id, sizeof id, "%lld", (long long) request);
    char *approve [] = { "--as", "admin2", "access", "approve", id, NULL };
    json_t *approved = harness_ctl_json (self, "rcmqctl", &rc, 20000, approve);
    json_decref (approved);
    if (rc != 0) {
        fprintf (stderr, "harness: access approve %s (%s) as admin2: exit %d\n", id, name, rc);
        return -1;
    }
    //  Granted in the registry; the copies learn it from the stream.
    s_admitted_t wait = { self, transport_load_secret (keys, name) };
    bool admitted = wait.cert && harness_wait_until (s_admitted, &wait, harness_scaled_ms (20000), 100);
    zcert_destroy (&wait.cert);
    if (!admitted)
        fprintf (stderr, "harness: %s granted but not admitted by every service within 20 s\n", name);
    return admitted? 0: -1;
}

int
harness_grant_services (harness_t *self, const char *const *names)
{
    for (const char *const *name = names; name && *name; name++)
        if (harness_grant (self, *name, "service", "internal", NULL))
            return -1;
    return 0;
}
