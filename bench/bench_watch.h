/*  bench_watch: the services a benchmark started, and noticing at once
    when one of them has died.

    A bench waits a long time for its deployment (rcmqctl with a 15-minute
    timeout, a catch-up of up to an hour at 1M claims). A service that died
    meanwhile (session 10: rcmq-audit segfaulted at 1M claims) used to leave
    the bench sitting out that whole wait. So every process bench_spawn
    starts is watched here (a pidfd each, polled with the bench's own
    waits), and every wait of a bench goes through bench_watch_sleep or
    bench_watch_wait: the first death ends the wait, is said once on stderr
    (which process, its exit status or signal, the stage the bench was in,
    the last lines of its log), and from then on every wait fails at once.
*/
#ifndef RCMQ_BENCH_WATCH_H
#define RCMQ_BENCH_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

//  Watches pid, a child of ours, as program (its path) with its output in
//  log (may be NULL).
void     bench_watch_add (pid_t pid, const char *program, const char *log);
//  Stops watching pid, before the bench stops it. True when it may still
//  be running (stop it and reap it); false when it died and was reaped
//  here already, so the caller neither signals nor waits for it.
bool     bench_watch_forget (pid_t pid);
//  What the bench is doing now ("intake", "catch_up"), named when a
//  process dies.
void     bench_watch_stage (const char *stage);
//  True when a watched process has died (the first time, said on stderr).
bool     bench_watch_died (void);
//  bench_watch_died as a client's watch (client_set_watch; arg unused):
//  a call of the bench's main thread stops waiting for its reply the
//  moment a process of the deployment dies, instead of at its timeout
//  (up to 15 minutes; a service that never answered the connection is
//  not noticed as gone). Not for a call in another thread: the watch
//  reaps, and says, from the main thread alone.
bool     bench_watch_client (void *arg);
//  Sleeps usec, less when a watched process dies. 0, or -1 once one has.
int      bench_watch_sleep (uint64_t usec);
//  Waits for the child pid (a command, not watched) to exit: 0 with its
//  wait status in *status, or -1 when a watched process died first (pid
//  is left running: the caller ends it) or pid is not our child.
int      bench_watch_wait (pid_t pid, int *status);

#endif
