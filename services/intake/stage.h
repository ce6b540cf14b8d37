/*  stage: a prepared claim as a record of the staged file, written by the
    prepare (batch_stage_sink, on upload.c's actor) and read by the apply
    that follows it (apply.c, on the loop).

    The staged file lives only as long as its upload (a start removes what
    a previous run left, upload.c), and the one process writes and reads
    it: its records are this file's own layout, not a protobuf message.
    A record is a 4-byte little-endian length and a body of the head's
    fields, its lines' numbers and procedure codes, the date of service,
    the dims the prepare found, the packed scrub result, the sealed claim's
    bytes, the member index and the parse-findings flag. Text is a 4-byte
    length, the bytes and a NUL, so the reader points into the record
    instead of copying: a PreparedClaim packed by protobuf-c and decoded
    again took ~26 K instructions a claim (issue 19, intake24).
*/
#ifndef RCMQ_INTAKE_STAGE_H
#define RCMQ_INTAKE_STAGE_H

#include "intake.pb-c.h"

#include <stdbool.h>
#include <stdio.h>

//  A record read back: claim and the structs it points to. Its strings,
//  sealed and member_index point into the bytes given to stage_read (keep
//  them while claim is used); claim.scrub is decoded on the heap, as the
//  apply adds findings to it, and is the caller's to codec_free.
typedef struct {
    PreparedClaim claim;
    Claim head;
    ClaimDimensions dims;
    ServiceLine *lines;
    ServiceLine **line_list;
    size_t lines_capacity;
} stage_claim_t;

//  Appends claim's record to file: 0, or -1 when it cannot be written. The
//  head holds of each line only its number and procedure code (batch.c).
int  stage_write (FILE *file, const PreparedClaim *claim);
//  Reads the body of one record (size bytes at data, the length already
//  read) into self: 0, or -1 when it does not read as a record (then
//  self->claim is not to be used).
int  stage_read (stage_claim_t *self, const uint8_t *data, size_t size);
//  Frees the lines self keeps for its reads (not a scrub result).
void stage_claim_release (stage_claim_t *self);

#endif
