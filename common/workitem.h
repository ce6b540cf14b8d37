/*  workitem: a service's work items in its own store (issue 15,
    docs/work-items.md "The model").

    A service that holds work items declares WORKITEM_TABLES among its
    tables and makes one workitem_t over its store and outbox. Every change
    (create, assign, state, note, due) runs in the caller's write
    transaction: it writes the item, its indexes and a history entry, and
    appends `<stream>.work.<event>` (a WorkEvent) to the outbox, so the
    change and its event commit together or not at all.

    Tables:
        work_items        id -> WorkItem
        work_by_boundary  8-byte big-endian next_boundary_ms ‖ id -> ""
                          (only items whose clock runs toward a level: the
                          escalation sweep reads this index up to now and
                          nothing else)
        work_by_owner     owner "\0" id, work_by_queue queue "\0" id,
        work_by_state     state "\0" id, work_by_subject subject "\0" id
                          (list filters and a subject's items)
        work_meta         the id counter

    Two hooks bind an item to what it follows, without the model knowing
    how they are kept: the rules of its SLA policy (calendar, pause states,
    target, level thresholds; common/sla via workpolicy.h) and the
    responsibility grid of its queue × type (team, default owner, policy,
    the person of each escalation level). An item names its queue and
    policy, not a copy of the grid, so a grid change reaches open items at
    their next escalation. Without hooks an item has no clock.

    A refused change (no such item, a state the table does not allow)
    changes nothing and returns WORKITEM_REFUSED with the status and the
    message in workitem_status / workitem_error.
*/
#ifndef RCMQ_WORKITEM_H
#define RCMQ_WORKITEM_H

#include "api.pb-c.h"
#include "outbox.h"
#include "store.h"
#include "mask.h"
#include "work.pb-c.h"
#include "workclock.h"
#include "workstate.h"

#define WORKITEM_TABLES "work_items", "work_by_boundary", "work_by_owner", "work_by_queue", \
                        "work_by_state", "work_by_subject", "work_meta"

//  Returned (never an LMDB code) when a change is refused.
#define WORKITEM_REFUSED (-2)

typedef struct _workitem_t workitem_t;

//  What the grid names for one queue × work type (common/grid's entry).
typedef struct {
    char team [64];
    char owner [64];                        //  default assignee ("" : none)
    char sla_policy [64];
    char escalate [WORKCLOCK_LEVELS][64];   //  the person of level i+1
    //  What a new item's history should say about the entry ("" : nothing):
    //  a policy the grid names but the configuration does not hold.
    char note [256];
} workitem_grid_t;

//  The SLA rules of item (its sla_policy, its own target_ms when set):
//  0, or -1 with why in error (a policy the configuration does not hold).
typedef int (workitem_rules_fn) (void *arg, const WorkItem *item, workclock_rules_t *rules,
                                 char *error, size_t size);
//  The grid's entry for the item's queue and type: 0, MDB_NOTFOUND when
//  it names none, or an LMDB error.
typedef int (workitem_grid_fn) (void *arg, MDB_txn *txn, const WorkItem *item, workitem_grid_t *entry);

//  What a new item is; empty fields take the grid's (team, owner,
//  sla_policy), state "open" when empty, due from the policy when due_ms
//  is 0.
typedef struct {
    const char *type;
    const char *subject;
    const char *subject_state;
    const char *queue;
    const char *owner;
    const char *team;
    const char *state;
    const char *sla_policy;
    int32_t priority;
    uint64_t due_ms;
    const char *note;
    //  An open item of the same service that waits for the new one
    //  (workitem_wait): NULL or "" for none.
    const char *blocks;
    const char *what;                       //  documentation_request: what is asked
    const char *denial;                     //  documentation_request: the denial it is for
} workitem_spec_t;

//  service names the items' ids and history ("claims"); stream is where
//  their events go (usually the same).
workitem_t *workitem_new (store_t *store, outbox_t *outbox, const char *service, const char *stream);
void        workitem_destroy (workitem_t **self_p);
void        workitem_set_rules (workitem_t *self, workitem_rules_fn *fn, void *arg);
void        workitem_set_grid (workitem_t *self, workitem_grid_fn *fn, void *arg);
const char *workitem_service (workitem_t *self);
store_t    *workitem_store (workitem_t *self);

//  The last refusal: its status (NOT_FOUND, INVALID_ARGUMENT,
//  FAILED_PRECONDITION) and message ("work item claims-0000000001 is done:
//  ...").
Status      workitem_status (workitem_t *self);
const char *workitem_error (workitem_t *self);

//  The rules of an item (no clock when there is no hook): 0 or
//  WORKITEM_REFUSED.
int         workitem_rules (workitem_t *self, const WorkItem *item, workclock_rules_t *rules);
//  The grid's entry for an item: 0 (an empty entry when none), or an
//  LMDB error.
int         workitem_grid (workitem_t *self, MDB_txn *txn, const WorkItem *item, workitem_grid_t *entry);

//  Reads an item: 0 with *item_p (codec_free it), MDB_NOTFOUND, or an
//  LMDB error (an undecodable record reads as MDB_CORRUPTED).
int         workitem_get (workitem_t *self, MDB_txn *txn, const char *id, WorkItem **item_p);
//  The items of a subject (of type, when not NULL), open ones only when
//  open_only: their ids into *ids (zlistx of strings, destroy it). 0 or
//  an LMDB error.
int         workitem_of_subject (workitem_t *self, MDB_txn *txn, const char *subject, const char *type,
                                 bool open_only, zlistx_t **ids);

