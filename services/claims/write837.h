/*  write837: 837P (005010X222A1) batch files for the clearinghouse.

    One call writes one payer's claims as one interchange:

        ISA  GS  ST BHT 1000A 1000B  (2000A (2000B [2000C] 2300 ...)...)  SE
                 ST ...                                                   SE
             GE
        IEA

    Claims come in as opened Claim messages (phi_claim_open) and go out in
    the loops intake's parser reads (parse_837p.h), so a written file read
    back with parse_837p gives the same claims again, bar the envelope:

      2000A / 2010AA  one per billing provider (NPI, name, address, tax id,
                      PRV*BI taxonomy): claims are stably sorted by billing
                      provider, so each provider's claims share one 2000A
      2000B / 2010BA  one per claim (SBR, subscriber, DMG), with 2010BB the
      2010BB          payer; HL04 says whether a 2000C follows
      2000C / 2010CA  when the claim has a patient other than the subscriber
      2300            CLM (CLM05 = place:B:frequency), DTP, REF*G1 prior
                      authorisation, REF*F8 payer claim number (required for
                      frequency 7 replacement and 8 void), HI (ABK then ABF)
      2310B / 2310C   rendering provider (PRV*PE) and service facility
      2400            LX, SV1, DTP*472, REF*6R

    Line item control numbers (REF*6R): "<PCN>-<LX>", e.g. "P10000042-3",
    written by write837_line_id. Payers echo REF*6R in the 835's SVC loop, so
    a remit line names its claim line whatever the payer did to the codes;
    the PCN is in it so the id is unique across claims. CLM01 is at most 38
    characters and 837P has at most 50 lines, so the id fits REF02's 50.
    The claim's own REF*6R (if the practice sent one) is replaced.

    Separators are * : ^ ~ unless a data value contains one of them; then
    the first unused characters of a fixed list are used instead (X12 takes
    its separators from ISA, and a separator inside data would split an
    element). Control characters in data are an error.

    A claim that cannot be written (another payer, no lines, frequency 7
    without the payer claim number, ...) fails the call with the PCN and
    reason; write837_check lets a caller find such claims first and keep
    them out of the batch.
*/
#ifndef RCMQ_WRITE837_H
#define RCMQ_WRITE837_H

#include "claim.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  837P allows 5000 claims per transaction set; more go into further ST.
#define WRITE837_MAX_CLAIMS_PER_SET 5000
//  CLM01 is AN 1-38.
#define WRITE837_MAX_PCN 38
#define WRITE837_ERROR_SIZE 256

typedef struct {
    const char *payer_id;               //  every claim's payer.payer_id must be this
    //  ISA05 / ISA06 and ISA07 / ISA08 (ids at most 15 characters).
    const char *sender_qualifier;       //  default "ZZ"
    const char *sender_id;
    const char *receiver_qualifier;     //  default "ZZ"
    const char *receiver_id;
    //  GS02 / GS03 (default: the ISA ids).
    const char *application_sender;
    const char *application_receiver;
    //  1000A (NM1*41, NM108 46 = ETIN) with its PER contact, and 1000B
    //  (NM1*40). Only entity_type, name, first_name, id_qualifier and id
    //  are used; id_qualifier defaults to "46", entity_type to "2".
    const Provider *submitter;
    const char *contact_name;           //  PER02
    const char *contact_phone;          //  PER04 (TE)
    const Provider *receiver;
    //  Control numbers: ISA13 / IEA02 (1..999999999), GS06 / GE02, the
    //  first ST02 / SE02 (later sets count up from it).
    uint32_t interchange_control_number;
    uint32_t group_control_number;
    uint32_t transaction_control_number;
    const char *reference;              //  BHT03, the batch id (default: ST02)
    uint64_t now_ms;                    //  ISA09/10, GS04/05, BHT04/05, in UTC
    bool test;                          //  ISA15 T (test) instead of P
    bool ack_requested;                 //  ISA14: ask for a TA1
    bool newline;                       //  '\n' after each segment terminator
    uint32_t claims_per_set;            //  0 = WRITE837_MAX_CLAIMS_PER_SET
} write837_header_t;

//  The file text for claims (NUL-terminated; free with free) and its length
//  in *size; or NULL with the reason in error (at least
//  WRITE837_ERROR_SIZE bytes), naming the claim's PCN when a claim is at
//  fault. count must be at least 1.
char *write837_batch (const write837_header_t *header, Claim *const *claims, size_t count,
                      size_t *size, char *error);

//  0 when claim can be written for payer_id, else -1 with the reason in
//  error (WRITE837_ERROR_SIZE bytes): the same checks write837_batch makes,
//  control characters in data included (it writes the claim to find them).
int   write837_check (const Claim *claim, const char *payer_id, char *error);

//  REF*6R of line lx (from 1) of a claim: "<pcn>-<lx>" into out (at least
//  WRITE837_MAX_PCN + 12 bytes).
void  write837_line_id (const char *pcn, uint32_t lx, char *out, size_t size);

#endif
