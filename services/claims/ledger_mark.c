/*  ledger_mark: claims.Submit's mark of a claim, written from the bytes
    the record was read as (issue 19, ADR 67).

    A mark changes four fields of a record: its status (3), one history
    entry appended (12), the submission file (17) and submitted_ms (18).
    It was a decode of the whole record but its kept fields
    (ledger_get_light), lifecycle_move, a pack of it all again
    (ledger_put) and a pack of the ClaimEvent whose PCN, claim id, dims,
    date of service and amounts are the record's stored fields
    (ledger_emit): ~30 K instructions a claim to write bytes that are
    mostly the ones read. Here the stored bytes are copied at the read and
    walked once at the mark: each field written as it was, but those four;
    the event's fields that are the record's copied under the event's
    numbers; only the PCN, status, dims and payer claim number decoded
    (the submit and the follow-up item read them).

    The bytes are the ones the decode-and-pack path writes: protobuf-c packs
    a light record's fields in number order, proto3's empty ones left out,
    then the fields it holds as bytes (notes 23, edits 36, scrub warnings
    37) in the order read; and the event's fields in number order. So a
    record is taken this way only when its bytes are what protobuf-c
    itself writes for it: each field one this build knows, with its wire
    type, in number order (a repeated one's items together), no sealed
    claim inline (before ADR 50: ledger_put moves it apart), no patient
    field (never stored). Any other record takes the decode-and-pack path
    as before. tests/unit/test_ledger_mark.c compares both paths' record
    and event bytes for records of every shape.
*/
#include "ledger_mark.h"
#include "ledger.h"
#include "lifecycle.h"
#include "codec.h"

#include <assert.h>

//  The fields of ClaimRecord this file names.
enum {
    F_PCN = 1, F_CLAIM_ID = 2, F_STATUS = 3, F_DIMS = 4, F_CHARGE = 5, F_PAID = 6, F_PATIENT_RESP = 7,
    F_CONTRACTUAL = 8, F_DENIED = 9, F_HISTORY = 12, F_DATE_OF_SERVICE = 13, F_PAYER_CLAIM_NUMBER = 14,
    F_SEALED = 16, F_SUBMISSION_FILE = 17, F_SUBMITTED_MS = 18, F_NOTES = 23, F_PATIENT_FIRST = 32,
    F_PATIENT_LAST = 35, F_EDITS = 36, F_SCRUB_WARNINGS = 37
};

//  The ClaimEvent fields a mark writes, and the record field each copies
//  (0: the mark's own value).
static const struct {
    uint32_t event;
    uint32_t record;
} s_event_fields [] = {
    { 1, F_PCN }, { 2, F_DIMS }, { 3, 0 }, { 4, 0 }, { 5, 0 }, { 6, 0 }, { 7, 0 },
    { 8, F_DATE_OF_SERVICE }, { 9, F_CHARGE }, { 10, F_PAID }, { 11, F_PATIENT_RESP },
    { 12, F_CONTRACTUAL }, { 13, F_DENIED }, { 23, 0 }, { 24, F_CLAIM_ID },
};

//  The most fields of a record this file's read keeps track of: a record
//  with more (a long history or many postings) takes the other path. A
//  claim being submitted has ~20 (a file's 5,000 are held at once).
#define MARK_FIELDS_MAX 64

//  A field of the stored record: its number, wire type, and where its
//  value (after the tag; a length prefix included) starts and ends.
typedef struct {
    uint32_t number;
    uint32_t wire_type;
    uint32_t value;
    uint32_t end;
} s_field_t;

struct _ledger_mark_t {
    ClaimRecord *record;            //  &head, or the whole light record (owned)
    bool light;                     //  record is ledger_get_light's: the decode-and-pack path
    ClaimRecord head;               //  PCN, status, dims, payer claim number
    ClaimDimensions dims;
    char *texts;                    //  head's and dims' texts, each with its NUL
    uint8_t *bytes;                 //  the record as stored
    size_t size;
    s_field_t fields [MARK_FIELDS_MAX];
    size_t n_fields;
    uint64_t last_entry_ms;         //  the time of the history's last entry
};

//  Fields a light record holds as bytes (ledger.c's s_light_kept, less
//  the sealed claim, which sends a record down the other path).
static bool
s_held (uint32_t number)
{
    return number == F_NOTES || number == F_EDITS || number == F_SCRUB_WARNINGS;
}

