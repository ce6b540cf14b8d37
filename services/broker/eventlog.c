/*  eventlog: see eventlog.h. Committed heads and producer seqs are mirrored
    in hash tables (loaded at start), so taking an event costs one LMDB put;
    an attempt's changes live in scratch tables until its commit.

    Producer epochs (docs/adr/0007-store-rollback-detection.md): per
    producer the epoch of its newest taken event ("current") and, per
    (producer, epoch), the range of seqs taken under it. Both are mirrored
    like the heads: "producer\n<epoch hex>" -> s_range_t.

    An event is stored as the bytes its producer packed (the relay sends
    the outbox entries as they are) with the stream seq spliced in where
    protobuf-c puts it, which is byte for byte what packing the unpacked
    event gives; the broker does not pack each event again (s_append).
*/
#include "eventlog.h"
#include "fanout.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>

typedef struct {
    uint64_t first;
    uint64_t last;
} s_range_t;

//  The entries' bytes, bumped out of blocks of EVENTLOG_BLOCK (or one of
//  its own for a larger frame).
#define EVENTLOG_BLOCK (1024 * 1024)

typedef struct s_block {
    struct s_block *next;
    size_t size;
    size_t used;
    uint8_t data [];
} s_block_t;

static uint8_t *
s_block_alloc (s_block_t **blocks, size_t size)
{
    s_block_t *block = *blocks;
    if (!block || block->size - block->used < size) {
        size_t block_size = size > EVENTLOG_BLOCK? size: EVENTLOG_BLOCK;
        block = (s_block_t *) malloc (sizeof (s_block_t) + block_size);
        if (!block)
            return NULL;
        block->size = block_size;
        block->used = 0;
        block->next = *blocks;
        *blocks = block;
    }
    uint8_t *pointer = block->data + block->used;
    block->used += size;
    return pointer;
}

//  Frees every block but one of the usual size, kept (empty) for reuse.
static void
s_blocks_reset (s_block_t **blocks)
{
    s_block_t *kept = NULL;
    while (*blocks) {
        s_block_t *block = *blocks;
        *blocks = block->next;
        if (!kept && block->size == EVENTLOG_BLOCK) {
            kept = block;
            kept->used = 0;
            kept->next = NULL;
        }
        else
            free (block);
    }
    *blocks = kept;
}

struct _eventlog_t {
    store_t *store;
    zhashx_t *heads;            //  stream -> uint64_t* (committed)
    zhashx_t *firsts;
    zhashx_t *acked;            //  producer -> uint64_t*
    zhashx_t *current;          //  producer -> uint64_t* epoch of its newest event
    zhashx_t *epochs;           //  "producer\nepoch" -> s_range_t*
    zhashx_t *scratch_heads;    //  this attempt's changes
    zhashx_t *scratch_firsts;
    zhashx_t *scratch_acked;
    zhashx_t *scratch_current;
    zhashx_t *scratch_epochs;
    //  This attempt's entries (an array, grown and reused) and their bytes,
    //  laid out as their frames in blocks kept from attempt to attempt:
    //  the per-event frame, entry and list node that were allocated and
    //  freed for every event cost ~1.5 K instructions an event in malloc.
    eventlog_entry_t *entries;
    size_t count;
    size_t room;
    s_block_t *blocks;          //  newest first; the one in use at the head
    char reason [512];          //  why the last event was refused
    //  The attempt's slots of the producer and the stream of the last event
    //  taken: a batch is one producer's run of events, mostly of one
    //  stream, so the next event usually finds its state here instead of
    //  in five hash lookups and an epoch key made (eventlog_take). Points
    //  into the scratch tables; cleared whenever those are purged.
    struct {
        char producer [256];    //  "" when nothing is cached
        uint64_t epoch;         //  of the producer's newest event taken
        uint64_t *acked;        //  in scratch_acked
        uint64_t *current;      //  in scratch_current
        s_range_t *range;       //  in scratch_epochs, of that epoch
    } last;
    struct {
        char stream [256];      //  "" when nothing is cached
        uint64_t *head;         //  in scratch_heads
    } last_stream;
};

static void
s_forget (eventlog_t *self)
{
    self->last.producer [0] = 0;
    self->last_stream.stream [0] = 0;
}

static void
s_u64_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static zhashx_t *
s_u64_table (void)
{
    zhashx_t *table = zhashx_new ();
    zhashx_set_destructor (table, s_u64_free);
    return table;
}

