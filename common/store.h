/*  store: a service's LMDB environment with its named tables.

    One env per service, written by one thread. Writes go through
    store_write, which runs a function inside one write transaction and
    commits it; when LMDB reports MDB_MAP_FULL the transaction is thrown
    away, the map is doubled and the function runs again, so a store grows
    instead of failing. The function must therefore touch nothing outside
    the transaction (side effects belong after store_write returns 0).

    Integer keys are stored big-endian so LMDB's byte order is numeric order.

    A store belongs to one process: store_new takes an exclusive lock on
    DIR/rcmq.lock (flock, held until store_destroy or the process ends)
    and fails, naming the lock, the path and the holder's pid and host,
    when another process (or another store_t of this one) has it open.

    A store records its schema version (internal table "_store", key
    "version"): store_check_version stamps a new store with the code's
    version, refuses a newer one, and upgrades an older one only when told
    to (a service's --migrate), after a compacted copy of the env to
    <dir>.backup-v<from>-<UTC stamp>, with the migrations in one write
    transaction. A store made before versions existed has no stamp and
    counts as STORE_VERSION_UNSTAMPED (1). See docs/adr/0006.

    The same table keeps the store's clock high-water mark ("clock_high_ms"):
    every store_write moves it past the clock when the clock has passed it,
    so no time this store ever recorded is later than store_clock_high. A
    process that starts with its clock earlier than that (RCMQ_NOW in the
    past, a wall clock set back) starts from it instead (clock_not_before).
*/
#ifndef RCMQ_STORE_H
#define RCMQ_STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct _store_t store_t;

#define STORE_LOCK_FILE "rcmq.lock"
#define STORE_VERSION_UNSTAMPED 1
//  The high-water mark runs this far ahead of the clock, so store_write
//  writes it at most once a second while still covering every time it saw.
#define STORE_CLOCK_STEP_MS 1000

//  One step of a store's layout change, run inside the migration's write
//  transaction; 0, or an LMDB error / -1 (with store_fail) to abort it all.
typedef int (store_migrate_fn) (store_t *store, MDB_txn *txn);
typedef struct {
    uint32_t from, to;                      //  to = from + 1
    store_migrate_fn *fn;
    const char *what;                       //  for the log: what changes
} store_migration_t;                        //  tables end with { 0 }

//  0 to commit; an LMDB error code (MDB_MAP_FULL retries) or -1 to abort.
typedef int (store_write_fn) (store_t *store, MDB_txn *txn, void *arg);

//  Opens (creating) the env in dir with the given NULL-terminated tables.
//  Returns NULL and fills error when the env cannot be opened.
store_t    *store_new (const char *dir, const char *const *tables, char *error, size_t error_size);

//  How a store is opened; 0 is the default every service has.
//  STORE_WRITEMAP maps the env writable (LMDB's MDB_WRITEMAP): a write
//  transaction's pages are the file's own pages in the map, written in
//  place, instead of heap pages LMDB mallocs and copies at commit (up to
//  128 K of them, 512 MB, kept on its free list for the life of the env).
//  Commit is as durable (the map is msync'd before the meta page, as the
//  pages are fdatasync'd without). The price: the file's size is the map's
//  (sparse: the disk holds the pages used; `du`, not `ls`), a stray write
//  into the map's pages is not caught, and nested transactions are refused
//  (MDB_WRITEMAP forbids them). For a service whose calls rewrite many
//  records in one transaction (claims, ADR 45).
#define STORE_WRITEMAP 1u
store_t    *store_new_with (const char *dir, const char *const *tables, unsigned flags,
                            char *error, size_t error_size);
//  The flags store_new opens with in this process (0 until set). A service
//  sets them in its main, before the skeleton opens its store: one process
//  writes one store of its own, so the choice is the service's alone.
void        store_set_default_flags (unsigned flags);
//  The flags this store was opened with.
unsigned    store_flags (store_t *self);
void        store_destroy (store_t **self_p);
MDB_dbi     store_table (store_t *self, const char *name);
const char *store_dir (store_t *self);
size_t      store_map_size (store_t *self);
//  Sets the map size to start from (before any transaction); for tests.
int         store_set_map_size (store_t *self, size_t size);

//  Checks (and stamps, or migrates) the schema version; see the top. The
//  version found is in *found (the code's for a new store). With migrate,
//  an older store is copied and migrated step by step to version; without,
//  it is refused with a message saying to run `scripts/run migrate`. A
//  missing step, a failed copy or a failed step changes nothing. 0 or -1
//  with error.
int         store_check_version (store_t *self, uint32_t version, const store_migration_t *migrations,
                                 bool migrate, uint32_t *found, char *error, size_t error_size);
uint32_t    store_version (store_t *self);
//  The copy the last migration made, or NULL.
const char *store_backup (store_t *self);
//  The latest time (ms) this store may hold; 0 for a store never written.
uint64_t    store_clock_high (store_t *self);
//  Moves the mark past the clock now, in a transaction of its own: a
//  process calls it as it stops, so its next start begins where this run
//  ended even when its last write was a while ago. 0 or -1.
int         store_mark_clock (store_t *self);

