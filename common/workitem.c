/*  workitem: see workitem.h. Each change is the same story, told once by
    s_change: read the item (a copy that owns its memory), refuse a final
    one when the change cannot touch it, let the change's apply function
    change the copy (check it against the state table, settle its SLA
    clock at the change's instant), count a person's first touch, add a
    history entry, write it with s_put (which moves each index entry from
    the old version's key to the new one's) and append its event. A
    refusal happens before anything is written. An item that another
    waits for (a documentation request) resumes that one when it ends, in
    the same transaction.
*/
#include "workitem.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "text.h"
#include "wirekeep.h"

#include <stdarg.h>

//  WorkItem.history: a change made for the service itself (no item
//  handed back) keeps it as its stored bytes (common/wirekeep).
#define S_HISTORY_FIELD 20

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

//  Copies text into out (size bytes), truncated: snprintf "%s".
static void
s_copy (char *out, size_t size, const char *text)
{
    *out = 0;
    text_append (out, size, 0, text);
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

//  Moves each index entry of item that differs from old's (NULL for a
//  new item); the caller writes the item. Empty values are not indexed.
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
    return 0;
}

void
workitem_history_add (WorkItem *item, const char *who, uint64_t when, const char *what, const char *note)
{
    if (wirekeep_holds (item, S_HISTORY_FIELD)) {
        //  The history is held as bytes: the entry goes after them, packed.
        WorkHistory entry = WORK_HISTORY__INIT;
        entry.who = (char *) (who? who: "");
        entry.what = (char *) (what? what: "");
        entry.note = (char *) (note? note: "");
        entry.when_ms = when;
        wirekeep_append (item, S_HISTORY_FIELD, &entry);
        return;
    }
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
    if (wirekeep_holds (item, S_HISTORY_FIELD)) {
        //  Held history bytes are unknown fields to protobuf-c: left out.
        bare.base.n_unknown_fields = 0;
        bare.base.unknown_fields = NULL;
    }
    WorkEvent copy = *event;
    copy.item = &bare;
    char type [64];
    text_append (type, sizeof type, text_append (type, sizeof type, 0, "work."), what);
    return outbox_append (self->outbox, txn, self->stream, type, item->id, &copy);
}

