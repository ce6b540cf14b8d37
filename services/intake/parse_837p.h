/*  parse_837p: 837P (005010X222A1) professional claims from an X12 reader.

    Walks the loops 1000A/B, 2000A/2010AA, 2000B (SBR, 2010BA, 2010BB),
    2000C (PAT, 2010CA), 2300 (CLM, DTP, REF, HI), 2310B/2310C and 2400 (LX,
    SV1, DTP*472, REF*6R), and hands each claim to a callback as a Claim
    message as soon as its 2300 loop ends: the file's claims are never held
    in memory together.

    Two kinds of problem:
    - structural (envelope errors from the reader, an HL hierarchy that does
      not hold together, a claim segment outside a claim, not an 837P): the
      whole file is refused; parse_837p returns -1 and the report names the
      segment number, segment id and reason;
    - claim-level (a required element missing or malformed in one claim,
      an element longer than the guide allows or holding a control
      character or invalid UTF-8, a repeat limit of the guide passed):
      that claim still goes to the callback, with parse findings (rule ids
      PRSnnn, LEN001, CHR001, REPnnn; severity error) so scrubbing rejects
      it; the others go on. Past a repeat limit (50 lines, 17 claim DTPs)
      nothing more of the claim is kept, so no claim grows without bound.

    Because problems are found as the file streams, claims handed out before
    a structural error belong to a file that is then refused: a caller must
    treat them as provisional until parse_837p returns 0 (intake applies the
    whole batch in one transaction and aborts it on -1).
*/
#ifndef RCMQ_PARSE_837P_H
#define RCMQ_PARSE_837P_H

#include "x12.h"
#include "claim.pb-c.h"

#include <stddef.h>
#include <stdint.h>

//  Called once per claim. The claim belongs to the parser, is read only
//  (its entities above the claim, the billing provider, subscriber, payer,
//  patient, submitter and receiver, are the parser's own, shared by every
//  claim of their HL) and is freed after the call returns: copy or pack
//  what must outlive it. Return 0 to go on, -1 to stop parsing
//  (parse_837p then returns -1).
typedef int (parse_837p_fn) (const Claim *claim, void *arg);

typedef struct {
    uint64_t segments;          //  segments read
    uint32_t interchanges;      //  ISA envelopes
    uint32_t groups;            //  GS groups
    uint32_t transactions;      //  ST sets
    uint32_t claims;            //  claims handed to the callback
    uint32_t claims_with_findings;  //  of which carried parse findings
    //  On -1: where and why ("segment 27 (HL): ...").
    uint64_t error_segment;
    char error_id [4];
    char error [320];
} parse_837p_report_t;

//  Reads every segment from reader, calling on_claim per claim. Returns 0
//  when the whole file was read and is structurally sound, -1 when it is
//  refused (report->error says why) or the callback stopped it. report may
//  be NULL.
int parse_837p (x12_reader_t *reader, parse_837p_fn *on_claim, void *arg,
                parse_837p_report_t *report);

#endif