//  Runs fn in a write transaction and commits. Returns 0, or -1 with the
//  reason in store_error() and nothing applied.
int         store_write (store_t *self, store_write_fn *fn, void *arg);
//  A function every store_write runs on its transaction after the
//  caller's fn returned 0, just before the commit, so work that may wait
//  (the relay's deletes of acked outbox entries) costs no commit of its
//  own; committed is called once such a transaction has committed, and
//  not when it aborted or failed. fn returns 0, MDB_MAP_FULL (the whole
//  write runs again on a grown map, fn with it) or another error: then
//  the caller's write runs again without fn, which is left for a later
//  write. fn touches nothing outside the transaction (it may run and be
//  thrown away); its side effects belong in committed. One hook a store;
//  NULL removes it. Commits that do not go through store_write skip it.
typedef void (store_committed_fn) (store_t *store, void *arg);
void        store_on_write (store_t *self, store_write_fn *fn, store_committed_fn *committed, void *arg);
//  How many store_write calls committed, since the store was opened.
uint64_t    store_commits (store_t *self);
//  Read-only transactions.
MDB_txn    *store_read_begin (store_t *self);
void        store_read_end (MDB_txn **txn_p);
//  The same, for a thread other than the one that writes (a ZAP
//  handler): held against the map's growth, which remaps the env. Short
//  reads only: the writer waits for them to grow the map. NULL: nothing held.
MDB_txn    *store_read_begin_shared (store_t *self);
void        store_read_end_shared (store_t *self, MDB_txn **txn_p);
const char *store_error (store_t *self);
//  Inside a store_write function: records why it aborts; returns -1.
int         store_fail (store_t *self, const char *format, ...)
            __attribute__ ((format (printf, 2, 3)));

//  The key of an index on two texts: first, a NUL, second (with second's
//  NUL after it, not counted in *size), sized from the data so no long
//  value is cut. A first value never holds a NUL, so keys sort by first,
//  then second, and a prefix of first + NUL finds all of first's. Free it.
char       *store_key_pair (const char *first, const char *second, size_t *size);

//  Table helpers over one transaction. get returns 0, MDB_NOTFOUND or an error.
int         store_put (store_t *self, MDB_txn *txn, const char *table,
                       const void *key, size_t key_size, const void *value, size_t value_size);
//  Puts a protobuf message (packed) under a text key. 0 or an LMDB error.
int         store_put_message (store_t *self, MDB_txn *txn, const char *table, const char *key,
                               const void *message);
//  The same under any key, packed once, straight into the value LMDB
//  reserves for it (MDB_RESERVE): no packed copy on the heap, no copy of
//  it into the page. 0 or an LMDB error.
int         store_put_packed (store_t *self, MDB_txn *txn, const char *table,
                              const void *key, size_t key_size, const void *message);
//  A put for keys that grow (sequence numbers): LMDB fills pages instead
//  of splitting them half empty. Falls back to a plain put when the key is
//  not the table's last.
int         store_append (store_t *self, MDB_txn *txn, const char *table,
                          const void *key, size_t key_size, const void *value, size_t value_size);
int         store_get (store_t *self, MDB_txn *txn, const char *table,
                       const void *key, size_t key_size, MDB_val *value);
int         store_del (store_t *self, MDB_txn *txn, const char *table,
                       const void *key, size_t key_size);
//  Entries in a table (0 on error).
uint64_t    store_count (store_t *self, MDB_txn *txn, const char *table);

//  Big-endian 64-bit integers, for keys and small values.
void        store_u64_write (uint8_t *buf, uint64_t value);
uint64_t    store_u64_read (const void *buf);
//  A u64 value stored under a string key ("meta" counters, offsets). A
//  missing key reads as 0 and returns 0; any other failure (an LMDB error,
//  a value that is not 8 bytes) returns -1 with store_error() naming the
//  store, table and key, and leaves *value at 0. Never take a failed read
//  for a default: an offset read as 0 would re-apply a whole stream.
int         store_get_u64 (store_t *self, MDB_txn *txn, const char *table, const char *key,
                           uint64_t *value);
int         store_put_u64 (store_t *self, MDB_txn *txn, const char *table, const char *key, uint64_t value);
//  A counter under a string key: reads it, adds one (back to 1 past max:
//  X12 control numbers have nine digits), writes it and returns the new
//  value in *value. Returns 0, or -1 / an LMDB error for store_write.
int         store_next_counter (store_t *self, MDB_txn *txn, const char *table, const char *key,
                                uint64_t max, uint64_t *value);
//  The same, counting on from floor when the stored value is below it
//  (numbers already used elsewhere: an outbound register a store restored
//  from an older copy has not seen).
int         store_next_counter_after (store_t *self, MDB_txn *txn, const char *table, const char *key,
                                      uint64_t floor, uint64_t max, uint64_t *value);