//  The event of a change from the item's packed bytes (its stored
//  record): the item is packed once, for the store and the event both
//  (issue 19). The event's bytes are what workitem_emit packs: field 1
//  (the item) first, as protobuf-c writes it, holding the stored bytes
//  less the history (field 20) and, for an item whose history is held as
//  bytes, less any other field protobuf-c would keep as unknown.
static int
s_emit_packed (workitem_t *self, MDB_txn *txn, const WorkItem *item, const uint8_t *bytes, size_t size,
               const char *what, const WorkEvent *event)
{
    bool held = wirekeep_holds (item, S_HISTORY_FIELD);
    WorkEvent copy = *event;
    copy.item = NULL;
    size_t rest = protobuf_c_message_get_packed_size (&copy.base);
    //  The tag and the length of field 1 take at most 11 bytes.
    size_t capacity = 16 + size + rest;
    uint8_t local [4096];
    uint8_t *out = capacity <= sizeof local? local: (uint8_t *) malloc (capacity);
    assert (out);
    //  The item's fields first, at the most its header can take, then
    //  moved up to the header's end.
    uint8_t *fields = out + 16;
    size_t length = 0;
    const uint8_t *cursor = bytes;
    const uint8_t *end = bytes + size;
    codec_wire_field_t field;
    int rc = 0;
    if (held) {
        //  protobuf-c packs the unknown fields last, after every known
        //  one, each as its tag and the bytes it holds (a length prefix
        //  included); an item whose history is held has none decoded. So
        //  the item less its history and unknown fields is the bytes
        //  before them: copied whole, not walked field by field.
        size_t tail = 0;
        uint8_t tag [10];
        for (size_t i = 0; i < item->base.n_unknown_fields; i++)
            tail += codec_write_tag (tag, item->base.unknown_fields [i].tag, 0)
                  + item->base.unknown_fields [i].len;
        assert (item->n_history == 0 && tail <= size);
        length = size - tail;
        memcpy (fields, bytes, length);
        cursor = end;
    }
    while (cursor < end) {
        if (!codec_wire_next (&cursor, end, &field)) {
            rc = MDB_CORRUPTED;             //  bytes just packed: never
            break;
        }
        if (field.number == S_HISTORY_FIELD
        || (held && !protobuf_c_message_descriptor_get_field (&work_item__descriptor, field.number)))
            continue;
        memcpy (fields + length, field.start, (size_t) (field.end - field.start));
        length += (size_t) (field.end - field.start);
    }
    if (rc == 0) {
        size_t header = codec_write_tag (out, 1, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        header += codec_write_varint (out + header, length);
        memmove (out + header, fields, length);
        size_t total = header + length;
        total += protobuf_c_message_pack (&copy.base, out + total);
        char type [64];
        text_append (type, sizeof type, text_append (type, sizeof type, 0, "work."), what);
        rc = outbox_append_raw (self->outbox, txn, self->stream, type, item->id, out, total);
    }
    if (out != local)
        free (out);
    return rc;
}

int
workitem_store_change (workitem_t *self, MDB_txn *txn, const WorkItem *old, WorkItem *item,
                       const char *what, const WorkEvent *event)
{
    int rc = s_put (self, txn, old, item);
    if (rc)
        return rc;
    if (!event || !self->outbox)
        //  Packed into the page (no packed copy on the heap).
        return store_put_packed (self->store, txn, "work_items", item->id, strlen (item->id), item);
    //  Packed once, for the record and its event.
    size_t size = protobuf_c_message_get_packed_size (&item->base);
    uint8_t local [4096];
    uint8_t *bytes = size <= sizeof local? local: (uint8_t *) malloc (size);
    assert (bytes);
    protobuf_c_message_pack (&item->base, bytes);
    rc = store_put (self->store, txn, "work_items", item->id, strlen (item->id), bytes, size);
    if (rc == 0)
        rc = s_emit_packed (self, txn, item, bytes, size, what, event);
    if (bytes != local)
        free (bytes);
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
        //  Its type and state alone: every status change of a claim looks
        //  its follow-up up here, and a whole item (history, notes) was
        //  decoded to read two words (issue 19).
        static const uint32_t fields [] = { 3, 9 };         //  type, state
        MDB_val found;
        rc = store_get (self->store, txn, "work_items", id, strlen (id), &found);
        WorkItem *item = rc? NULL: (WorkItem *) codec_decode_fields (&work_item__descriptor, found.mv_data,
                                                                      found.mv_size, fields, 2);
        if (rc == 0 && !item)
            rc = MDB_CORRUPTED;
        if (rc == 0 && (!type || streq (item->type, type)) && (!open_only || !workstate_final (item->state)))
            zlistx_add_end (*ids, id);
        codec_free (item);
    }
    if (rc == 0)
        rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

//  Whether an item's stored bytes are of type and not final, read off
//  its fields 3 (type) and 9 (state), the last occurrence of each as a
//  decode takes it: 0 with *match, or MDB_CORRUPTED when the bytes are not
//  well-formed. A state too long to be one of the table's is not final.
static int
s_wire_open_of_type (const MDB_val *value, const char *type, bool *match)
{
    const uint8_t *cursor = (const uint8_t *) value->mv_data;
    const uint8_t *end = cursor + value->mv_size;
    codec_wire_field_t field;
    bool typed = !*type;
    char state [32] = "";
    while (cursor < end) {
        if (!codec_wire_next (&cursor, end, &field))
            return MDB_CORRUPTED;
        if ((field.number == 3 || field.number == 9) && field.wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            return MDB_CORRUPTED;
        if (field.number == 3)
            typed = field.payload_size == strlen (type) && memcmp (field.payload, type, field.payload_size) == 0;
        else
        if (field.number == 9) {
            size_t size = field.payload_size < sizeof state? field.payload_size: 0;
            memcpy (state, field.payload, size);
            state [size] = 0;
        }
    }
    *match = typed && !workstate_final (state);
    return 0;
}

int
workitem_open_of_subject (workitem_t *self, MDB_txn *txn, const char *subject, const char *type,
                          char *id, size_t size)
{
    assert (type && size);
    *id = 0;
    store_iter_t *iter = store_iter_new (self->store, txn, "work_by_subject", subject, strlen (subject) + 1);
    MDB_val key, value;
    int rc = 0;
    while (rc == 0 && !*id && store_iter_next (iter, &key, &value)) {
        //  The id is the key's suffix: an item's key as it is stored.
        MDB_val suffix = store_iter_suffix (iter);
        //  Its type and state read off its bytes: nothing is decoded.
        MDB_val item;
        bool match = false;
        rc = store_get (self->store, txn, "work_items", suffix.mv_data, suffix.mv_size, &item);
        if (rc == 0)
            rc = s_wire_open_of_type (&item, type, &match);
        if (rc == 0 && match) {
            size_t length = suffix.mv_size < size? suffix.mv_size: size - 1;
            memcpy (id, suffix.mv_data, length);
            id [length] = 0;
        }
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

//  Writes a change of item (from old, which stays the caller's), its
//  event, and hands the item out.
static int
s_finish (workitem_t *self, MDB_txn *txn, const WorkItem *old, WorkItem *item, const char *what,
          WorkEvent *event, WorkItem **item_p)
{
    int rc = workitem_store_change (self, txn, old, item, what, event);
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

//  --------------------------------------------------------------------------
//  One change of an existing item: s_change tells the story every change
//  tells (read the item, refuse a final one when the change cannot touch
//  it, copy it, count a person's first touch, add the history entry, write
//  it with its event); the change's apply function says only what it does
//  to the copy. A refusal in apply happens before anything is written.

typedef struct _s_change_t s_change_t;
typedef int (s_apply_fn) (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change);

struct _s_change_t {
    const char *id;
    const char *actor;
    const char *note;
    uint64_t at;
    //  Why a final item refuses the change ("it is not assigned any
    //  more"); NULL when a final item takes it.
    const char *final_why;
    s_apply_fn *apply;
    //  The domain state to record with the change (NULL: unchanged), so
    //  a claim's status and the state it moves its item to are one write.
    const char *subject_state;
    //  The change's own argument: the owner, the state, the due instant...
    const char *text;
    uint64_t instant;
    //  What apply says: the event ("assigned"; NULL writes the item alone,
    //  with neither event nor history), the history entry, from and to.
    const char *event;
    char what [200];
    const char *from;
    const char *to;
    //  Set by s_change: the item after, for what follows the write (the
    //  item waiting on this one).
    char blocks [WORKITEM_KEY_MAX];
    bool ended;                 //  the change made the item final
};

//  The item as it was before a change, without a second decode: a copy
//  of the struct whose texts are the item's, but for those a change
//  replaces (each apply function, s_change and the clock set no other
//  text: owner, state, subject_state, resume_state), copied aside, and
//  with no history, unknown fields or waiting_for (a change appends to or
//  frees them in the item; none is read from the item as it was).
typedef struct {
    WorkItem item;
    char local [4][64];
    char *heap [4];
} s_was_t;

static const size_t s_replaced [] = {
    offsetof (WorkItem, owner), offsetof (WorkItem, state), offsetof (WorkItem, subject_state),
    offsetof (WorkItem, resume_state)
};

static void
s_was_take (s_was_t *self, const WorkItem *item)
{
    self->item = *item;
    self->item.n_history = 0;
    self->item.history = NULL;
    self->item.n_waiting_for = 0;
    self->item.waiting_for = NULL;
    self->item.base.n_unknown_fields = 0;
    self->item.base.unknown_fields = NULL;
    for (size_t i = 0; i < 4; i++) {
        char **field = (char **) ((char *) &self->item + s_replaced [i]);
        size_t size = strlen (*field) + 1;
        self->heap [i] = NULL;
        if (size <= sizeof self->local [i])
            *field = (char *) memcpy (self->local [i], *field, size);
        else {
            self->heap [i] = strdup (*field);
            assert (self->heap [i]);
            *field = self->heap [i];
        }
    }
}

static void
s_was_release (s_was_t *self)
{
    for (size_t i = 0; i < 4; i++)
        free (self->heap [i]);
}

static int s_resume (workitem_t *self, MDB_txn *txn, const char *id, const char *answered, const char *state,
                     const char *actor, const char *note, uint64_t at);

static int
s_change (workitem_t *self, MDB_txn *txn, s_change_t *change, WorkItem **item_p)
{
    if (item_p)
        *item_p = NULL;
    //  A change for the service itself (no item handed back: a claim's
    //  status moving its follow-up) holds the item's history as bytes:
    //  never decoded twice, freed twice and packed again (issue 19).
    bool held = item_p == NULL;
    MDB_val value;
    int rc = change->id && *change->id && strlen (change->id) <= WORKITEM_KEY_MAX - 8?
             store_get (self->store, txn, "work_items", change->id, strlen (change->id), &value): MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND)
        return s_refuse (self, STATUS__NOT_FOUND, "no work item '%s'", change->id? change->id: "");
    if (rc)
        return rc;
    //  The item is decoded once, into the copy to change, with its
    //  history held as bytes for a change made for the service itself
    //  (issue 19). The item as it was is a view of that copy taken before
    //  apply (s_was): its scalars copied, and the texts a change can
    //  replace (codec_set_text frees the old one) copied aside.
    static const uint32_t history [] = { S_HISTORY_FIELD };
    WorkItem *item = held? (WorkItem *) wirekeep_decode (&work_item__descriptor, value.mv_data, value.mv_size, history, 1):
                           (WorkItem *) codec_decode (&work_item__descriptor, value.mv_data, value.mv_size);
    if (!item)
        return MDB_CORRUPTED;
    s_was_t was;
    s_was_take (&was, item);
    const WorkItem *old = &was.item;
    if (change->final_why && workstate_final (old->state)) {
        rc = s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s is %s: %s", change->id, old->state,
                       change->final_why);
        s_was_release (&was);
        codec_free (item);
        return rc;
    }
    rc = change->apply (self, old, item, change);
    if (rc == 0 && change->subject_state)
        codec_set_text (&item->subject_state, change->subject_state);
    if (rc == 0 && change->event)
        rc = s_touch (self, item, change->actor, change->at);
    else
        item->updated_ms = change->at;
    if (rc) {
        s_was_release (&was);
        codec_free (item);
        return rc;
    }
    s_copy (change->blocks, sizeof change->blocks, item->blocks);
    change->ended = workstate_final (item->state) && !workstate_final (old->state);
    char state [32];
    s_copy (state, sizeof state, item->state);
    if (!change->event) {
        rc = s_finish (self, txn, old, item, NULL, NULL, item_p);
        s_was_release (&was);
        return rc;
    }

    workitem_history_add (item, change->actor, change->at, change->what, change->note);
    WorkEvent event = WORK_EVENT__INIT;
    event.actor = (char *) (change->actor? change->actor: "");
    event.from = (char *) (change->from? change->from: "");
    event.to = (char *) (change->to? change->to: "");
    event.note = (char *) (change->note? change->note: "");
    event.time_ms = change->at;
    //  from and to may point into old or item: the event is appended (by
    //  workitem_store_change) before either is freed.
    rc = s_finish (self, txn, old, item, change->event, &event, item_p);
    s_was_release (&was);
    //  The item another waits for has ended: that one goes on.
    if (rc == 0 && change->ended && *change->blocks)
        rc = s_resume (self, txn, change->blocks, change->id, state, change->actor, change->note, change->at);
    return rc;
}

//  --------------------------------------------------------------------------
//  The changes

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
    //  The item that will wait for the new one must be there and open,
    //  checked before anything is written.
    if (spec->blocks && *spec->blocks) {
        WorkItem *waiting;
        int rc = s_load (self, txn, spec->blocks, &waiting);
        if (rc)
            return rc;
        bool final = workstate_final (waiting->state);
        if (final)
            s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s is %s: it waits for nothing any more",
                      spec->blocks, waiting->state);
        codec_free (waiting);
        if (final)
            return WORKITEM_REFUSED;
    }
    uint64_t number;
    int rc = store_next_counter (self->store, txn, "work_meta", "next_id", WORKITEM_ID_MAX, &number);
    if (rc)
        return rc;
    char id [WORKITEM_KEY_MAX];
    //  "<service>-" and the counter in ten digits (at most WORKITEM_ID_MAX).
    size_t length = text_append (id, sizeof id, 0, self->service);
    length = text_append (id, sizeof id, length, "-");
    if (length + 10 >= sizeof id)
        length = sizeof id - 11;        //  truncated, as a format would
    for (int digit = 9; digit >= 0; digit--, number /= 10)
        id [length + (size_t) digit] = (char) ('0' + number % 10);
    id [length + 10] = 0;

    //  Built field by field (a draft's codec_copy was a pack and an
    //  unpack per claim submitted, issue 19).
    WorkItem *item = (WorkItem *) malloc (sizeof (WorkItem));
    assert (item);
    work_item__init (item);
    codec_set_text (&item->id, id);
    codec_set_text (&item->service, self->service);
    codec_set_text (&item->type, spec->type);
    codec_set_text (&item->subject, spec->subject);
    codec_set_text (&item->subject_state, spec->subject_state);
    codec_set_text (&item->queue, spec->queue);
    codec_set_text (&item->state, state);
    codec_set_text (&item->blocks, spec->blocks);
    codec_set_text (&item->what, spec->what);
    codec_set_text (&item->denial, spec->denial);
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
    WorkItem *made = NULL;
    rc = s_finish (self, txn, NULL, item, "created", &event, &made);
    if (rc == 0 && *made->blocks) {
        rc = workitem_wait (self, txn, made->blocks, made->id, actor, made->what, at);
        //  The new item is written already: a wait refused now (its
        //  policy gone from config) aborts the whole transaction rather
        //  than leave a request nothing waits for.
        if (rc == WORKITEM_REFUSED)
            rc = store_fail (self->store, "work item %s cannot wait for %s: %s", made->blocks, made->id,
                             self->error);
    }
    if (rc == 0 && item_p)
        *item_p = made;
    else
        codec_free (made);
    return rc;
}

static int
s_apply_assign (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change)
{
    const char *owner = change->text? change->text: "";
    if (streq (old->owner, owner))
        return s_refuse (self, STATUS__FAILED_PRECONDITION, "work item %s is already %s's", old->id, old->owner);
    codec_set_text (&item->owner, owner);
    snprintf (change->what, sizeof change->what, "assigned %s (was %s)", *owner? owner: "nobody",
              *old->owner? old->owner: "nobody");
    change->event = "assigned";
    change->from = old->owner;
    change->to = item->owner;
    return 0;
}

int
workitem_assign (workitem_t *self, MDB_txn *txn, const char *id, const char *owner, const char *actor,
                 const char *note, uint64_t at, WorkItem **item_p)
{
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_assign,
                          .text = owner, .final_why = "it is not assigned any more" };
    return s_change (self, txn, &change, item_p);
}

