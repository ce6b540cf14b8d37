/*  bench_remits: a remit run, the set-up bench/claims and bench/denials
    share before they measure.

    A real rcmq-broker, rcmq-intake and rcmq-claims (CURVE, LMDB with
    fsync) on free loopback ports; scripts/gen-837 --seed 42 makes N clean
    claims, intake.Submit takes them in, claims.Submit writes the 837P
    files, and scripts/payer-sim (--seed 7, one wave, every claim accepted
    and adjudicated once, the mix given) answers with one 835 per payer;
    bench_remits_post then posts them, timing each claims.Post. Which
    claims each 835 covers comes from payer-sim's own expectation file,
    never from rcmq's stores.

    The client helpers (a CURVE client as admin, Health, a call whose reply
    must be OK) are the ones every service-driving bench needs.
*/
#ifndef RCMQ_BENCH_REMITS_H
#define RCMQ_BENCH_REMITS_H

#include "client.h"
#include "claims.pb-c.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_REMITS_MAX_FILES  64

typedef struct {
    char *path;                 //  the 835
    size_t clps;                //  its CLPs (from payer-sim's expectation)
    char **pcns;                //  their claims, in file order
    size_t pcn_count;
    uint64_t usec;              //  the claims.Post call
    uint32_t posted;
    uint32_t exceptions;
} bench_remit_file_t;

typedef struct {
    //  Set by the caller before bench_remits_start.
    size_t claims;
    const char *mix;            //  payer-sim --mix, e.g. "paid=0.6,partial=0.2,denied=0.2"
    bool plb;                   //  payer-sim --plb (provider-level adjustments)
    const char *extra_config;   //  more config sections, or NULL
    char build [PATH_MAX];
    char root [1024];           //  the run's temp dir
    //  Set by bench_remits_start / _setup.
    char keys [1200];
    char config [1200];
    char intake_api [64];
    char claims_api [64];
    pid_t broker_pid, intake_pid, claims_pid;
    zcert_t *admin;
    bench_remit_file_t files [BENCH_REMITS_MAX_FILES];
    size_t file_count;
    size_t accepted;            //  claims intake accepted
} bench_remits_t;

//  Keys, config and the three services. 0 or -1 (said why).
int       bench_remits_start (bench_remits_t *self);
//  gen-837, intake.Submit, claims.Submit, payer-sim, and the 835 list with
//  its claims; prints one "setup: ..." line of the steps' times. 0 or -1.
int       bench_remits_setup (bench_remits_t *self);
//  Posts every 835 in order, one claims.Post each, timed into the file's
//  usec; a duplicate or failed post is an error. 0 or -1.
int       bench_remits_post (bench_remits_t *self);
//  Stops the three services (SIGTERM, waits); leaves the data.
void      bench_remits_stop (bench_remits_t *self);
//  Frees the file list and the admin certificate.
void      bench_remits_free (bench_remits_t *self);

//  A CURVE client of service (its api endpoint) as admin, or NULL.
client_t *bench_client (const char *keys, zcert_t *admin, const char *service, const char *endpoint);
//  <service>.Health, decoded (NULL when it did not answer in a second).
HealthReply *bench_health (client_t *client, const char *method);
//  Waits until method's Health says the service is connected to the
//  broker and (with stream) has consumed at least seq events of it.
int       bench_wait_health (client_t *client, const char *method, const char *stream, uint64_t seq, int timeout_s);
//  A call whose reply must be OK: the decoded body, or NULL (said why).
void     *bench_call (client_t *client, const char *method, const void *body, const ProtobufCMessageDescriptor *type);
//  The whole file into *data (caller frees). false when it cannot be read.
bool      bench_read_file (const char *path, uint8_t **data, size_t *size);

#endif