//  The wire type protobuf-c writes a field of this type with.
static unsigned
s_wire_type (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_BYTES:
        case PROTOBUF_C_TYPE_MESSAGE:
            return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_BOOL:
        case PROTOBUF_C_TYPE_ENUM:
            return PROTOBUF_C_WIRE_TYPE_VARINT;
        default:
            return 99;              //  none of ClaimRecord's: the other path
    }
}

//  The time of a packed HistoryEntry (its field 1), 0 when it has none.
static uint64_t
s_entry_time (const codec_wire_field_t *entry)
{
    const uint8_t *at = entry->payload, *end = at + entry->payload_size;
    codec_wire_field_t field;
    uint64_t time_ms = 0;
    while (at < end && codec_wire_next (&at, end, &field))
        if (field.number == 1 && field.wire_type == PROTOBUF_C_WIRE_TYPE_VARINT) {
            const uint8_t *value = field.value;
            codec_read_varint (&value, field.end, &time_ms);
        }
    return time_ms;
}

//  True when the record's bytes are as protobuf-c writes them (the file's
//  comment), with each field's place kept in self.
static bool
s_walk (ledger_mark_t *self)
{
    const uint8_t *at = self->bytes, *end = at + self->size;
    uint32_t last = 0;
    if (self->size > UINT32_MAX)
        return false;
    while (at < end) {
        codec_wire_field_t field;
        if (self->n_fields == MARK_FIELDS_MAX || !codec_wire_next (&at, end, &field))
            return false;
        uint32_t number = field.number;
        const ProtobufCFieldDescriptor *known = protobuf_c_message_descriptor_get_field (&claim_record__descriptor,
                                                                                        number);
        if (!known || field.wire_type != s_wire_type (known) || number == F_SEALED
        ||  (number >= F_PATIENT_FIRST && number <= F_PATIENT_LAST))
            return false;
        self->fields [self->n_fields++] = (s_field_t) {
            number, field.wire_type, (uint32_t) (field.value - self->bytes), (uint32_t) (field.end - self->bytes)
        };
        if (s_held (number))
            continue;               //  written after the others, as read
        bool repeated = known->label == PROTOBUF_C_LABEL_REPEATED;
        if (number < last || (number == last && !repeated))
            return false;
        last = number;
        if (number == F_HISTORY)
            self->last_entry_ms = s_entry_time (&field);
    }
    return true;
}

//  A string field's text copied to *texts (moved past it), set where
//  the descriptor says in message.
static void
s_set_text (void *message, const ProtobufCFieldDescriptor *known, const uint8_t *text, size_t size, char **texts)
{
    memcpy (*texts, text, size);
    (*texts) [size] = 0;
    *(char **) ((uint8_t *) message + known->offset) = *texts;
    *texts += size + 1;
}