//  Moves the copy to state on its clock (refusals are the state table's).
static int
s_move (workitem_t *self, const WorkItem *old, WorkItem *item, uint64_t at, const char *state)
{
    char error [256];
    if (workstate_check (old->state, state, error, sizeof error)) {
        Status status = workstate_known (state)? STATUS__FAILED_PRECONDITION: STATUS__INVALID_ARGUMENT;
        return s_refuse (self, status, "work item %s %s", old->id, error);
    }
    workclock_rules_t rules;
    int rc = workitem_rules (self, old, &rules);
    if (rc)
        return rc;
    workclock_move (item, &rules, at, state);
    codec_set_text (&item->state, state);
    if (workstate_final (state))
        item->closed_ms = at;
    return 0;
}

//  The types whose `done` is an answer someone waits for: done needs the
//  answer as its note.
static const char *const s_answered_types [] = { "documentation_request", NULL };

static int
s_apply_state (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change)
{
    if (streq (change->text, "done") && (!change->note || !*change->note))
        for (size_t i = 0; s_answered_types [i]; i++)
            if (streq (old->type, s_answered_types [i]) && !workstate_final (old->state))
                return s_refuse (self, STATUS__INVALID_ARGUMENT,
                                 "work item %s is a %s: done needs the answer as its note (--note TEXT)",
                                 old->id, old->type);
    int rc = s_move (self, old, item, change->at, change->text);
    if (rc)
        return rc;
    size_t at = text_append (change->what, sizeof change->what, 0, "state ");
    at = text_append (change->what, sizeof change->what, at, old->state);
    at = text_append (change->what, sizeof change->what, at, " -> ");
    text_append (change->what, sizeof change->what, at, item->state);
    change->event = "state_changed";
    change->from = old->state;
    change->to = item->state;
    return 0;
}

