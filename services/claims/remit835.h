/*  remit835: 835 (005010X221A1) health care claim payment / advice, read
    from an X12 reader into one Remittance message per transaction set.

    Reads the header (BPR payment, TRN trace, DTM*405, N1*PR payer and
    N1*PE payee with their N3 / N4 / REF), the claims (LX, CLP with its
    claim-level CAS, MOA / MIA remark codes, DTM*232 / 233) and their
    service lines (SVC, DTM*472 / 150, CAS, REF*6R, LQ*HE), and the
    provider-level adjustments (PLB) at the end of the set. Names of the
    patient, the insured and the rendering provider (NM1 in the claim loop)
    are PHI or of no use to posting and are never kept.

    Money is exact integer cents. A malformed file (envelope errors from the
    reader, a header, payer, payee or PLB segment that is wrong, a segment
    outside the loop it belongs to) is refused whole: remit835_read returns
    -1 and the report names the segment number, segment id and reason.
    An error inside one claim's loop (CLP01 missing, an unknown CLP02
    status or CAS group, an amount that is not one, an SVC without a
    procedure code) refuses that claim only: its RemitClaim comes out with
    `error` ("segment 31 (SVC): SVC01-2 procedure code is missing") and
    `error_segment` set, and the other claims are read as usual.

    Reading does not check the arithmetic: remit835_check does, separately,
    so a caller can both refuse an unbalanced remittance and say exactly
    which claim, line or total does not add up.
*/
#ifndef RCMQ_CLAIMS_REMIT835_H
#define RCMQ_CLAIMS_REMIT835_H

#include "x12.h"
#include "claims.pb-c.h"

#include <stddef.h>
#include <stdint.h>

//  Called once per transaction set (ST ... SE) when its SE has been read.
//  The remittance belongs to the reader and is freed after the call; the
//  callback may keep it instead by taking it and setting *remit_p to NULL
//  (free it later with remittance__free_unpacked). Return 0 to go on, -1 to
//  stop (remit835_read then returns -1).
//  Remittances handed out before a later structural error belong to a file
//  that is then refused: treat them as provisional until remit835_read
//  returns 0.
typedef int (remit835_fn) (Remittance **remit_p, void *arg);

typedef struct {
    uint64_t segments;          //  segments read
    uint32_t interchanges;      //  ISA envelopes
    uint32_t transactions;      //  ST sets (= remittances handed out on success)
    uint32_t claims;            //  CLP loops
    uint32_t lines;             //  SVC loops
    uint32_t provider_adjustments;  //  PLB amounts
    uint32_t unsound_claims;    //  CLPs handed out with `error` set
    //  On -1: where and why ("segment 27 (CAS): ...").
    uint64_t error_segment;
    char error_id [4];
    char error [320];
} remit835_report_t;

//  Reads every segment from reader, calling on_remit per transaction set.
//  Returns 0 when the whole file was read and is well formed, -1 when it is
//  refused (report->error says why) or the callback stopped it. report may
//  be NULL.
int remit835_read (x12_reader_t *reader, remit835_fn *on_remit, void *arg,
                   remit835_report_t *report);

//  Streaming: the same reading, but each CLP loop is handed out as it
//  closes instead of being gathered into the set's Remittance, so reading
//  holds one claim at a time whatever the size of the set (issue 19).
//  The reader keeps what the balancing check needs: the running sum of
//  CLP04 and the first problem of the set's claims with their count.
//    on_set    the set's header (BPR, TRN, DTM, payer, payee; payer_id as
//              remit835_read sets it) once it is complete: at the set's
//              first LX, CLP or PLB, or at SE when it has none.
//    on_claim  each CLP, in order, index its position in the set from 0,
//              when the next LX / CLP / PLB / SE closes it; it may take
//              *claim_p (set it to NULL; free with remit_claim__free_unpacked).
//    on_end    at SE: the set (header and PLBs, no claims) and, when its
//              payment does not balance (remit835_check_payment), problem:
//              what remit835_check would say of the whole set; NULL when
//              it balances (claims that do not add up are the caller's to
//              file one by one). May take *remit_p.
//  Any of them may be NULL; a callback returns 0 to go on, -1 to stop.
//  Everything handed out before a later error belongs to a file that is
//  then refused (remit835_stream returns -1): provisional until then.
typedef struct {
    int (*on_set) (const Remittance *set, void *arg);
    int (*on_claim) (const Remittance *set, RemitClaim **claim_p, size_t index, void *arg);
    int (*on_end) (Remittance **remit_p, const char *problem, void *arg);
} remit835_stream_t;

//  Reads every segment from reader like remit835_read, calling stream's
//  callbacks. Returns 0 or -1 as remit835_read does.
int remit835_stream (x12_reader_t *reader, const remit835_stream_t *stream, void *arg,
                     remit835_report_t *report);

//  Checks that the remittance adds up, in cents:
//    every line:   SVC02 - sum of the line's CAS = SVC03
//    every claim:  CLP03 - sum of CAS (claim and its lines) = CLP04
//    the payment:  BPR02 = sum of CLP04 - sum of PLB amounts
//  (in 5010 a PLB amount is positive when it reduces the payment). Returns
//  0, or -1 with error naming the first claim / line / total that does not
//  add up, its segment and the amounts, and how many other problems there
//  are. error may be NULL.
//  An unsound claim (error set) counts as a problem too.
int remit835_check (const Remittance *remit, char *error, size_t size);

//  The two halves of remit835_check, for a caller that posts claim by
//  claim: one claim (readable, its lines and itself adding up), and the
//  payment (BPR02 = sum of every CLP04, sound or not, - sum of PLB).
int remit835_check_claim (const RemitClaim *claim, char *error, size_t size);
int remit835_check_payment (const Remittance *remit, char *error, size_t size);

//  Formats cents as X12 decimal text ("-42.58", "0", "12.5" -> "12.50").
//  Returns buffer.
char *remit835_money (int64_t cents, char *buffer, size_t size);

#endif