static void
s_set (zhashx_t *table, const char *key, uint64_t value)
{
    uint64_t *slot = (uint64_t *) zhashx_lookup (table, key);
    if (!slot) {
        slot = (uint64_t *) malloc (sizeof (uint64_t));
        zhashx_insert (table, key, slot);
    }
    *slot = value;
}

static uint64_t
s_get (zhashx_t *scratch, zhashx_t *committed, const char *key)
{
    uint64_t *slot = scratch? (uint64_t *) zhashx_lookup (scratch, key): NULL;
    if (!slot)
        slot = (uint64_t *) zhashx_lookup (committed, key);
    return slot? *slot: 0;
}

//  "producer\n<epoch, 16 hex digits>", as snprintf's "%s\n%016" PRIx64
//  made it (keys of the epochs tables), without its cost (2.5k
//  instructions, twice an event).
static void
s_epoch_key (char *key, size_t size, const char *producer, uint64_t epoch)
{
    static const char hex [] = "0123456789abcdef";
    size_t length = strlen (producer);
    if (length + 18 > size)
        length = size - 18;
    memcpy (key, producer, length);
    key [length] = '\n';
    for (int i = 15; i >= 0; i--, epoch >>= 4)
        key [length + 1 + i] = hex [epoch & 15];
    key [length + 17] = 0;
}

static s_range_t *
s_range (eventlog_t *self, const char *producer, uint64_t epoch)
{
    char key [256];
    s_epoch_key (key, sizeof key, producer, epoch);
    s_range_t *range = (s_range_t *) zhashx_lookup (self->scratch_epochs, key);
    return range? range: (s_range_t *) zhashx_lookup (self->epochs, key);
}

static void
s_range_set (zhashx_t *table, const char *key, uint64_t first, uint64_t last)
{
    s_range_t *range = (s_range_t *) zhashx_lookup (table, key);
    if (!range) {
        range = (s_range_t *) malloc (sizeof (s_range_t));
        zhashx_insert (table, key, range);
    }
    range->first = first;
    range->last = last;
}