int
workitem_set_state (workitem_t *self, MDB_txn *txn, const char *id, const char *state, const char *actor,
                    const char *note, uint64_t at, WorkItem **item_p)
{
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_state,
                          .text = state };
    return s_change (self, txn, &change, item_p);
}

int
workitem_cancel (workitem_t *self, MDB_txn *txn, const char *id, const char *actor, const char *note,
                 uint64_t at, WorkItem **item_p)
{
    return workitem_set_state (self, txn, id, "cancelled", actor, note, at, item_p);
}

int
workitem_track_state (workitem_t *self, MDB_txn *txn, const char *id, const char *subject_state,
                      const char *state, const char *actor, const char *note, uint64_t at)
{
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_state,
                          .text = state, .subject_state = subject_state };
    return s_change (self, txn, &change, NULL);
}

static int
s_apply_note (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change)
{
    snprintf (change->what, sizeof change->what, "noted");
    change->event = "noted";
    return 0;
}

int
workitem_note (workitem_t *self, MDB_txn *txn, const char *id, const char *actor, const char *note,
               uint64_t at, WorkItem **item_p)
{
    if (!note || !*note)
        return s_refuse (self, STATUS__INVALID_ARGUMENT, "work item %s: a note needs text", id);
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_note };
    return s_change (self, txn, &change, item_p);
}

