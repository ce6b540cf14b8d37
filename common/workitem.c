/*  workitem: see workitem.h. Each change is the same story: read the item
    (a copy that owns its memory), check the change against the state
    table, change the copy, settle its SLA clock at the change's instant,
    add a history entry, write it with s_put (which moves each index entry
    from the old version's key to the new one's) and append its event. A
    refusal happens before anything is written.
*/
#include "workitem.h"
#include "clock.h"
#include "codec.h"

#include <stdarg.h>

#define WORKITEM_ID_MAX 9999999999ULL

struct _workitem_t {
    store_t *store;
    outbox_t *outbox;
    char *service;
    char *stream;
    workitem_rules_fn *rules_fn;
    void *rules_arg;
    workitem_grid_fn *grid_fn;
    void *grid_arg;
    Status status;
    char error [512];
};

//  The text indexes: table and the field of the item it is keyed on.
typedef struct {
    const char *table;
    size_t offset;                          //  of the char * field in WorkItem
} s_index_t;

static const s_index_t s_indexes [] = {
    { "work_by_owner",   offsetof (WorkItem, owner) },
    { "work_by_queue",   offsetof (WorkItem, queue) },
    { "work_by_state",   offsetof (WorkItem, state) },
    { "work_by_subject", offsetof (WorkItem, subject) },
    { NULL }
};

workitem_t *
workitem_new (store_t *store, outbox_t *outbox, const char *service, const char *stream)
{
    assert (store && service);
    workitem_t *self = (workitem_t *) zmalloc (sizeof (workitem_t));
    self->store = store;
    self->outbox = outbox;
    self->service = strdup (service);
    self->stream = strdup (stream? stream: service);
    return self;
}

void
workitem_destroy (workitem_t **self_p)
{
    assert (self_p);
    workitem_t *self = *self_p;
    if (self) {
        free (self->service);
        free (self->stream);
        free (self);
        *self_p = NULL;
    }
}

void
workitem_set_rules (workitem_t *self, workitem_rules_fn *fn, void *arg)
{
    self->rules_fn = fn;
    self->rules_arg = arg;
}

void
workitem_set_grid (workitem_t *self, workitem_grid_fn *fn, void *arg)
{
    self->grid_fn = fn;
    self->grid_arg = arg;
}

const char *workitem_service (workitem_t *self)  { return self->service; }
store_t    *workitem_store (workitem_t *self)    { return self->store; }
Status      workitem_status (workitem_t *self)   { return self->status; }
const char *workitem_error (workitem_t *self)    { return self->error; }

static int
s_refuse (workitem_t *self, Status status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    self->status = status;
    return WORKITEM_REFUSED;
}

//  A calendar that counts every millisecond: the clock of an item whose
//  rules come from no policy (no hook).
static uint64_t
s_plain_add (void *calendar, uint64_t start_ms, uint64_t business_ms)
{
    return start_ms + business_ms;
}

static uint64_t
s_plain_between (void *calendar, uint64_t from_ms, uint64_t to_ms)
{
    return to_ms > from_ms? to_ms - from_ms: 0;
}

int
workitem_rules (workitem_t *self, const WorkItem *item, workclock_rules_t *rules)
{
    memset (rules, 0, sizeof *rules);
    rules->add = s_plain_add;
    rules->between = s_plain_between;
    rules->target_ms = item->target_ms;
    if (!self->rules_fn)
        return 0;
    char error [256] = "";
    if (self->rules_fn (self->rules_arg, item, rules, error, sizeof error))
        return s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s: %s",
                         *item->id? item->id: "(new)", error);
    return 0;
}

int
workitem_grid (workitem_t *self, MDB_txn *txn, const WorkItem *item, workitem_grid_t *entry)
{
    memset (entry, 0, sizeof *entry);
    if (!self->grid_fn || !*item->queue)
        return 0;
    int rc = self->grid_fn (self->grid_arg, txn, item, entry);
    if (rc == MDB_NOTFOUND) {
        memset (entry, 0, sizeof *entry);
        return 0;
    }
    return rc;
}

size_t
workitem_boundary_key (uint8_t *key, uint64_t boundary_ms, const char *id)
{
    store_u64_write (key, boundary_ms);
    size_t length = strlen (id);
    assert (8 + length <= WORKITEM_KEY_MAX);
    memcpy (key + 8, id, length);
    return 8 + length;
}