//  The head's fields from the walked bytes, into self->head and
//  self->dims, their texts in one block: what a submit and the follow-up
//  item read of the record (a protobuf-c decode of them was ~8 K
//  instructions and ~15 allocations a claim, and their frees ~3 K). False
//  when dims holds a field that is not a text of this build's.
static bool
s_head (ledger_mark_t *self)
{
    claim_record__init (&self->head);
    claim_dimensions__init (&self->dims);
    //  Each text with its NUL fits in the bytes of its field (a tag and a
    //  length before the text): all of them, in the record's size.
    self->texts = (char *) malloc (self->size + 32);
    assert (self->texts);
    char *texts = self->texts;
    for (size_t i = 0; i < self->n_fields; i++) {
        const s_field_t *field = &self->fields [i];
        if (field->number != F_PCN && field->number != F_STATUS && field->number != F_DIMS
        &&  field->number != F_PAYER_CLAIM_NUMBER)
            continue;
        const uint8_t *at = self->bytes + field->value, *end = self->bytes + field->end;
        uint64_t length;
        if (!codec_read_varint (&at, end, &length) || length != (uint64_t) (end - at))
            return false;
        if (field->number != F_DIMS) {
            s_set_text (&self->head, protobuf_c_message_descriptor_get_field (&claim_record__descriptor,
                                                                               field->number),
                        at, (size_t) length, &texts);
            continue;
        }
        self->head.dims = &self->dims;
        codec_wire_field_t part;
        while (at < end) {
            if (!codec_wire_next (&at, end, &part))
                return false;
            const ProtobufCFieldDescriptor *known
                = protobuf_c_message_descriptor_get_field (&claim_dimensions__descriptor, part.number);
            if (!known || known->type != PROTOBUF_C_TYPE_STRING || known->label == PROTOBUF_C_LABEL_REPEATED
            ||  part.wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
                return false;
            s_set_text (&self->dims, known, part.payload, part.payload_size, &texts);
        }
    }
    return true;
}

int
ledger_mark_read (claims_t *self, MDB_txn *txn, const char *pcn, ledger_mark_t **mark_p)
{
    *mark_p = NULL;
    MDB_val value;
    int rc = ledger_get_bytes (self, txn, pcn, &value);
    if (rc)
        return rc;
    ledger_mark_t *mark = (ledger_mark_t *) malloc (sizeof (ledger_mark_t));
    assert (mark);
    mark->n_fields = 0;
    mark->last_entry_ms = 0;
    mark->texts = NULL;
    mark->record = NULL;
    //  Copied: the map's bytes are valid only until the transaction's next
    //  write, and a file's claims are all read before the first is marked.
    mark->size = value.mv_size;
    mark->bytes = (uint8_t *) malloc (value.mv_size? value.mv_size: 1);
    assert (mark->bytes);
    memcpy (mark->bytes, value.mv_data, value.mv_size);
    mark->light = !s_walk (mark) || !s_head (mark);
    //  Not as protobuf-c writes it: the decode-and-pack path, whose
    //  errors (a record that does not decode) are ledger_get_light's.
    if (mark->light)
        rc = ledger_get_light (self, txn, pcn, false, &mark->record);
    else
        mark->record = &mark->head;
    if (rc)
        ledger_mark_destroy (&mark);
    *mark_p = mark;
    return rc;
}

const ClaimRecord *
ledger_mark_record (ledger_mark_t *self)
{
    return self->record;
}

//  Writes a field as read: its tag as protobuf-c writes it, under number
//  (the record's own, or the event's), then its value.
static size_t
s_copy (const ledger_mark_t *self, uint8_t *out, uint32_t number, const s_field_t *field)
{
    size_t size = codec_write_tag (out, number, field->wire_type);
    memcpy (out + size, self->bytes + field->value, field->end - field->value);
    return size + field->end - field->value;
}

//  The most bytes a text field or a varint field adds (tag, length, text).
static size_t
s_room (const char *text)
{
    return 2 * 11 + (text? strlen (text): 0);
}

//  The record as it now stands, into out (room for it): every field as
//  read, but the status (to), one history entry appended (entry: packed
//  HistoryEntry), the submission file and time; the held fields last, as
//  read. Returns its size.
static size_t
s_record (const ledger_mark_t *self, const char *to, const uint8_t *entry, size_t entry_size, const char *filename,
          uint64_t now, uint8_t *out)
{
    //  What the mark writes, by field number; a replaced field's stored
    //  value is skipped, the history's entries are kept and the new one
    //  follows them.
    size_t size = 0, next = 0;
    const struct {
        uint32_t number;
        bool replaces;
    } writes [] = { { F_STATUS, true }, { F_HISTORY, false }, { F_SUBMISSION_FILE, true }, { F_SUBMITTED_MS, true } };
    size_t n_writes = sizeof writes / sizeof writes [0];
    for (size_t i = 0; i <= self->n_fields; i++) {
        const s_field_t *field = i < self->n_fields? &self->fields [i]: NULL;
        if (field && s_held (field->number))
            continue;
        uint32_t number = field? field->number: UINT32_MAX;
        //  The mark's values due before this field (every one at the end).
        while (next < n_writes && (writes [next].number < number
                                   || (writes [next].number == number && writes [next].replaces))) {
            switch (writes [next].number) {
                case F_STATUS:
                    size += codec_write_bytes_field (out + size, F_STATUS, to, strlen (to));
                    break;
                case F_HISTORY:
                    size += codec_write_tag (out + size, F_HISTORY, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
                    size += codec_write_varint (out + size, entry_size);
                    memcpy (out + size, entry, entry_size);
                    size += entry_size;
                    break;
                case F_SUBMISSION_FILE:
                    size += codec_write_bytes_field (out + size, F_SUBMISSION_FILE, filename, strlen (filename));
                    break;
                default:
                    size += codec_write_varint_field (out + size, F_SUBMITTED_MS, now);
            }
            bool replaced = writes [next].number == number && writes [next].replaces;
            next++;
            if (replaced) {
                field = NULL;       //  the stored value is the old one
                break;
            }
        }
        if (field)
            size += s_copy (self, out + size, number, field);
    }
    for (size_t i = 0; i < self->n_fields; i++)
        if (s_held (self->fields [i].number))
            size += s_copy (self, out + size, self->fields [i].number, &self->fields [i]);
    return size;
}

//  The claims.submitted event's payload into out (room for it): the
//  ClaimEvent ledger_emit packs for the moved record.
static size_t
s_event (const ledger_mark_t *self, const char *from, const char *to, const char *actor, const char *reason,
         const char *filename, uint64_t now, uint8_t *out)
{
    size_t size = 0;
    for (size_t row = 0; row < sizeof s_event_fields / sizeof s_event_fields [0]; row++) {
        uint32_t number = s_event_fields [row].event;
        if (s_event_fields [row].record) {
            //  A singular field: at most once in the record, in its place.
            for (size_t i = 0; i < self->n_fields; i++)
                if (self->fields [i].number == s_event_fields [row].record) {
                    size += s_copy (self, out + size, number, &self->fields [i]);
                    break;
                }
            continue;
        }
        const char *text = number == 3? from: number == 4? to: number == 5? actor: number == 6? reason
                         : number == 23? filename: NULL;
        if (text)
            size += codec_write_bytes_field (out + size, number, text, strlen (text));
        else
            size += codec_write_varint_field (out + size, number, now);     //  7: time_ms
    }
    return size;
}

int
ledger_mark_submitted (claims_t *self, MDB_txn *txn, ledger_mark_t *mark, const char *to, const char *actor,
                       const char *reason, const char *filename, uint64_t now)
{
    ClaimRecord *record = mark->record;
    char old_status [32];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    actor = actor? actor: "";
    reason = reason? reason: "";
    if (mark->light) {
        char error [256];
        if (lifecycle_move (record, to, actor, reason, now, error, sizeof error))
            return store_fail (self->store, "claims: %s", error);
        codec_set_text (&record->submission_file, filename);
        record->submitted_ms = now;
        ClaimEvent event = CLAIM_EVENT__INIT;
        event.from_status = old_status;
        event.actor = (char *) actor;
        event.reason = (char *) reason;
        event.submission_file = (char *) filename;
        event.time_ms = now;
        int rc = ledger_put (self, txn, record, old_status);
        if (rc == 0)
            rc = ledger_emit (self, txn, "submitted", record, &event);
        return rc;
    }
    if (!lifecycle_allows (record->status, to))
        return store_fail (self->store, "claims: claim %s is %s and cannot become %s", record->pcn, record->status, to);
    //  The entry lifecycle_move appends: never dated before the last.
    HistoryEntry entry = HISTORY_ENTRY__INIT;
    entry.time_ms = now > mark->last_entry_ms? now: mark->last_entry_ms;
    entry.actor = (char *) actor;
    entry.from_status = old_status;
    entry.to_status = (char *) to;
    entry.reason = (char *) reason;
    size_t entry_size = protobuf_c_message_get_packed_size ((const ProtobufCMessage *) &entry);
    size_t texts = s_room (to) + s_room (filename) + s_room (NULL) + 11;
    size_t room = mark->size + texts + entry_size + s_room (old_status) + s_room (actor) + s_room (reason) + 11;
    uint8_t *out = (uint8_t *) malloc (room + entry_size);
    assert (out);
    uint8_t *packed_entry = out + room;
    protobuf_c_message_pack ((const ProtobufCMessage *) &entry, packed_entry);
    size_t size = s_record (mark, to, packed_entry, entry_size, filename, now, out);
    assert (size <= room);
    uint8_t key [LEDGER_KEY_MAX];
    size_t key_size;
    int rc = ledger_key_for (self->store, txn, record, key, &key_size);
    if (rc == 0)
        rc = store_put (self->store, txn, "claims", key, key_size, out, size);
    if (rc == 0) {
        //  What the status change moves (follow-up item, status index)
        //  reads the record's PCN, status, dims and submission time.
        ClaimRecord moved = *record;
        moved.status = (char *) to;
        moved.submitted_ms = now;
        rc = ledger_moved (self, txn, &moved, old_status);
    }
    if (rc == 0) {
        size = s_event (mark, old_status, to, actor, reason, filename, now, out);
        assert (size <= room);
        rc = outbox_append_raw (self->outbox, txn, "claims", "submitted", record->pcn, out, size);
    }
    free (out);
    return rc;
}

void
ledger_mark_destroy (ledger_mark_t **self_p)
{
    assert (self_p);
    ledger_mark_t *self = *self_p;
    if (self) {
        if (self->light)
            codec_free (self->record);
        free (self->texts);
        free (self->bytes);
        free (self);
        *self_p = NULL;
    }
}