static int
s_apply_due (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change)
{
    workclock_rules_t rules;
    int rc = workitem_rules (self, item, &rules);
    if (rc == 0) {
        uint64_t spent = workclock_spent (item, &rules, change->at);
        item->target_ms = spent + rules.between (rules.calendar, change->at, change->instant);
        rc = workitem_rules (self, item, &rules);
    }
    if (rc)
        return rc;
    workclock_retarget (item, &rules, change->at);
    char when [32];
    clock_format_iso8601 (change->instant, when, sizeof when);
    snprintf (change->what, sizeof change->what, "due %s", when);
    change->event = "due_changed";
    return 0;
}

int
workitem_set_due (workitem_t *self, MDB_txn *txn, const char *id, uint64_t due_ms, const char *actor,
                  const char *note, uint64_t at, WorkItem **item_p)
{
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_due,
                          .instant = due_ms, .final_why = "it has no due time any more" };
    return s_change (self, txn, &change, item_p);
}

int
workitem_track_due (workitem_t *self, MDB_txn *txn, const char *id, const char *subject_state, uint64_t due_ms,
                    const char *actor, const char *note, uint64_t at)
{
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_due,
                          .instant = due_ms, .final_why = "it has no due time any more",
                          .subject_state = subject_state };
    return s_change (self, txn, &change, NULL);
}