//  "value\0id", the text indexes' key.
static size_t
s_text_key (uint8_t *key, const char *value, const char *id)
{
    size_t value_size = strlen (value), id_size = strlen (id);
    assert (value_size + 1 + id_size <= WORKITEM_KEY_MAX);
    memcpy (key, value, value_size);
    key [value_size] = 0;
    memcpy (key + value_size + 1, id, id_size);
    return value_size + 1 + id_size;
}

static const char *
s_field (const WorkItem *item, size_t offset)
{
    return *(char *const *) ((const char *) item + offset);
}

//  Writes item, moving each index entry that differs from old's (NULL for
//  a new item). Empty index values are not indexed.
static int
s_put (workitem_t *self, MDB_txn *txn, const WorkItem *old, const WorkItem *item)
{
    uint8_t key [WORKITEM_KEY_MAX];
    int rc = 0;
    if (old && old->next_boundary_ms && old->next_boundary_ms != item->next_boundary_ms) {
        rc = store_del (self->store, txn, "work_by_boundary", key,
                        workitem_boundary_key (key, old->next_boundary_ms, old->id));
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    if (item->next_boundary_ms && (!old || old->next_boundary_ms != item->next_boundary_ms)) {
        rc = store_put (self->store, txn, "work_by_boundary", key,
                        workitem_boundary_key (key, item->next_boundary_ms, item->id), "", 0);
        if (rc)
            return rc;
    }
    for (const s_index_t *index = s_indexes; index->table; index++) {
        const char *was = old? s_field (old, index->offset): "";
        const char *now = s_field (item, index->offset);
        if (streq (was, now))
            continue;
        if (*was) {
            rc = store_del (self->store, txn, index->table, key, s_text_key (key, was, item->id));
            if (rc && rc != MDB_NOTFOUND)
                return rc;
        }
        if (*now) {
            rc = store_put (self->store, txn, index->table, key, s_text_key (key, now, item->id), "", 0);
            if (rc)
                return rc;
        }
    }
    return store_put_message (self->store, txn, "work_items", item->id, item);
}

void
workitem_history_add (WorkItem *item, const char *who, uint64_t when, const char *what, const char *note)
{
    WorkHistory *entry = (WorkHistory *) malloc (sizeof (WorkHistory));
    assert (entry);
    work_history__init (entry);
    codec_set_text (&entry->who, who);
    codec_set_text (&entry->what, what);
    codec_set_text (&entry->note, note);
    entry->when_ms = when;
    codec_append (&item->history, &item->n_history, entry);
}

//  The event of a change: the item without its history.
int
workitem_emit (workitem_t *self, MDB_txn *txn, const WorkItem *item, const char *what, const WorkEvent *event)
{
    if (!self->outbox)
        return 0;
    WorkItem bare = *item;
    bare.n_history = 0;
    bare.history = NULL;
    WorkEvent copy = *event;
    copy.item = &bare;
    char type [64];
    snprintf (type, sizeof type, "work.%s", what);
    return outbox_append (self->outbox, txn, self->stream, type, item->id, &copy);
}

int
workitem_store_change (workitem_t *self, MDB_txn *txn, const WorkItem *old, WorkItem *item,
                       const char *what, const WorkEvent *event)
{
    int rc = s_put (self, txn, old, item);
    if (rc == 0 && event)
        rc = workitem_emit (self, txn, item, what, event);
    return rc;
}

int
workitem_get (workitem_t *self, MDB_txn *txn, const char *id, WorkItem **item_p)
{
    *item_p = NULL;
    if (!id || !*id || strlen (id) > WORKITEM_KEY_MAX - 8)
        return MDB_NOTFOUND;
    MDB_val value;
    int rc = store_get (self->store, txn, "work_items", id, strlen (id), &value);
    if (rc)
        return rc;
    *item_p = (WorkItem *) codec_decode (&work_item__descriptor, value.mv_data, value.mv_size);
    return *item_p? 0: MDB_CORRUPTED;
}

int
workitem_of_subject (workitem_t *self, MDB_txn *txn, const char *subject, const char *type,
                     bool open_only, zlistx_t **ids)
{
    *ids = zlistx_new ();
    zlistx_set_destructor (*ids, (czmq_destructor *) zstr_free);
    zlistx_set_duplicator (*ids, (czmq_duplicator *) strdup);
    store_iter_t *iter = store_iter_new (self->store, txn, "work_by_subject", subject, strlen (subject) + 1);
    MDB_val key, value;
    int rc = 0;
    while (rc == 0 && store_iter_next (iter, &key, &value)) {
        MDB_val suffix = store_iter_suffix (iter);
        char id [WORKITEM_KEY_MAX];
        snprintf (id, sizeof id, "%.*s", (int) suffix.mv_size, (const char *) suffix.mv_data);
        WorkItem *item;
        rc = workitem_get (self, txn, id, &item);
        if (rc == 0 && (!type || streq (item->type, type)) && (!open_only || !workstate_final (item->state)))
            zlistx_add_end (*ids, id);
        codec_free (item);
    }
    if (rc == 0)
        rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

//  What of a patient's PHI each type of work needs (minimum necessary,
//  docs/access.md): a payer asks whoever calls about a claim or a denial
//  for the patient's name, date of birth and member id; the practice finds
//  its chart for a documentation request by name and date of birth; an
//  inquiry is the patient's own question, answered by name and address.
static const struct {
    const char *type;
    unsigned needs;
} s_phi_needs [] = {
    { "follow_up",             MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) | MASK_NEED (MASK_FIELD_MEMBER_ID) },
    { "denial",                MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) | MASK_NEED (MASK_FIELD_MEMBER_ID) },
    { "documentation_request", MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) },
    { "inquiry",               MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_ADDRESS) },
};

