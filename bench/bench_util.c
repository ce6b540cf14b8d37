/*  bench_util: see bench_util.h. */
#include "bench_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

uint64_t
bench_usec (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

double
bench_rate (double count, uint64_t usec)
{
    return usec? count * 1e6 / (double) usec: 0;
}

int
bench_tmpdir (char *path, size_t size, const char *tag)
{
    const char *tmp = getenv ("TMPDIR");
    snprintf (path, size, "%s/rcmq-bench-%s-XXXXXX", tmp && *tmp? tmp: "/tmp", tag);
    return mkdtemp (path)? 0: -1;
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

void
bench_rmtree (const char *dir)
{
    nftw (dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

void
bench_build_dir (char *path, size_t size)
{
    const char *build = getenv ("RCMQ_BUILD");
    if (build && *build)
        snprintf (path, size, "%s", build);
    else {
        char exe [PATH_MAX];
        ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
        exe [len > 0? len: 0] = 0;
        snprintf (path, size, "%s", dirname (dirname (exe)));
    }
}

int
bench_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &address, sizeof address) == 0
    &&  getsockname (fd, (struct sockaddr *) &address, &length) == 0)
        port = ntohs (address.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

int
bench_run (const char *dir, char *const argv [], const char *out_path)
{
    char log [PATH_MAX];
    snprintf (log, sizeof log, "%s/bench.log", dir);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    if (out_path) {
        posix_spawn_file_actions_addopen (&actions, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen (&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    }
    else {
        posix_spawn_file_actions_addopen (&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2 (&actions, 1, 2);
    }
    pid_t pid;
    int rc = posix_spawn (&pid, argv [0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    if (rc)
        return -1;
    //  A command that waits for a service that died would wait its whole
    //  timeout (rcmqctl's is minutes): it is ended instead.
    int status;
    if (bench_watch_wait (pid, &status)) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        return -1;
    }
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

int
bench_keys_init (const char *build, const char *dir, const char *keys)
{
    char rcmqctl [PATH_MAX + 16];
    snprintf (rcmqctl, sizeof rcmqctl, "%s/cli/rcmqctl", build);
    char *argv [] = { rcmqctl, "keys", "init", (char *) keys, NULL };
    return bench_run (dir, argv, NULL);
}

//  The rcmq-audit started with the broker (one at a time), stopped with it.
static pid_t s_audit_pid;
static pid_t s_audit_broker;

static pid_t s_spawn (const char *build, const char *dir, const char *program, const char *config,
                      const char *name);

pid_t
bench_spawn (const char *build, const char *dir, const char *program, const char *config, const char *name)
{
    pid_t pid = s_spawn (build, dir, program, config, name);
    //  No process admits the admin key without the access registry, and
    //  rcmq-audit owns it: it runs beside the broker.
    if (pid > 0 && strstr (program, "rcmq-broker") && !s_audit_pid) {
        s_audit_pid = s_spawn (build, dir, "services/audit/rcmq-audit", config, "audit");
        s_audit_broker = pid;
    }
    return pid;
}

static pid_t
s_spawn (const char *build, const char *dir, const char *program, const char *config, const char *name)
{
    char path [PATH_MAX + 64], log [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", build, program);
    snprintf (log, sizeof log, "%s/%s.log", dir, name);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen (&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2 (&actions, 1, 2);
    char *argv [] = { path, "--config", (char *) config, NULL };
    pid_t pid = 0;
    if (posix_spawn (&pid, path, &actions, NULL, argv, environ))
        pid = 0;
    posix_spawn_file_actions_destroy (&actions);
    if (pid > 0)
        bench_watch_add (pid, path, log);
    return pid;
}

pid_t
bench_audit_pid (void)
{
    return s_audit_pid;
}

void
bench_stop (pid_t *pid)
{
    if (*pid > 0) {
        //  One that died was reaped by the watch already: its pid may be
        //  another process's by now.
        if (*pid == s_audit_broker && s_audit_pid > 0) {
            if (bench_watch_forget (s_audit_pid)) {
                kill (s_audit_pid, SIGTERM);
                waitpid (s_audit_pid, NULL, 0);
            }
            s_audit_pid = s_audit_broker = 0;
        }
        if (bench_watch_forget (*pid)) {
            kill (*pid, SIGTERM);
            waitpid (*pid, NULL, 0);
        }
        *pid = 0;
    }
}

FILE *
bench_config_open (const char *path, const char *keys, const char *dir)
{
    FILE *file = fopen (path, "w");
    if (!file)
        return NULL;
    fprintf (file, "keys\n    dir = \"%s\"\ndata\n    dir = \"%s/data\"\nbroker\n", keys, dir);
    const char *sockets [] = { "ingest", "fanout", "replay", "api" };
    for (size_t i = 0; i < 4; i++)
        fprintf (file, "    %s = \"tcp://127.0.0.1:%d\"\n", sockets [i], bench_free_port ());
    //  rcmq-audit owns the access registry every process admits people
    //  with (ADR 21): bench_spawn starts it beside the broker.
    fprintf (file, "audit\n    api = \"tcp://127.0.0.1:%d\"\n", bench_free_port ());
    return file;
}

void
bench_print_line (const char *name, json_t *figures, json_t *limits, json_t *ratios, int precision)
{
    json_t *line = json_object ();
    json_object_set_new (line, "name", json_string (name));
    json_object_set_new (line, "figures", figures);
    json_object_set_new (line, "limits", limits);
    json_object_set_new (line, "ratios", ratios);
    char *text = json_dumps (line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (precision));
    printf ("%s\n", text);
    free (text);
    json_decref (line);
}

int
bench_env_rows (const char *dir, bench_row_fn *fn, void *arg)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi main_dbi;
    MDB_cursor *names = NULL;
    int rc = mdb_env_create (&env);
    if (!rc) {
        mdb_env_set_maxdbs (env, 256);
        mdb_env_set_mapsize (env, (size_t) 1 << 36);
        rc = mdb_env_open (env, dir, MDB_RDONLY | MDB_NOLOCK, 0644);
    }
    if (!rc)
        rc = mdb_txn_begin (env, NULL, MDB_RDONLY, &txn);
    if (!rc)
        rc = mdb_dbi_open (txn, NULL, 0, &main_dbi);
    if (!rc)
        rc = mdb_cursor_open (txn, main_dbi, &names);
    MDB_val name, unused;
    while (!rc && mdb_cursor_get (names, &name, &unused, MDB_NEXT) == 0) {
        char table [256];
        if (name.mv_size >= sizeof table)
            continue;
        memcpy (table, name.mv_data, name.mv_size);
        table [name.mv_size] = 0;
        MDB_dbi dbi;
        MDB_cursor *cursor;
        //  A key of the main table that is not a table's name opens none.
        if (mdb_dbi_open (txn, table, 0, &dbi) || mdb_cursor_open (txn, dbi, &cursor))
            continue;
        MDB_val key, value;
        while (mdb_cursor_get (cursor, &key, &value, MDB_NEXT) == 0)
            fn (arg, table, &key, &value);
        mdb_cursor_close (cursor);
    }
    if (names)
        mdb_cursor_close (names);
    if (txn)
        mdb_txn_abort (txn);
    if (env)
        mdb_env_close (env);
    if (rc)
        fprintf (stderr, "bench: %s: %s\n", dir, mdb_strerror (rc));
    return rc? -1: 0;
}
