/*  ack999: the 999 implementation acknowledgement (005010X231A1) intake
    returns for each interchange it reads.

    Per transaction set: IK5 A (accepted), E (accepted, but some claims had
    implementation errors: required elements missing or malformed, which
    intake rejected claim by claim), or R. A file refused whole gets one 999
    with AK9 R naming the segment and reason in IK3 / IK4-free form.
    Scrub findings (NPI check digits, code formats) are business edits, not
    implementation errors, so they are not in the 999; they are in the
    batch record and the rejection work list.
*/
#ifndef RCMQ_INTAKE_ACK999_H
#define RCMQ_INTAKE_ACK999_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *control_number;     //  ST02
    uint32_t claims;
    uint32_t with_errors;           //  claims with implementation errors
} ack999_set_t;

typedef struct {
    const char *sender_qualifier;   //  of the interchange acknowledged
    const char *sender_id;
    const char *receiver_qualifier;
    const char *receiver_id;
    const char *group_control;      //  GS06 acknowledged
    uint64_t now_ms;
    uint32_t control;               //  our ISA13 / GS06 for the 999
} ack999_header_t;

//  A 999 for an interchange that was read; malloc'd text.
char *ack999_build (const ack999_header_t *header, const ack999_set_t *sets, size_t count);
//  A 999 rejecting a file that was refused whole.
char *ack999_refusal (const ack999_header_t *header, uint64_t segment, const char *segment_id,
                      const char *reason);

#endif