//  The domain state an item tracks changes at every status of its subject
//  (each acknowledged claim: issue 19), and nothing else of the item with
//  it but updated_ms: no index, no event, no history. So the stored bytes
//  are copied with those two fields written anew at their end (field
//  order on the wire means nothing to a reader), the item neither decoded
//  twice, nor freed, nor packed again.
#define S_SUBJECT_STATE_FIELD 5
#define S_UPDATED_FIELD 12

int
workitem_set_subject_state (workitem_t *self, MDB_txn *txn, const char *id, const char *subject_state,
                            uint64_t at)
{
    MDB_val value;
    int rc = id && *id && strlen (id) <= WORKITEM_KEY_MAX - 8?
             store_get (self->store, txn, "work_items", id, strlen (id), &value): MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND)
        return s_refuse (self, STATUS__NOT_FOUND, "no work item '%s'", id? id: "");
    if (rc)
        return rc;
    size_t state_size = subject_state? strlen (subject_state): 0;
    //  The old bytes, two tags, two varints and the state: an item of a
    //  claim is a few hundred bytes, so the stack holds it.
    size_t capacity = value.mv_size + state_size + 32;
    uint8_t local [2048];
    uint8_t *out = capacity <= sizeof local? local: (uint8_t *) malloc (capacity);
    assert (out);
    size_t length = 0;
    const uint8_t *cursor = (const uint8_t *) value.mv_data;
    const uint8_t *end = cursor + value.mv_size;
    codec_wire_field_t field;
    while (cursor < end) {
        if (!codec_wire_next (&cursor, end, &field)) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (field.number == S_SUBJECT_STATE_FIELD || field.number == S_UPDATED_FIELD)
            continue;
        memcpy (out + length, field.start, (size_t) (field.end - field.start));
        length += (size_t) (field.end - field.start);
    }
    if (rc == 0) {
        //  proto3 leaves out an empty string and a zero, as protobuf-c does.
        length += codec_write_bytes_field (out + length, S_SUBJECT_STATE_FIELD, subject_state, state_size);
        length += codec_write_varint_field (out + length, S_UPDATED_FIELD, at);
        rc = store_put (self->store, txn, "work_items", id, strlen (id), out, length);
    }
    if (out != local)
        free (out);
    return rc;
}