unsigned
workitem_phi_needs (const char *type)
{
    for (size_t i = 0; i < sizeof s_phi_needs / sizeof s_phi_needs [0]; i++)
        if (streq (s_phi_needs [i].type, type))
            return s_phi_needs [i].needs;
    return 0;
}

int
workitem_owner_needs (workitem_t *self, MDB_txn *txn, const char *subject, const char *owner,
                      unsigned *needs, char *item_id, size_t size)
{
    *needs = 0;
    if (size)
        *item_id = 0;
    if (!owner || !*owner)
        return 0;
    zlistx_t *ids;
    int rc = workitem_of_subject (self, txn, subject, NULL, true, &ids);
    for (const char *id = (const char *) zlistx_first (ids); id && rc == 0; id = (const char *) zlistx_next (ids)) {
        WorkItem *item = NULL;
        rc = workitem_get (self, txn, id, &item);
        if (rc == 0 && streq (item->owner, owner) && workitem_phi_needs (item->type)) {
            *needs |= workitem_phi_needs (item->type);
            if (size && !*item_id)
                snprintf (item_id, size, "%s", id);
        }
        codec_free (item);
    }
    zlistx_destroy (&ids);
    return rc;
}

//  Reads the item a change acts on: 0, WORKITEM_REFUSED (NOT_FOUND), or
//  an LMDB error.
static int
s_load (workitem_t *self, MDB_txn *txn, const char *id, WorkItem **item_p)
{
    int rc = workitem_get (self, txn, id, item_p);
    if (rc == MDB_NOTFOUND)
        return s_refuse (self, STATUS__NOT_FOUND, "no work item '%s'", id? id: "");
    return rc;
}

//  Writes a change of item (from old), its event, and hands the item out.
static int
s_finish (workitem_t *self, MDB_txn *txn, WorkItem *old, WorkItem *item, const char *what,
          WorkEvent *event, WorkItem **item_p)
{
    int rc = workitem_store_change (self, txn, old, item, what, event);
    codec_free (old);
    if (rc == 0 && item_p)
        *item_p = item;
    else
        codec_free (item);
    return rc;
}

//  A person's change after creation is the item's first touch; a policy
//  that measures time to first touch stops its clock then. 0,
//  WORKITEM_REFUSED or an LMDB error.
static int
s_touch (workitem_t *self, WorkItem *item, const char *actor, uint64_t at)
{
    item->updated_ms = at;
    if (item->first_touch_ms || !actor || !*actor || streq (actor, item->service))
        return 0;
    item->first_touch_ms = at;
    workclock_rules_t rules;
    int rc = workitem_rules (self, item, &rules);
    if (rc == 0 && rules.stopped)
        workclock_move (item, &rules, at, item->state);
    return rc;
}