//  Table "epochs": producer ‖ 0x00 ‖ be64 epoch -> be64 first ‖ be64 last.
static void
s_load_epochs (eventlog_t *self, MDB_txn *txn)
{
    MDB_cursor *cursor;
    if (mdb_cursor_open (txn, store_table (self->store, "epochs"), &cursor))
        return;
    MDB_val key, value;
    int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    while (rc == 0) {
        if (key.mv_size > 9 && key.mv_size < 220 && value.mv_size == 16) {
            char producer [220];
            memcpy (producer, key.mv_data, key.mv_size - 9);
            producer [key.mv_size - 9] = 0;
            char name [256];
            s_epoch_key (name, sizeof name, producer,
                         store_u64_read ((uint8_t *) key.mv_data + key.mv_size - 8));
            s_range_set (self->epochs, name, store_u64_read (value.mv_data),
                         store_u64_read ((uint8_t *) value.mv_data + 8));
        }
        rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
}

static void
s_load_table (store_t *store, MDB_txn *txn, const char *name, zhashx_t *into)
{
    MDB_cursor *cursor;
    if (mdb_cursor_open (txn, store_table (store, name), &cursor))
        return;
    MDB_val key, value;
    int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    while (rc == 0) {
        char *name_text = strndup ((const char *) key.mv_data, key.mv_size);
        if (value.mv_size == 8)
            s_set (into, name_text, store_u64_read (value.mv_data));
        free (name_text);
        rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
}

eventlog_t *
eventlog_new (store_t *store)
{
    eventlog_t *self = (eventlog_t *) zmalloc (sizeof (eventlog_t));
    self->store = store;
    self->heads = s_u64_table ();
    self->firsts = s_u64_table ();
    self->acked = s_u64_table ();
    self->current = s_u64_table ();
    self->epochs = s_u64_table ();
    self->scratch_heads = s_u64_table ();
    self->scratch_firsts = s_u64_table ();
    self->scratch_acked = s_u64_table ();
    self->scratch_current = s_u64_table ();
    self->scratch_epochs = s_u64_table ();
    MDB_txn *txn = store_read_begin (store);
    if (txn) {
        s_load_table (store, txn, "heads", self->heads);
        s_load_table (store, txn, "firsts", self->firsts);
        s_load_table (store, txn, "producers", self->acked);
        s_load_table (store, txn, "producer_epochs", self->current);
        s_load_epochs (self, txn);
        store_read_end (&txn);
    }
    return self;
}

void
eventlog_destroy (eventlog_t **self_p)
{
    assert (self_p);
    eventlog_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->heads);
    zhashx_destroy (&self->firsts);
    zhashx_destroy (&self->acked);
    zhashx_destroy (&self->current);
    zhashx_destroy (&self->epochs);
    zhashx_destroy (&self->scratch_heads);
    zhashx_destroy (&self->scratch_firsts);
    zhashx_destroy (&self->scratch_acked);
    zhashx_destroy (&self->scratch_current);
    zhashx_destroy (&self->scratch_epochs);
    free (self->entries);
    s_blocks_reset (&self->blocks);
    free (self->blocks);
    free (self);
    *self_p = NULL;
}

void
eventlog_begin (eventlog_t *self)
{
    zhashx_purge (self->scratch_heads);
    zhashx_purge (self->scratch_firsts);
    zhashx_purge (self->scratch_acked);
    zhashx_purge (self->scratch_current);
    zhashx_purge (self->scratch_epochs);
    eventlog_published (self);
    s_forget (self);
}

static size_t
s_event_key (uint8_t *key, size_t size, const char *stream, uint64_t seq)
{
    size_t len = strlen (stream);
    assert (len + 9 <= size);
    memcpy (key, stream, len);
    key [len] = 0;
    store_u64_write (key + len + 1, seq);
    return len + 9;
}

//  Where stream_seq (field 5) goes in an Event packed in field order, as
//  protobuf-c packs it (every rcmq producer packs with it): before the
//  first field numbered above 5. Reads only the fields' tags and lengths.
//  -1 when the bytes are not such an Event (a field 5 already there,
//  fields out of order, a wire type protobuf-c does not write, cut short):
//  the caller then packs the unpacked Event afresh.
static int
s_seq_offset (const uint8_t *data, size_t size, size_t *offset)
{
    const uint8_t *at = data, *end = data + size;
    uint32_t previous = 0;
    *offset = size;
    //  Every field is read: one out of order anywhere means protobuf-c
    //  would pack the bytes in another order.
    while (at < end) {
        codec_wire_field_t field;
        if (!codec_wire_next (&at, end, &field) || field.number == 5 || field.number < previous)
            return -1;
        if (field.number > 5 && previous < 5)
            *offset = (size_t) (field.start - data);
        previous = field.number;
    }
    return 0;
}

size_t
eventlog_packed_events (const uint8_t *data, size_t size, const uint8_t **events, size_t *sizes,
                        size_t max)
{
    const uint8_t *at = data, *end = data + size;
    size_t count = 0;
    while (at < end) {
        codec_wire_field_t field;
        if (!codec_wire_next (&at, end, &field))
            return 0;
        if (field.number == 2 && field.wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
            if (count == max)
                return 0;
            events [count] = field.payload;
            sizes [count++] = field.payload_size;
        }
    }
    return count;
}

//  A string field's bytes as a C string in the arena.
static char *
s_text (codec_arena_t *arena, const uint8_t *data, size_t size)
{
    char *text = (char *) arena->allocator.alloc (arena->allocator.allocator_data, size + 1);
    if (text) {
        memcpy (text, data, size);
        text [size] = 0;
    }
    return text;
}

PublishBatch *
eventlog_read_batch (const uint8_t *data, size_t size, codec_arena_t *arena,
                     const uint8_t ***events_p, size_t **sizes_p, size_t **seq_offsets_p)
{
    //  First the batch's own fields: a producer at most once, then events.
    const uint8_t *at = data, *end = data + size;
    const uint8_t *producer = NULL;
    size_t producer_size = 0, count = 0;
    while (at < end) {
        codec_wire_field_t field;
        if (!codec_wire_next (&at, end, &field) || field.wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED
        ||  field.number > 2 || (field.number == 1 && (producer || count)))
            return NULL;
        if (field.number == 1) {
            producer = field.payload;
            producer_size = field.payload_size;
        }
        else
            count++;
    }
    ProtobufCAllocator *allocator = &arena->allocator;
    PublishBatch *batch = (PublishBatch *) allocator->alloc (allocator->allocator_data, sizeof (PublishBatch));
    Event **events = count? (Event **) allocator->alloc (allocator->allocator_data, count * sizeof (Event *)): NULL;
    const uint8_t **packed = count? (const uint8_t **) allocator->alloc (allocator->allocator_data,
                                                                         count * sizeof (uint8_t *)): NULL;
    size_t *sizes = count? (size_t *) allocator->alloc (allocator->allocator_data, count * sizeof (size_t)): NULL;
    size_t *offsets = count? (size_t *) allocator->alloc (allocator->allocator_data, count * sizeof (size_t)): NULL;
    if (!batch || (count && (!events || !packed || !sizes || !offsets)))
        return NULL;
    publish_batch__init (batch);
    if (producer && !(batch->producer = s_text (arena, producer, producer_size)))
        return NULL;
    size_t i = 0;
    for (at = data; at < end; ) {
        codec_wire_field_t field;
        codec_wire_next (&at, end, &field);
        if (field.number != 2)
            continue;
        //  codec's reader of an Event, which notes where the fields lie:
        //  only bytes as protobuf-c packs a producer's event (fields in
        //  order, one-byte tags, nothing unknown, no stream seq yet) are
        //  taken; the stream seq goes before the first field above 5.
        codec_wire_order_t order = { .above = 5 };
        if (!(events [i] = codec_arena_decode_event_order (arena, field.payload, field.payload_size, &order))
        ||  !order.ordered || order.number == 5)
            return NULL;
        offsets [i] = order.offset;
        packed [i] = field.payload;
        sizes [i++] = field.payload_size;
    }
    batch->n_events = count;
    batch->events = events;
    *events_p = packed;
    *sizes_p = sizes;
    *seq_offsets_p = offsets;
    return batch;
}

//  Logs an event under the stream's next seq. `packed` (may be NULL) is the
//  event as its producer packed it: the stored bytes are then those bytes
//  with the stream seq put in its place, the bytes protobuf-c would pack
//  from the unpacked event, without walking every field of it again.
static int
s_append (eventlog_t *self, MDB_txn *txn, Event *event, const uint8_t *packed, size_t packed_size,
          size_t offset)
{
    size_t stream_len = event->stream? strlen (event->stream): 0;
    if (stream_len == 0 || stream_len > 200 || memchr (event->stream, '.', stream_len))
        return EINVAL;
    uint64_t *head = streq (self->last_stream.stream, event->stream)? self->last_stream.head: NULL;
    uint64_t seq = (head? *head: s_get (self->scratch_heads, self->heads, event->stream)) + 1;
    event->stream_seq = seq;
    //  Packed once, into the frame fanout will send; the log stores the
    //  same bytes.
    if (packed && offset == EVENTLOG_SEQ_OFFSET_UNKNOWN && s_seq_offset (packed, packed_size, &offset))
        packed = NULL;
    uint8_t seq_field [11];
    size_t seq_size = packed? codec_write_varint_field (seq_field, 5, seq): 0;
    size_t size = packed? packed_size + seq_size: protobuf_c_message_get_packed_size (&event->base);
    //  The entry's frame: topic ‖ 0 ‖ seq ‖ the event (fanout_frame_new's
    //  layout), in the attempt's blocks.
    size_t type_len = event->type? strlen (event->type): 0;
    size_t topic_len = stream_len + 1 + type_len;
    if (self->count == self->room) {
        size_t room = self->room? self->room * 2: 1024;
        eventlog_entry_t *entries = (eventlog_entry_t *) realloc (self->entries, room * sizeof *entries);
        if (!entries)
            return ENOMEM;
        self->entries = entries;
        self->room = room;
    }
    uint8_t *frame = s_block_alloc (&self->blocks, topic_len + 1 + 8 + size);
    if (!frame)
        return ENOMEM;
    memcpy (frame, event->stream, stream_len);
    frame [stream_len] = '.';
    if (type_len)
        memcpy (frame + stream_len + 1, event->type, type_len);
    frame [topic_len] = 0;
    store_u64_write (frame + topic_len + 1, seq);
    uint8_t *data = frame + topic_len + 9;
    if (packed) {
        memcpy (data, packed, offset);
        memcpy (data + offset, seq_field, seq_size);
        memcpy (data + offset + seq_size, packed + offset, packed_size - offset);
    }
    else
        protobuf_c_message_pack (&event->base, data);
    uint8_t key [256];
    size_t key_size = s_event_key (key, sizeof key, event->stream, seq);
    int rc = store_put (self->store, txn, "events", key, key_size, data, size);
    if (rc)
        return rc;
    if (head)
        *head = seq;
    else {
        s_set (self->scratch_heads, event->stream, seq);
        //  The stream's length was checked above (at most 200).
        strcpy (self->last_stream.stream, event->stream);
        self->last_stream.head = (uint64_t *) zhashx_lookup (self->scratch_heads, event->stream);
    }
    if (seq == 1)
        s_set (self->scratch_firsts, event->stream, 1);
    self->entries [self->count++] = (eventlog_entry_t) {
        (const char *) frame, topic_len, stream_len, seq, data, size
    };
    return 0;
}

int
eventlog_append (eventlog_t *self, MDB_txn *txn, Event *event)
{
    return s_append (self, txn, event, NULL, 0, EVENTLOG_SEQ_OFFSET_UNKNOWN);
}

//  Whether an event at or below the producer's acked seq is one the log
//  took before. Under an epoch, only if that epoch's range covers it: the
//  same number under an epoch that never had it is a different event
//  (a producer store restored from an older copy re-using the numbers).
//  The lowest seq the log took under any epoch of the producer: below it,
//  the log took the producer's events before it recorded epochs. Walks
//  every range, but only for an event about to be refused.
static uint64_t
s_epochs_from (eventlog_t *self, const char *producer)
{
    uint64_t lowest = UINT64_MAX;
    size_t length = strlen (producer);
    zhashx_t *tables [2] = { self->epochs, self->scratch_epochs };
    for (size_t t = 0; t < 2; t++)
        for (s_range_t *range = (s_range_t *) zhashx_first (tables [t]); range;
             range = (s_range_t *) zhashx_next (tables [t])) {
            const char *key = (const char *) zhashx_cursor (tables [t]);
            if (strncmp (key, producer, length) == 0 && key [length] == '\n' && range->first < lowest)
                lowest = range->first;
        }
    return lowest;
}

static bool
s_is_duplicate (eventlog_t *self, const Event *event, uint64_t current)
{
    //  No epoch on the event (an older producer) or none recorded for the
    //  producer (a log written before epochs): the seq is all we have.
    if (event->producer_epoch == 0 || current == 0)
        return true;
    s_range_t *range = s_range (self, event->producer, event->producer_epoch);
    if (range)
        return range->first <= event->producer_seq && event->producer_seq <= range->last;
    //  An epoch the log never recorded, at a seq it took before it recorded
    //  any (a resend across the upgrade that brought epochs): the seq is
    //  all we have there too. A producer store restored from an older copy
    //  that re-uses such numbers is still stopped by its relay, whose
    //  outbox ends below the broker's ack.
    return event->producer_seq < s_epochs_from (self, event->producer);
}

//  Logs an event take decided is the producer's next one; 0 with the
//  outcome (TAKEN, or INVALID for an unusable stream name), or an LMDB error.
static int
s_take_next (eventlog_t *self, MDB_txn *txn, Event *event, const uint8_t *packed,
             size_t packed_size, size_t seq_offset, eventlog_outcome_t *outcome)
{
    int rc = s_append (self, txn, event, packed, packed_size, seq_offset);
    if (rc == EINVAL) {
        //  A producer bug must not wedge its outbox forever: drop the
        //  event, say so, and move the producer on.
        log_error ("event has no usable stream name, dropped",
                   "producer", json_string (event->producer),
                   "producer_seq", json_integer ((json_int_t) event->producer_seq), NULL);
        *outcome = EVENTLOG_INVALID;
        return 0;
    }
    if (rc == 0)
        *outcome = EVENTLOG_TAKEN;
    return rc;
}

int
eventlog_take (eventlog_t *self, MDB_txn *txn, Event *event, const uint8_t *packed,
               size_t packed_size, eventlog_outcome_t *outcome)
{
    return eventlog_take_at (self, txn, event, packed, packed_size, EVENTLOG_SEQ_OFFSET_UNKNOWN, outcome);
}

int
eventlog_take_at (eventlog_t *self, MDB_txn *txn, Event *event, const uint8_t *packed,
                  size_t packed_size, size_t seq_offset, eventlog_outcome_t *outcome)
{
    *outcome = EVENTLOG_OUT_OF_ORDER;
    if (!event->producer || !*event->producer)
        return 0;
    //  The next event of the producer taken last, under the same epoch: no
    //  check below can refuse it (its prev_epoch names the epoch the log
    //  holds at acked), and taking it only moves acked and the epoch's
    //  range on, in the slots the last event left cached.
    if (streq (self->last.producer, event->producer)
    &&  event->producer_seq == *self->last.acked + 1
    &&  event->producer_epoch == self->last.epoch
    &&  (event->producer_epoch == 0 || event->prev_epoch == *self->last.current)) {
        int rc = s_take_next (self, txn, event, packed, packed_size, seq_offset, outcome);
        if (rc)
            return rc;
        *self->last.acked = event->producer_seq;
        if (self->last.range)
            self->last.range->last = event->producer_seq;
        return 0;
    }
    uint64_t acked = s_get (self->scratch_acked, self->acked, event->producer);
    uint64_t current = s_get (self->scratch_current, self->current, event->producer);
    if (event->producer_seq <= acked) {
        if (s_is_duplicate (self, event, current))
            *outcome = EVENTLOG_DUPLICATE;
        else {
            s_range_t *range = s_range (self, event->producer, event->producer_epoch);
            snprintf (self->reason, sizeof self->reason,
                      "producer %s sent seq %" PRIu64 " under epoch %016" PRIx64
                      ", but the broker logged seq 1..%" PRIu64 " (newest under epoch %016" PRIx64 ")"
                      " and %s: the producer's store is older than the broker's"
                      " (restored from a copy?)",
                      event->producer, event->producer_seq, event->producer_epoch,
                      acked, current, range? "took other seqs under that epoch"
                                           : "never saw that epoch");
            *outcome = EVENTLOG_DIVERGED;
        }
        return 0;
    }
    if (event->producer_seq != acked + 1)
        return 0;
    //  The next event must follow the one the log holds at acked: the
    //  producer says which epoch that was. Another one means the event at
    //  acked here is not the producer's (the broker's store is older than
    //  the producer's, or the producer's older than the broker's).
    if (event->producer_epoch && current && event->prev_epoch != current) {
        snprintf (self->reason, sizeof self->reason,
                  "producer %s sent seq %" PRIu64 " following an event of epoch %016" PRIx64
                  ", but the broker's seq %" PRIu64 " of that producer has epoch %016" PRIx64
                  ": one of the two stores was restored from an older copy",
                  event->producer, event->producer_seq, event->prev_epoch, acked, current);
        *outcome = EVENTLOG_DIVERGED;
        return 0;
    }
    int rc = s_take_next (self, txn, event, packed, packed_size, seq_offset, outcome);
    if (rc)
        return rc;
    s_set (self->scratch_acked, event->producer, event->producer_seq);
    if (event->producer_epoch) {
        char key [256];
        s_epoch_key (key, sizeof key, event->producer, event->producer_epoch);
        s_range_t *range = s_range (self, event->producer, event->producer_epoch);
        s_range_set (self->scratch_epochs, key, range? range->first: event->producer_seq,
                     event->producer_seq);
        s_set (self->scratch_current, event->producer, event->producer_epoch);
    }
    //  The slots the producer's next event will find (above).
    self->last.producer [0] = 0;
    if (strlen (event->producer) < sizeof self->last.producer) {
        self->last.acked = (uint64_t *) zhashx_lookup (self->scratch_acked, event->producer);
        self->last.epoch = event->producer_epoch;
        self->last.current = NULL;
        self->last.range = NULL;
        if (event->producer_epoch) {
            char key [256];
            s_epoch_key (key, sizeof key, event->producer, event->producer_epoch);
            self->last.current = (uint64_t *) zhashx_lookup (self->scratch_current, event->producer);
            self->last.range = (s_range_t *) zhashx_lookup (self->scratch_epochs, key);
        }
        strcpy (self->last.producer, event->producer);
    }
    return 0;
}

const char *
eventlog_reason (eventlog_t *self)
{
    return self->reason;
}

static int
s_flush_table (eventlog_t *self, MDB_txn *txn, zhashx_t *scratch, const char *table)
{
    for (uint64_t *value = (uint64_t *) zhashx_first (scratch); value;
         value = (uint64_t *) zhashx_next (scratch)) {
        int rc = store_put_u64 (self->store, txn, table, (const char *) zhashx_cursor (scratch), *value);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_flush_epochs (eventlog_t *self, MDB_txn *txn)
{
    for (s_range_t *range = (s_range_t *) zhashx_first (self->scratch_epochs); range;
         range = (s_range_t *) zhashx_next (self->scratch_epochs)) {
        const char *name = (const char *) zhashx_cursor (self->scratch_epochs);
        const char *newline = strrchr (name, '\n');
        assert (newline);
        size_t producer_size = (size_t) (newline - name);
        uint8_t key [256], value [16];
        assert (producer_size + 9 <= sizeof key);
        memcpy (key, name, producer_size);
        key [producer_size] = 0;
        store_u64_write (key + producer_size + 1, strtoull (newline + 1, NULL, 16));
        store_u64_write (value, range->first);
        store_u64_write (value + 8, range->last);
        int rc = store_put (self->store, txn, "epochs", key, producer_size + 9, value, 16);
        if (rc)
            return rc;
    }
    return 0;
}

int
eventlog_flush (eventlog_t *self, MDB_txn *txn)
{
    int rc = s_flush_table (self, txn, self->scratch_heads, "heads");
    if (rc == 0)
        rc = s_flush_table (self, txn, self->scratch_firsts, "firsts");
    if (rc == 0)
        rc = s_flush_table (self, txn, self->scratch_acked, "producers");
    if (rc == 0)
        rc = s_flush_table (self, txn, self->scratch_current, "producer_epochs");
    if (rc == 0)
        rc = s_flush_epochs (self, txn);
    return rc;
}

static void
s_merge (zhashx_t *scratch, zhashx_t *committed)
{
    for (uint64_t *value = (uint64_t *) zhashx_first (scratch); value;
         value = (uint64_t *) zhashx_next (scratch))
        s_set (committed, (const char *) zhashx_cursor (scratch), *value);
    zhashx_purge (scratch);
}

const eventlog_entry_t *
eventlog_committed (eventlog_t *self, size_t *count)
{
    s_merge (self->scratch_heads, self->heads);
    s_merge (self->scratch_firsts, self->firsts);
    s_merge (self->scratch_acked, self->acked);
    s_merge (self->scratch_current, self->current);
    for (s_range_t *range = (s_range_t *) zhashx_first (self->scratch_epochs); range;
         range = (s_range_t *) zhashx_next (self->scratch_epochs))
        s_range_set (self->epochs, (const char *) zhashx_cursor (self->scratch_epochs),
                     range->first, range->last);
    zhashx_purge (self->scratch_epochs);
    s_forget (self);
    *count = self->count;
    return self->entries;
}

void
eventlog_published (eventlog_t *self)
{
    self->count = 0;
    s_blocks_reset (&self->blocks);
}

zframe_t *
eventlog_entry_frame (const eventlog_entry_t *entry)
{
    return zframe_new (entry->topic, (size_t) (entry->data + entry->size - (const uint8_t *) entry->topic));
}

uint64_t
eventlog_producer_acked (eventlog_t *self, const char *producer)
{
    return s_get (NULL, self->acked, producer);
}

uint64_t
eventlog_producer_epoch (eventlog_t *self, const char *producer)
{
    return s_get (NULL, self->current, producer);
}

uint64_t
eventlog_head (eventlog_t *self, const char *stream)
{
    return s_get (NULL, self->heads, stream);
}

uint64_t
eventlog_first (eventlog_t *self, const char *stream)
{
    return s_get (NULL, self->firsts, stream);
}

static zlistx_t *
s_keys (zhashx_t *table)
{
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (keys, (zlistx_duplicator_fn *) strdup);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
    for (void *value = zhashx_first (table); value; value = zhashx_next (table))
        zlistx_add_end (keys, (void *) zhashx_cursor (table));
    zlistx_sort (keys);
    return keys;
}

zlistx_t *
eventlog_streams (eventlog_t *self)
{
    return s_keys (self->heads);
}

zlistx_t *
eventlog_producers (eventlog_t *self)
{
    return s_keys (self->acked);
}

//  The type (field 2) of a packed Event, without decoding it.
static bool
s_packed_type (const MDB_val *value, const uint8_t **type, size_t *length)
{
    const uint8_t *at = (const uint8_t *) value->mv_data, *end = at + value->mv_size;
    codec_wire_field_t field;
    while (at < end && codec_wire_next (&at, end, &field))
        if (field.number == 2 && field.wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
            *type = field.payload;
            *length = field.payload_size;
            return true;
        }
    *type = NULL;
    *length = 0;
    return false;
}

//  The events of stream from from_seq on, all of them (all) or those of
//  types, within max, max_bytes and max_scan: eventlog_fetch and
//  eventlog_fetch_types. *through (when asked) as eventlog_fetch_types says.
static Event **
s_fetch (eventlog_t *self, const char *stream, uint64_t from_seq, bool all, char *const *types,
         size_t n_types, size_t max, size_t max_bytes, size_t max_scan, size_t *n,
         uint64_t *through)
{
    *n = 0;
    if (through)
        *through = 0;
    if (!stream || strlen (stream) > 200 || max == 0)
        return NULL;
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return NULL;
    Event **events = (Event **) calloc (max, sizeof (Event *));
    MDB_cursor *cursor;
    mdb_cursor_open (txn, store_table (self->store, "events"), &cursor);
    uint8_t start [256];
    if (from_seq == 0)
        from_seq = 1;
    size_t start_size = s_event_key (start, sizeof start, stream, from_seq);
    size_t prefix = strlen (stream) + 1;
    MDB_val key = { start_size, start }, value;
    size_t bytes = 0, scanned = 0;
    uint64_t looked = from_seq - 1;
    bool ended = true;              //  reached the end of the stream
    int rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE);
    while (rc == 0) {
        if (key.mv_size != prefix + 8 || memcmp (key.mv_data, start, prefix))
            break;                  //  past this stream
        if (*n == max || bytes >= max_bytes || scanned == max_scan) {
            ended = false;
            break;
        }
        uint64_t seq = store_u64_read ((const uint8_t *) key.mv_data + prefix);
        const uint8_t *type;
        size_t type_len;
        bool wanted = all;
        if (!all && s_packed_type (&value, &type, &type_len))
            for (size_t t = 0; t < n_types && !wanted; t++)
                wanted = strlen (types [t]) == type_len && memcmp (types [t], type, type_len) == 0;
        if (wanted) {
            Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
            if (!event) {
                ended = false;      //  looked no further than the seq before it
                break;
            }
            events [(*n)++] = event;
            bytes += value.mv_size;
        }
        scanned++;
        looked = seq;
        rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    store_read_end (&txn);
    //  At the end of the stream every seq up to its head was looked at
    //  (retention may have taken those before the first kept).
    if (through) {
        uint64_t head = eventlog_head (self, stream);
        *through = ended && head > looked? head: looked;
    }
    return events;
}

Event **
eventlog_fetch (eventlog_t *self, const char *stream, uint64_t from_seq,
                size_t max, size_t max_bytes, size_t *n)
{
    return s_fetch (self, stream, from_seq, true, NULL, 0, max, max_bytes, SIZE_MAX, n, NULL);
}

Event **
eventlog_fetch_types (eventlog_t *self, const char *stream, uint64_t from_seq, char *const *types,
                      size_t n_types, size_t max, size_t max_bytes, size_t max_scan, size_t *n,
                      uint64_t *through)
{
    return s_fetch (self, stream, from_seq, false, types, n_types, max, max_bytes, max_scan, n,
                    through);
}

typedef struct {
    eventlog_t *self;
    uint64_t cutoff_ms;
    size_t limit;
    int64_t deleted;
} s_prune_t;

static int
s_prune (store_t *store, MDB_txn *txn, void *arg)
{
    s_prune_t *prune = (s_prune_t *) arg;
    eventlog_t *self = prune->self;
    eventlog_begin (self);
    prune->deleted = 0;
    zlistx_t *streams = eventlog_streams (self);
    for (char *stream = (char *) zlistx_first (streams); stream; stream = (char *) zlistx_next (streams)) {
        uint64_t first = eventlog_first (self, stream);
        uint64_t head = eventlog_head (self, stream);
        //  Keep the head event so the stream's sequence survives restarts.
        while (first < head && (size_t) prune->deleted < prune->limit) {
            uint8_t key [256];
            size_t key_size = s_event_key (key, sizeof key, stream, first);
            MDB_val value;
            if (store_get (store, txn, "events", key, key_size, &value) == 0) {
                Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
                uint64_t time = event? event->time_ms: 0;
                codec_free (event);
                if (time >= prune->cutoff_ms)
                    break;
                int rc = store_del (store, txn, "events", key, key_size);
                if (rc) {
                    zlistx_destroy (&streams);
                    return rc;
                }
                prune->deleted++;
            }
            first++;
        }
        if (first != eventlog_first (self, stream)) {
            int rc = store_put_u64 (store, txn, "firsts", stream, first);
            if (rc) {
                zlistx_destroy (&streams);
                return rc;
            }
            s_set (self->scratch_firsts, stream, first);
        }
    }
    zlistx_destroy (&streams);
    return 0;
}

int64_t
eventlog_prune (eventlog_t *self, uint64_t cutoff_ms, size_t limit)
{
    s_prune_t prune = { self, cutoff_ms, limit, 0 };
    if (store_write (self->store, s_prune, &prune))
        return -1;
    size_t none;
    eventlog_committed (self, &none);
    eventlog_published (self);
    return prune.deleted;
}