//  --------------------------------------------------------------------------
//  Waiting for another item (a documentation request): the waiting item
//  moves to waiting_practice, remembering the state it was in; when the
//  last item it waits for ends, it returns there.

static int
s_apply_wait (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change)
{
    codec_append_text (&item->waiting_for, &item->n_waiting_for, change->text);
    change->to = "waiting_practice";
    if (streq (old->state, "waiting_practice")) {
        //  Waiting already (for another request, or set by hand): it stays,
        //  and returns to where the first wait found it.
        if (!*item->resume_state)
            codec_set_text (&item->resume_state, old->state);
        snprintf (change->what, sizeof change->what, "waits for %s", change->text);
        change->event = "noted";
        return 0;
    }
    codec_set_text (&item->resume_state, old->state);
    int rc = s_move (self, old, item, change->at, "waiting_practice");
    if (rc)
        return rc;
    snprintf (change->what, sizeof change->what, "state %s -> waiting_practice (waits for %s)", old->state,
              change->text);
    change->event = "state_changed";
    change->from = old->state;
    return 0;
}

int
workitem_wait (workitem_t *self, MDB_txn *txn, const char *id, const char *waits_for, const char *actor,
               const char *note, uint64_t at)
{
    s_change_t change = { .id = id, .actor = actor, .note = note, .at = at, .apply = s_apply_wait,
                          .text = waits_for, .final_why = "it waits for nothing any more" };
    return s_change (self, txn, &change, NULL);
}

static int
s_apply_resume (workitem_t *self, const WorkItem *old, WorkItem *item, s_change_t *change)
{
    //  change->text is the item that ended; what it waits for loses it.
    size_t kept = 0;
    for (size_t i = 0; i < item->n_waiting_for; i++)
        if (streq (item->waiting_for [i], change->text))
            free (item->waiting_for [i]);
        else
            item->waiting_for [kept++] = item->waiting_for [i];
    item->n_waiting_for = kept;
    const char *back = item->resume_state;
    if (kept == 0 && *back && !streq (back, old->state) && streq (old->state, "waiting_practice")) {
        char state [32];
        snprintf (state, sizeof state, "%s", back);
        codec_set_text (&item->resume_state, "");
        int rc = s_move (self, old, item, change->at, state);
        if (rc)
            return rc;
        snprintf (change->what, sizeof change->what, "state waiting_practice -> %s (%s %s)", item->state,
                  change->to, change->text);
        change->event = "state_changed";
        change->from = old->state;
        change->to = item->state;
        return 0;
    }
    //  Still waiting for another, moved by hand meanwhile, or ended: the
    //  owner hears of it all the same.
    if (kept == 0)
        codec_set_text (&item->resume_state, "");
    snprintf (change->what, sizeof change->what, "%s %s%s", change->to, change->text,
              kept? " (still waiting)": "");
    change->event = "noted";
    change->from = change->to = NULL;
    return 0;
}

//  id waited for answered, which ended in state (done: answered,
//  cancelled: withdrawn). The service is the actor, so the owner's first
//  touch stays the owner's; the note says who answered and what.
static int
s_resume (workitem_t *self, MDB_txn *txn, const char *id, const char *answered, const char *state,
          const char *actor, const char *note, uint64_t at)
{
    char text [1024];
    snprintf (text, sizeof text, "%s %s by %s%s%s", answered, streq (state, "done")? "answered": state,
              actor? actor: "", note && *note? ": ": "", note? note: "");
    s_change_t change = { .id = id, .actor = self->service, .note = text, .at = at, .apply = s_apply_resume,
                          .text = answered, .to = streq (state, "done")? "answered": state };
    int rc = s_change (self, txn, &change, NULL);
    //  What ended stays ended whatever the waiting item can do (gone from
    //  a damaged store, its policy gone from config): it is left as it is,
    //  for a person to move, and the log says so.
    if (rc == WORKITEM_REFUSED) {
        log_warn ("a work item that waited could not resume", "item", json_string (id),
                  "ended", json_string (answered), "error", json_string (self->error), NULL);
        rc = 0;
    }
    return rc;
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