int
workitem_create (workitem_t *self, MDB_txn *txn, const workitem_spec_t *spec, const char *actor,
                 uint64_t at, WorkItem **item_p)
{
    if (item_p)
        *item_p = NULL;
    if (!spec->type || !*spec->type)
        return s_refuse (self, STATUS__INVALID_ARGUMENT, "a work item needs a type");
    const char *state = spec->state && *spec->state? spec->state: "open";
    if (!workstate_known (state) || workstate_final (state)) {
        char names [160];
        workstate_names (names, sizeof names);
        return s_refuse (self, STATUS__INVALID_ARGUMENT, "a new work item cannot be in state '%s' (states: %s; "
                         "done and cancelled are final)", state, names);
    }
    uint64_t number;
    int rc = store_next_counter (self->store, txn, "work_meta", "next_id", WORKITEM_ID_MAX, &number);
    if (rc)
        return rc;
    char id [WORKITEM_KEY_MAX];
    snprintf (id, sizeof id, "%s-%010" PRIu64, self->service, number);

    WorkItem draft = WORK_ITEM__INIT;
    draft.id = id;
    draft.service = self->service;
    draft.type = (char *) spec->type;
    draft.subject = (char *) (spec->subject? spec->subject: "");
    draft.subject_state = (char *) (spec->subject_state? spec->subject_state: "");
    draft.queue = (char *) (spec->queue? spec->queue: "");
    draft.state = (char *) state;
    WorkItem *item = (WorkItem *) codec_copy (&draft);
    assert (item);
    //  What the caller leaves empty, the grid of its queue and type names.
    workitem_grid_t grid;
    rc = workitem_grid (self, txn, item, &grid);
    if (rc) {
        codec_free (item);
        return rc;
    }
    codec_set_text (&item->owner, spec->owner && *spec->owner? spec->owner: grid.owner);
    codec_set_text (&item->team, spec->team && *spec->team? spec->team: grid.team);
    codec_set_text (&item->sla_policy, spec->sla_policy && *spec->sla_policy? spec->sla_policy: grid.sla_policy);
    item->priority = spec->priority;
    item->created_ms = item->updated_ms = at;

    workclock_rules_t rules;
    rc = workitem_rules (self, item, &rules);
    if (rc == 0 && spec->due_ms) {
        //  An explicit due: the target is the business time to it, and
        //  the levels are the policy's for that target.
        item->target_ms = rules.between (rules.calendar, at, spec->due_ms);
        rc = workitem_rules (self, item, &rules);
    }
    if (rc) {
        codec_free (item);
        return rc;
    }
    workclock_start (item, &rules, at);
    workitem_history_add (item, actor, at, "created", spec->note);
    if (*grid.note)
        workitem_history_add (item, actor, at, "policy", grid.note);
    WorkEvent event = WORK_EVENT__INIT;
    event.actor = (char *) (actor? actor: "");
    event.to = item->state;
    event.note = (char *) (spec->note? spec->note: "");
    event.time_ms = at;
    return s_finish (self, txn, NULL, item, "created", &event, item_p);
}

int
workitem_assign (workitem_t *self, MDB_txn *txn, const char *id, const char *owner, const char *actor,
                 const char *note, uint64_t at, WorkItem **item_p)
{
    WorkItem *old;
    int rc = s_load (self, txn, id, &old);
    if (rc)
        return rc;
    if (workstate_final (old->state)) {
        rc = s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s is %s: it is not assigned any more",
                       id, old->state);
        codec_free (old);
        return rc;
    }
    if (streq (old->owner, owner? owner: "")) {
        rc = s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s is already %s's", id, old->owner);
        codec_free (old);
        return rc;
    }
    WorkItem *item = (WorkItem *) codec_copy (old);
    codec_set_text (&item->owner, owner);
    rc = s_touch (self, item, actor, at);
    if (rc) {
        codec_free (old);
        codec_free (item);
        return rc;
    }
    char what [160];
    snprintf (what, sizeof what, "assigned %s (was %s)", *owner? owner: "nobody", *old->owner? old->owner: "nobody");
    workitem_history_add (item, actor, at, what, note);
    WorkEvent event = WORK_EVENT__INIT;
    event.actor = (char *) actor;
    event.from = old->owner;
    event.to = item->owner;
    event.note = (char *) (note? note: "");
    event.time_ms = at;
    return s_finish (self, txn, old, item, "assigned", &event, item_p);
}

