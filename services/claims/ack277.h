/*  ack277: 277CA (005010X214) claim acknowledgements, read from an X12
    reader into one Acknowledgement message per transaction set.

    The 277CA answers an 837 batch claim by claim: under the payer (HL 20,
    NM1*PR NM109 = payer id), the receiver (HL 21) and the billing provider
    (HL 19), each claim is an HL PT loop with TRN*2 (our patient control
    number), one or more STC (category:status:entity, date, action, charge,
    ..., STC12 message) and REF*1K (the payer's claim number). Each claim
    becomes one AckStatus: accepted when its claim-level STC categories are
    all A1 / A2 (received / accepted into adjudication); the first STC
    of another category (A3 returned as unprocessable, A4 not found, A6
    missing information, A7 invalid information, A8 relational error ...)
    rejects it and its status, entity and message are the ones kept.
    Service-line STCs (after an SVC in the claim loop) are not read: a line
    rejection also rejects the claim at claim level.

    A malformed file (envelope errors, not a 277CA, an HL hierarchy that does
    not hold, a claim without TRN*2 or STC, an STC04 that is not an amount)
    is refused whole: ack277_read returns -1 and the report names the
    segment number, segment id and reason.
*/
#ifndef RCMQ_CLAIMS_ACK277_H
#define RCMQ_CLAIMS_ACK277_H

#include "x12.h"
#include "claims.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Called once per transaction set when its SE has been read. The
//  acknowledgement belongs to the reader and is freed after the call; the
//  callback may keep it by taking it and setting *ack_p to NULL (free it
//  later with acknowledgement__free_unpacked). Return 0 to go on, -1 to
//  stop (ack277_read then returns -1). Acknowledgements handed out before
//  a later structural error are provisional until ack277_read returns 0.
typedef int (ack277_fn) (Acknowledgement **ack_p, void *arg);

typedef struct {
    uint64_t segments;          //  segments read
    uint32_t interchanges;      //  ISA envelopes
    uint32_t transactions;      //  ST sets
    uint32_t claims;            //  claim statuses (HL PT loops)
    uint32_t accepted;          //  of which accepted
    uint32_t rejected;          //  of which not accepted
    //  On -1: where and why ("segment 12 (STC): ...").
    uint64_t error_segment;
    char error_id [4];
    char error [320];
} ack277_report_t;

//  Reads every segment from reader, calling on_ack per transaction set.
//  Returns 0 when the whole file was read and is well formed, -1 when it is
//  refused (report->error says why) or the callback stopped it. report may
//  be NULL.
int ack277_read (x12_reader_t *reader, ack277_fn *on_ack, void *arg,
                 ack277_report_t *report);

//  True for the claim status categories that accept a claim into
//  adjudication: A1 (acknowledged / receipt) and A2 (accepted).
bool ack277_accepted (const char *category);

#endif