//  The first open item of subject of the type (what workitem_of_subject
//  lists first), its id into id ("" when none), read without a list and
//  without decoding an item: every status change of a claim looks its
//  follow-up up (issue 19). 0 or an LMDB error (MDB_CORRUPTED for an item
//  whose bytes do not read).
int         workitem_open_of_subject (workitem_t *self, MDB_txn *txn, const char *subject, const char *type,
                                      char *id, size_t size);

//  The PHI fields (mask.h's MASK_NEED bits) a work type needs to be done:
//  follow_up and denial the name, DOB and member id (a payer asks for
//  them), documentation_request the name and DOB, inquiry the name and
//  address; 0 for the rest.
unsigned    workitem_phi_needs (const char *type);
//  The PHI of subject that `owner` needs for the OPEN items it owns on it:
//  the union of their types' needs in *needs, the first such item's id in
//  item_id (the work item the access is for, "" when none). A vendor agent
//  sees in full only what the work it holds needs. 0 or an LMDB error.
int         workitem_owner_needs (workitem_t *self, MDB_txn *txn, const char *subject, const char *owner,
                                  unsigned *needs, char *item_id, size_t size);

//  The changes: 0 (with *item_p, the item after, when item_p is not
//  NULL), WORKITEM_REFUSED, or an LMDB error. at is the service clock's
//  instant; actor who makes the change.
int         workitem_create (workitem_t *self, MDB_txn *txn, const workitem_spec_t *spec,
                             const char *actor, uint64_t at, WorkItem **item_p);
int         workitem_assign (workitem_t *self, MDB_txn *txn, const char *id, const char *owner,
                             const char *actor, const char *note, uint64_t at, WorkItem **item_p);
//  done of a documentation_request needs a note (its answer).
int         workitem_set_state (workitem_t *self, MDB_txn *txn, const char *id, const char *state,
                                const char *actor, const char *note, uint64_t at, WorkItem **item_p);
int         workitem_note (workitem_t *self, MDB_txn *txn, const char *id, const char *actor,
                           const char *note, uint64_t at, WorkItem **item_p);
//  A new due instant: the target becomes the business time from now to
//  due_ms plus what the clock has counted, so the levels move with it.
int         workitem_set_due (workitem_t *self, MDB_txn *txn, const char *id, uint64_t due_ms,
                              const char *actor, const char *note, uint64_t at, WorkItem **item_p);
//  Item id waits for the open item waits_for (of the same service): it
//  moves to waiting_practice (which pauses its clock when its policy says
//  so), remembering the state it was in (resume_state), and lists
//  waits_for in waiting_for. When the last item it waits for becomes done
//  or cancelled (any change that ends an item whose `blocks` names it),
//  it returns to that state with a state_changed event whose note says
//  who answered and what; while others remain, or when it left
//  waiting_practice meanwhile, a `noted` event says so. workitem_create
//  with spec->blocks calls it for the new item.
int         workitem_wait (workitem_t *self, MDB_txn *txn, const char *id, const char *waits_for,
                           const char *actor, const char *note, uint64_t at);
int         workitem_cancel (workitem_t *self, MDB_txn *txn, const char *id, const char *actor,
                             const char *note, uint64_t at, WorkItem **item_p);
//  The domain state the item tracks (a claim's status): recorded, no
//  event of its own (the domain's event says it).
int         workitem_set_subject_state (workitem_t *self, MDB_txn *txn, const char *id,
                                        const char *subject_state, uint64_t at);

//  workitem_set_state and workitem_set_due with the domain state
//  recorded in the same change: what workitem_set_subject_state then the
//  change would leave, in one read and one write of the item (a claim's
//  status change that moves its follow-up: issue 19).
int         workitem_track_state (workitem_t *self, MDB_txn *txn, const char *id, const char *subject_state,
                                  const char *state, const char *actor, const char *note, uint64_t at);
int         workitem_track_due (workitem_t *self, MDB_txn *txn, const char *id, const char *subject_state,
                                uint64_t due_ms, const char *actor, const char *note, uint64_t at);

//  For the escalation engine: writes an item changed in place (indexes
//  moved from old's keys) and, with an event, appends it as `work.<what>`.
int         workitem_store_change (workitem_t *self, MDB_txn *txn, const WorkItem *old, WorkItem *item,
                                   const char *what, const WorkEvent *event);
//  Appends the event `work.<what>` of item (sent without its history).
int         workitem_emit (workitem_t *self, MDB_txn *txn, const WorkItem *item, const char *what,
                           const WorkEvent *event);
//  Appends a history entry to an item (owned copies).
void        workitem_history_add (WorkItem *item, const char *who, uint64_t when,
                                  const char *what, const char *note);
//  True when the item is not final and its clock reached its target by now.
bool        workitem_overdue (workitem_t *self, const WorkItem *item, uint64_t now);
//  The boundary index key: 8 bytes of ms, then the id (key holds
//  WORKITEM_KEY_MAX bytes).
#define WORKITEM_KEY_MAX 200
size_t      workitem_boundary_key (uint8_t *key, uint64_t boundary_ms, const char *id);

#endif