int
workitem_set_state (workitem_t *self, MDB_txn *txn, const char *id, const char *state, const char *actor,
                    const char *note, uint64_t at, WorkItem **item_p)
{
    WorkItem *old;
    int rc = s_load (self, txn, id, &old);
    if (rc)
        return rc;
    char error [256];
    if (workstate_check (old->state, state, error, sizeof error)) {
        Status status = workstate_known (state)? STATUS__FAILED_PRECONDITION: STATUS__INVALID_ARGUMENT;
        rc = s_refuse (self, status, "work item %s %s", id, error);
        codec_free (old);
        return rc;
    }
    workclock_rules_t rules;
    rc = workitem_rules (self, old, &rules);
    if (rc) {
        codec_free (old);
        return rc;
    }
    WorkItem *item = (WorkItem *) codec_copy (old);
    workclock_move (item, &rules, at, state);
    codec_set_text (&item->state, state);
    if (workstate_final (state))
        item->closed_ms = at;
    rc = s_touch (self, item, actor, at);
    if (rc) {
        codec_free (old);
        codec_free (item);
        return rc;
    }
    char what [160];
    snprintf (what, sizeof what, "state %s -> %s", old->state, state);
    workitem_history_add (item, actor, at, what, note);
    WorkEvent event = WORK_EVENT__INIT;
    event.actor = (char *) actor;
    event.from = old->state;
    event.to = item->state;
    event.note = (char *) (note? note: "");
    event.time_ms = at;
    return s_finish (self, txn, old, item, "state_changed", &event, item_p);
}

int
workitem_cancel (workitem_t *self, MDB_txn *txn, const char *id, const char *actor, const char *note,
                 uint64_t at, WorkItem **item_p)
{
    return workitem_set_state (self, txn, id, "cancelled", actor, note, at, item_p);
}

int
workitem_note (workitem_t *self, MDB_txn *txn, const char *id, const char *actor, const char *note,
               uint64_t at, WorkItem **item_p)
{
    if (!note || !*note)
        return s_refuse (self, STATUS__INVALID_ARGUMENT, "work item %s: a note needs text", id);
    WorkItem *old;
    int rc = s_load (self, txn, id, &old);
    if (rc)
        return rc;
    WorkItem *item = (WorkItem *) codec_copy (old);
    rc = s_touch (self, item, actor, at);
    if (rc) {
        codec_free (old);
        codec_free (item);
        return rc;
    }
    workitem_history_add (item, actor, at, "noted", note);
    WorkEvent event = WORK_EVENT__INIT;
    event.actor = (char *) actor;
    event.note = (char *) note;
    event.time_ms = at;
    return s_finish (self, txn, old, item, "noted", &event, item_p);
}

int
workitem_set_due (workitem_t *self, MDB_txn *txn, const char *id, uint64_t due_ms, const char *actor,
                  const char *note, uint64_t at, WorkItem **item_p)
{
    WorkItem *old;
    int rc = s_load (self, txn, id, &old);
    if (rc)
        return rc;
    if (workstate_final (old->state)) {
        rc = s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s is %s: it has no due time any more",
                       id, old->state);
        codec_free (old);
        return rc;
    }
    WorkItem *item = (WorkItem *) codec_copy (old);
    workclock_rules_t rules;
    rc = workitem_rules (self, item, &rules);
    if (rc == 0) {
        uint64_t spent = workclock_spent (item, &rules, at);
        item->target_ms = spent + rules.between (rules.calendar, at, due_ms);
        rc = workitem_rules (self, item, &rules);
    }
    if (rc) {
        codec_free (old);
        codec_free (item);
        return rc;
    }
    workclock_retarget (item, &rules, at);
    rc = s_touch (self, item, actor, at);
    if (rc) {
        codec_free (old);
        codec_free (item);
        return rc;
    }
    char when [32], what [64];
    clock_format_iso8601 (due_ms, when, sizeof when);
    snprintf (what, sizeof what, "due %s", when);
    workitem_history_add (item, actor, at, what, note);
    WorkEvent event = WORK_EVENT__INIT;
    event.actor = (char *) actor;
    event.note = (char *) (note? note: "");
    event.time_ms = at;
    return s_finish (self, txn, old, item, "due_changed", &event, item_p);
}

int
workitem_set_subject_state (workitem_t *self, MDB_txn *txn, const char *id, const char *subject_state,
                            uint64_t at)
{
    WorkItem *old;
    int rc = s_load (self, txn, id, &old);
    if (rc)
        return rc;
    WorkItem *item = (WorkItem *) codec_copy (old);
    codec_set_text (&item->subject_state, subject_state);
    item->updated_ms = at;
    return s_finish (self, txn, old, item, NULL, NULL, NULL);
}

bool
workitem_overdue (workitem_t *self, const WorkItem *item, uint64_t now)
{
    workclock_rules_t rules;
    if (workitem_rules (self, item, &rules))
        //  A policy no longer configured: the due instant as last planned.
        return !workstate_final (item->state) && item->due_ms && item->due_ms <= now;
    return workclock_overdue (item, &rules, now);
}