//  ---------------------------------------------------------------------
//  Iterating: the rows of one table whose keys begin with a prefix, in key
//  order, inside one transaction, without a raw MDB cursor in the caller.
//  Do not write the table while an iterator on it is open.
//
//      store_iter_t *iter = store_iter_new (store, txn, "by_status", "paid", 5);
//      MDB_val key, value;
//      while (store_iter_next (iter, &key, &value))
//          use (key, value);
//      int rc = store_iter_error (iter);   //  0, or the LMDB error that ended it
//      store_iter_destroy (&iter);

typedef struct _store_iter_t store_iter_t;

//  prefix may be NULL (prefix_size 0) for the whole table. Never NULL: a
//  cursor that cannot open gives an iterator with no rows and the error.
store_iter_t *store_iter_new (store_t *store, MDB_txn *txn, const char *table,
                              const void *prefix, size_t prefix_size);
void          store_iter_destroy (store_iter_t **self_p);
//  Starts the walk at the first key at or after prefix + from (from_size
//  bytes; the prefix's first key when 0). Without a seek the walk starts
//  at the prefix's first key.
void          store_iter_seek (store_iter_t *self, const void *from, size_t from_size);
//  The next row under the prefix: true with its whole key and its value
//  (valid until the next call or the transaction's end); false at the end
//  of the prefix or on an error (store_iter_error).
bool          store_iter_next (store_iter_t *self, MDB_val *key, MDB_val *value);
//  The key of the current row after the prefix.
MDB_val       store_iter_suffix (store_iter_t *self);
//  0, or the LMDB error that ended the walk (the end is not an error).
int           store_iter_error (store_iter_t *self);

//  ---------------------------------------------------------------------
//  Paging: what every list method does. A page is the rows of a table in
//  id order, or with a key the rows of an index under "key\0" (claims'
//  by_status "paid\0P1"), whose id (the table's key; the index key after
//  "key\0") comes after the previous page's last id, kept or passed over
//  one by one by the method, at most limit of them; next_after is the id
//  of the page's last row when more rows follow, else "" (a client asks
//  again with after = next_after).

typedef struct {
    const char *table;              //  rows by id
    const char *index;              //  rows by "key\0id", walked when key is not ""
    const char *key;                //  NULL or "": the whole table
    const char *after;              //  NULL or "": from the first row
    size_t limit;                   //  from store_page_limit
} store_page_query_t;

//  Turns one row into what the page keeps (the page owns it), or NULL to
//  pass the row over (filtered out, out of scope, not decodable). id is the
//  row's id as text; value is the table's value, or the index's.
typedef void *(store_page_row_fn) (void *arg, const char *id, const MDB_val *value);
//  Frees a kept row (codec_free for messages).
typedef void (store_page_free_fn) (void *row);

typedef struct {
    void **rows;                    //  count rows (NULL-terminated)
    char **ids;                     //  their ids (the subjects of the call)
    size_t count;
    char *next_after;               //  "" on the last page
    store_page_free_fn *free_row;
} store_page_t;

//  The page of every list method (fallback and max of store_page_limit):
//  100 rows when the client names no limit, at most 1000. One figure for
//  every service, so a client pages each list alike; a method whose rows
//  are of another size says why beside its own (audit.Leaves).
#define STORE_PAGE_DEFAULT 100
#define STORE_PAGE_MAX     1000

//  The limit a list method uses: requested, or fallback when 0. Above max
//  it is refused (-1, with error naming both: "limit 5000 is more than the
//  maximum 1000"), never cut down silently: a client that asked for more
//  than it gets would take a full page for the whole list.
int  store_page_limit (uint64_t requested, size_t fallback, size_t max, size_t *limit,
                       char *error, size_t error_size);
//  Reads one page: 0, or an LMDB error. Clear the page either way.
int  store_page_read (store_t *store, MDB_txn *txn, const store_page_query_t *query,
                      store_page_row_fn *fn, store_page_free_fn *free_row, void *arg,
                      store_page_t *page);
//  A table whose keys are not text (the consumer's deadletter table,
//  "stream\0" + 8-byte seq) names its rows by a text id all the same:
//  id_of writes a key as its id (heap), key_of an id back as the key (0,
//  or -1 for text that is no id of the table: the method refuses such an
//  `after` before it reads; store_page_read_keys fails on it).
typedef char *(store_page_id_fn) (const MDB_val *key);
typedef int (store_page_key_fn) (const char *id, uint8_t *key, size_t size, size_t *key_size);
typedef struct {
    store_page_id_fn *id_of;
    store_page_key_fn *key_of;
} store_page_keys_t;
//  store_page_read for such a table (query's key must be "").
int  store_page_read_keys (store_t *store, MDB_txn *txn, const store_page_query_t *query,
                           const store_page_keys_t *keys, store_page_row_fn *fn,
                           store_page_free_fn *free_row, void *arg, store_page_t *page);
//  Frees the page's rows and its next_after.
void store_page_clear (store_page_t *page);

#endif
