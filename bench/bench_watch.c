/*  bench_watch: see bench_watch.h.

    Each watched process has a pidfd (Linux 5.3+), which poll reports
    readable once the process has exited, without reaping it; the waits
    poll those together with what they wait for (a command's own pidfd, or
    nothing but the clock), so a death wakes them at once and costs the
    measured stages nothing. Where a pidfd cannot be had, the waits wake
    every BENCH_WATCH_FALLBACK_MS and look (waitpid WNOHANG) instead.
    A death is found, reaped and said by s_check, the only place that
    reaps a watched process.
*/
#include "bench_watch.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_WATCH_MAX          16
#define BENCH_WATCH_TAIL_LINES   20
#define BENCH_WATCH_TAIL_BYTES   8192
#define BENCH_WATCH_FALLBACK_MS  20
//  With every pidfd in the poll, a wake-up is only a safety net.
#define BENCH_WATCH_POLL_MS      1000

typedef struct {
    pid_t pid;
    int pidfd;                  //  -1 when pidfd_open failed
    bool dead;                  //  reaped by s_check
    char program [256];
    char log [PATH_MAX];
} s_watched_t;

static s_watched_t s_watched [BENCH_WATCH_MAX];
static size_t s_count;
static char s_stage [64] = "start-up";
static bool s_died;

void
bench_watch_add (pid_t pid, const char *program, const char *log)
{
    assert (pid > 0);
    assert (s_count < BENCH_WATCH_MAX);
    s_watched_t *entry = &s_watched [s_count++];
    *entry = (s_watched_t) { .pid = pid, .pidfd = pidfd_open (pid, 0) };
    const char *slash = strrchr (program, '/');
    snprintf (entry->program, sizeof entry->program, "%s", slash? slash + 1: program);
    snprintf (entry->log, sizeof entry->log, "%s", log? log: "");
}

bool
bench_watch_forget (pid_t pid)
{
    for (size_t i = 0; i < s_count; i++)
        if (s_watched [i].pid == pid) {
            bool running = !s_watched [i].dead;
            if (s_watched [i].pidfd >= 0)
                close (s_watched [i].pidfd);
            s_watched [i] = s_watched [--s_count];
            return running;
        }
    return true;
}

void
bench_watch_stage (const char *stage)
{
    snprintf (s_stage, sizeof s_stage, "%s", stage);
}

//  The last lines of a log, indented, on stderr: what the process said
//  before it died is usually why.
static void
s_tail (const char *log)
{
    FILE *file = *log? fopen (log, "r"): NULL;
    if (!file) {
        if (*log)
            fprintf (stderr, "bench: cannot read %s\n", log);
        return;
    }
    static char text [BENCH_WATCH_TAIL_BYTES + 1];
    if (fseek (file, -(long) BENCH_WATCH_TAIL_BYTES, SEEK_END))
        rewind (file);          //  a log shorter than that
    size_t size = fread (text, 1, BENCH_WATCH_TAIL_BYTES, file);
    fclose (file);
    text [size] = 0;
    //  Back from the end to the line end before the last
    //  BENCH_WATCH_TAIL_LINES lines.
    while (size && text [size - 1] == '\n')
        text [--size] = 0;
    char *start = text + size;
    for (int lines = 0; start > text; start--)
        if (start [-1] == '\n' && ++lines == BENCH_WATCH_TAIL_LINES)
            break;
    fprintf (stderr, "bench: the last lines of %s:\n", log);
    for (char *line = start; *line; ) {
        char *end = strchr (line, '\n');
        int length = end? (int) (end - line): (int) strlen (line);
        fprintf (stderr, "    | %.*s\n", length, line);
        line += length + (end? 1: 0);
    }
}

//  Reaps and says every watched process that has died since the last look.
static void
s_check (void)
{
    for (size_t i = 0; i < s_count; i++) {
        s_watched_t *entry = &s_watched [i];
        int status;
        if (entry->dead || waitpid (entry->pid, &status, WNOHANG) != entry->pid)
            continue;
        entry->dead = true;
        s_died = true;
        char how [96];
        if (WIFSIGNALED (status))
            snprintf (how, sizeof how, "killed by signal %d (%s)", WTERMSIG (status), strsignal (WTERMSIG (status)));
        else
            snprintf (how, sizeof how, "exited with status %d", WEXITSTATUS (status));
        fprintf (stderr, "bench: %s (pid %d) died during %s: %s\n", entry->program, (int) entry->pid, s_stage, how);
        s_tail (entry->log);
        fflush (stderr);
    }
}

bool
bench_watch_died (void)
{
    s_check ();
    return s_died;
}

bool
bench_watch_client (void *arg)
{
    (void) arg;
    return bench_watch_died ();
}

//  Waits at most timeout_ms for a watched process to exit, or fd (-1:
//  none) to be readable; the caller looks which.
static void
s_poll (int fd, int timeout_ms)
{
    struct pollfd items [BENCH_WATCH_MAX + 1];
    nfds_t count = 0;
    bool blind = false;         //  a process we can only look at
    for (size_t i = 0; i < s_count; i++) {
        if (s_watched [i].dead)
            continue;
        if (s_watched [i].pidfd < 0)
            blind = true;
        else
            items [count++] = (struct pollfd) { .fd = s_watched [i].pidfd, .events = POLLIN };
    }
    if (fd >= 0)
        items [count++] = (struct pollfd) { .fd = fd, .events = POLLIN };
    if (blind && timeout_ms > BENCH_WATCH_FALLBACK_MS)
        timeout_ms = BENCH_WATCH_FALLBACK_MS;
    poll (items, count, timeout_ms);        //  EINTR: the caller looks again
}

static uint64_t
s_usec (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

int
bench_watch_sleep (uint64_t usec)
{
    uint64_t deadline = s_usec () + usec;
    while (!bench_watch_died ()) {
        uint64_t now = s_usec ();
        if (now >= deadline)
            return 0;
        s_poll (-1, (int) ((deadline - now + 999) / 1000));
    }
    return -1;
}

int
bench_watch_wait (pid_t pid, int *status)
{
    int pidfd = pidfd_open (pid, 0);
    int rc = -1;
    while (true) {
        pid_t done = waitpid (pid, status, WNOHANG);
        if (done == pid || done < 0) {
            rc = done == pid? 0: -1;
            break;
        }
        if (bench_watch_died ())
            break;
        s_poll (pidfd, pidfd >= 0? BENCH_WATCH_POLL_MS: BENCH_WATCH_FALLBACK_MS);
    }
    if (pidfd >= 0)
        close (pidfd);
    return rc;
}
