/*  records: a denial in the store (docs/denials.md). Every function runs
    in the caller's write transaction (an event handler's, a request's, the
    deadline sweep's), so the record, its indexes, its history entry, its
    `denials.*` event and its work item's change commit together or not at
    all.

    A denial is one per claim and remit: the key (PCN, payer, trace) finds
    the one a remit already opened, so a second claims event of the same
    remit (a reversal and the re-adjudication that follows it, a denial
    after them) adds to it instead of opening another.
*/
#ifndef RCMQ_DENIALS_RECORDS_H
#define RCMQ_DENIALS_RECORDS_H

#include "denials.h"

//  What opens (or adds to) a denial.
typedef struct {
    const char *pcn;
    const char *claim_id;
    const ClaimDimensions *dims;
    const char *kind;                   //  denial, rejection, reversal
    const char *payer_id;
    const char *trace;                  //  the remit's key ("" when the event named none)
    const char *remit_date;             //  CCYYMMDD or YYYY-MM-DD
    const char *status_code;
    const char *claim_status;
    DenialReason **reasons;             //  replace the denial's reasons when n_reasons
    size_t n_reasons;
    int64_t taken_back_cents;           //  adds to what the remit took back
    //  A rejection: its category, team, preventable (no CARC)
    const char *category;
    const char *team;
    bool preventable;
    bool known;
    int64_t charge_cents;               //  a rejection: what is at stake (its denied_cents)
    const RemitClaim *remit;            //  the remit's claim (its lines), when the event had one
    const char *date_of_service;
    uint64_t time_ms;
} records_spec_t;

//  0 with *item_p (codec_free it), MDB_NOTFOUND, or an LMDB error.
int  records_get (denials_t *self, MDB_txn *txn, const char *id, DenialItem **item_p);
//  Opens the remit's denial, or adds to it. 0 with the id in id (when not
//  NULL), or an LMDB error / -1 after store_fail.
int  records_open (denials_t *self, MDB_txn *txn, const records_spec_t *spec, char *id, size_t size);
//  The id of the denial (PCN, payer, trace) opened, into id: 0,
//  MDB_NOTFOUND, or an LMDB error.
int  records_find (denials_t *self, MDB_txn *txn, const char *pcn, const char *payer, const char *trace,
                   char *id, size_t size);
//  The claim's denials that are not final, newest first: ids into *ids
//  (zlistx of strings; destroy it). 0 or an LMDB error.
int  records_open_of_claim (denials_t *self, MDB_txn *txn, const char *pcn, zlistx_t **ids);
//  Moves item (read with records_get, changed here) to state, as actor
//  with reason; the caller has checked the move (workflow_check) unless
//  it is the payer's act. Writes it, its history, its work item's state,
//  and denials.state_changed (denials.appealed for appealed;
//  denials.resolved for won, lost, written_off, cancelled, reworked).
//  0 or an LMDB error / -1.
int  records_move (denials_t *self, MDB_txn *txn, DenialItem *item, const char *to, const char *actor,
                   const char *reason, uint64_t now);
//  Writes a changed item (its deadline index kept) with a history entry
//  and, when type is not NULL, the event denials.<type>. 0 or an error.
int  records_save (denials_t *self, MDB_txn *txn, DenialItem *item, uint64_t old_deadline_ms, bool was_indexed,
                   const char *type);
//  Appends a history entry (owned copies).
void records_history (DenialItem *item, uint64_t when, const char *actor, const char *what,
                      const char *from, const char *to, const char *reason);
//  Fills what a reply shows now: priority at now, owner and team from
//  the work item.
int  records_present (denials_t *self, MDB_txn *txn, DenialItem *item, uint64_t now);
//  Flags the denials whose deadline passed by now with no action:
//  missed_deadline, a history entry, denials.deadline_missed, the counter
//  and a note on the work item. At most batch of them; *flagged says how
//  many. 0 or an LMDB error.
int  records_sweep (denials_t *self, MDB_txn *txn, uint64_t now, size_t batch, size_t *flagged);
//  True when the denial waits in the deadline index (not yet acted on).
bool records_indexed (const DenialItem *item);

#endif
