/*  store: see store.h. The only subtle part is growth: LMDB allows the map
    size to change only while no transaction is open in this process, which
    holds here because a service writes from one thread and never keeps a
    read transaction open across a store_write.
*/
#include "store.h"
#include "clock.h"
#include "codec.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

//  Named tables an env can hold: the service's own and the skeleton's
//  (outbox, offsets, the registry copy...). metrics alone asks 30.
#define STORE_MAX_TABLES  64
//  1 GiB of address space to start: reserving it costs nothing (the file
//  grows only as pages are used), and every growth re-runs the transaction
//  that hit the limit, which for a big batch means doing it all again.
#define STORE_START_MAP   (1UL << 30)
#define STORE_MAX_RETRIES 24                //  2^24 x 64 MiB: far past any disk
//  The store's own table (version, clock high-water), beside the caller's.
#define STORE_OWN_TABLE   "_store"

typedef struct {
    char *name;
    MDB_dbi dbi;
} s_table_t;

//  store_table's memory of the names it was asked by, by the name's
//  address: callers name tables with string literals, so each call site
//  asks with the same pointer every time (issue 19: the scan's strcmp
//  was 4 % of claims' CPU, ~30 tables and several lookups a put).
#define STORE_NAME_CACHE 64

struct _store_t {
    MDB_env *env;
    char *dir;
    s_table_t tables [STORE_MAX_TABLES];
    int table_count;
    //  Atomic, relaxed: a process may ask from two threads (intake's
    //  prepare); a slot read half old, half new fails the strcmp.
    struct {
        _Atomic (const char *) name;        //  the address asked with
        atomic_int index;                   //  into tables
    } name_cache [STORE_NAME_CACHE];
    size_t map_size;
    //  Held by a thread other than the writer's while it reads (the ZAP
    //  handler's registry lookups: store_read_begin_shared) and by the
    //  map's growth: LMDB remaps the env then, and a read transaction open
    //  on another thread would read the old, unmapped pages (rcmq-audit
    //  segfaulted so at 1M claims, a connection's ZAP lookup against the
    //  map doubling after MDB_MAP_FULL).
    pthread_mutex_t map_lock;
    int lock_fd;                            //  holds STORE_LOCK_FILE's flock, -1 when none
    bool fresh;                             //  the env had no table before this open
    uint32_t version;
    uint64_t clock_high;                    //  as committed
    unsigned flags;                         //  STORE_WRITEMAP...
    char *backup;
    //  store_on_write: run inside every store_write, told of each commit.
    store_write_fn *hook;
    store_committed_fn *hook_committed;
    void *hook_arg;
    uint64_t commits;                       //  store_write commits, for tests
    char error [512];
};

static int
s_mkdirs (const char *dir)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, 0700) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (path, 0700) && errno != EEXIST? -1: 0;
}

//  Takes the store's exclusive lock: flock on DIR/STORE_LOCK_FILE, held
//  through an open descriptor for as long as the store is open, so the
//  kernel releases it whatever way the process ends (no stale lock after a
//  crash). LMDB itself lets any number of processes open one env and
//  would let two writers interleave their transactions; this is what
//  makes a store one process's. The holder writes its pid and host into
//  the file so that a refused opener can say who holds it.
static int
s_lock (store_t *self, char *error, size_t error_size)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", self->dir, STORE_LOCK_FILE);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (error, error_size, "store %s: cannot open lock file %s: %s",
                  self->dir, path, strerror (errno));
        return -1;
    }
    if (flock (fd, LOCK_EX | LOCK_NB)) {
        int err = errno;
        char holder [256] = "";
        ssize_t size = pread (fd, holder, sizeof holder - 1, 0);
        holder [size > 0? size: 0] = 0;
        holder [strcspn (holder, "\n")] = 0;
        close (fd);
        if (err == EWOULDBLOCK)
            snprintf (error, error_size, "store %s is in use: lock %s is held by %s; "
                      "one store is written by one process, stop the other first",
                      self->dir, path, *holder? holder: "another process (which has not written its pid yet)");
        else
            snprintf (error, error_size, "store %s: cannot lock %s: %s", self->dir, path, strerror (err));
        return -1;
    }
    char host [256] = "unknown";
    gethostname (host, sizeof host - 1);
    char holder [320];
    int size = snprintf (holder, sizeof holder, "pid %d on host %s\n", (int) getpid (), host);
    if (ftruncate (fd, 0) || pwrite (fd, holder, (size_t) size, 0) != size) {
        snprintf (error, error_size, "store %s: cannot write lock file %s: %s",
                  self->dir, path, strerror (errno));
        close (fd);
        return -1;
    }
    self->lock_fd = fd;
    return 0;
}

//  What store_new opens with: the process's service chose it in its main.
static unsigned s_default_flags;

void
store_set_default_flags (unsigned flags)
{
    s_default_flags = flags;
}

store_t *
store_new (const char *dir, const char *const *tables, char *error, size_t error_size)
{
    return store_new_with (dir, tables, s_default_flags, error, error_size);
}

unsigned
store_flags (store_t *self)
{
    return self->flags;
}

store_t *
store_new_with (const char *dir, const char *const *tables, unsigned flags, char *error, size_t error_size)
{
    store_t *self = (store_t *) zmalloc (sizeof (store_t));
    self->dir = strdup (dir);
    pthread_mutex_init (&self->map_lock, NULL);
    self->lock_fd = -1;
    self->flags = flags;
    int rc = 0;
    if (s_mkdirs (dir)) {
        snprintf (error, error_size, "store %s: cannot create directory: %s", dir, strerror (errno));
        goto failed;
    }
    if (s_lock (self, error, error_size))
        goto failed;
    if ((rc = mdb_env_create (&self->env)))
        goto lmdb_failed;
    mdb_env_set_maxdbs (self->env, STORE_MAX_TABLES);
    //  MDB_NOTLS: a read transaction owns its reader slot and gives it
    //  back when it ends, instead of the slot staying with the thread in
    //  thread-local storage until the thread exits. Other threads than the
    //  loop read the store (the ZAP handler's gate): czmq lets an actor's
    //  thread run on after zactor_destroy returns, so its exit could come
    //  after store_destroy had unmapped the lock file, and LMDB's
    //  thread-exit hook then wrote to the unmapped slot (a SIGSEGV at exit,
    //  seen once as status 139 in CI). Every read here begins and ends its
    //  own transaction, so nothing relies on one slot per thread.
    //  MDB_WRITEMAP (STORE_WRITEMAP): see store.h. Set at open only; an env
    //  written either way opens either way.
    unsigned env_flags = MDB_NOTLS | (flags & STORE_WRITEMAP? MDB_WRITEMAP: 0);
    if ((rc = mdb_env_open (self->env, dir, env_flags, 0600)))
        goto lmdb_failed;
    //  An existing env may already be larger than our starting size.
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    self->map_size = info.me_mapsize > STORE_START_MAP? info.me_mapsize: STORE_START_MAP;
    if ((rc = mdb_env_set_mapsize (self->env, self->map_size)))
        goto lmdb_failed;

    MDB_txn *txn;
    if ((rc = mdb_txn_begin (self->env, NULL, 0, &txn)))
        goto lmdb_failed;
    //  Named tables are keys of the unnamed one: none means a new env.
    MDB_stat stat;
    MDB_dbi unnamed;
    if ((rc = mdb_dbi_open (txn, NULL, 0, &unnamed)) || (rc = mdb_stat (txn, unnamed, &stat))) {
        mdb_txn_abort (txn);
        goto lmdb_failed;
    }
    self->fresh = stat.ms_entries == 0;
    static const char *own [] = { STORE_OWN_TABLE, NULL };
    int asked = 1;
    for (const char *const *name = tables; *name; name++)
        asked++;
    if (asked > STORE_MAX_TABLES) {
        mdb_txn_abort (txn);
        snprintf (error, error_size, "store %s: %d tables asked, at most %d (STORE_MAX_TABLES)",
                  dir, asked, STORE_MAX_TABLES);
        goto failed;
    }
    for (int pass = 0; pass < 2; pass++)
        for (const char *const *name = pass? tables: own; *name; name++) {
            assert (self->table_count < STORE_MAX_TABLES);
            s_table_t *table = &self->tables [self->table_count++];
            table->name = strdup (*name);
            if ((rc = mdb_dbi_open (txn, *name, MDB_CREATE, &table->dbi))) {
                mdb_txn_abort (txn);
                goto lmdb_failed;
            }
        }
    uint64_t version;
    if (store_get_u64 (self, txn, STORE_OWN_TABLE, "version", &version)
    ||  store_get_u64 (self, txn, STORE_OWN_TABLE, "clock_high_ms", &self->clock_high)) {
        snprintf (error, error_size, "%s", self->error);
        mdb_txn_abort (txn);
        goto failed;
    }
    self->version = version? (uint32_t) version: self->fresh? 0: STORE_VERSION_UNSTAMPED;
    if ((rc = mdb_txn_commit (txn)))
        goto lmdb_failed;
    return self;

lmdb_failed:
    snprintf (error, error_size, "store %s: %s", dir, mdb_strerror (rc));
failed:
    store_destroy (&self);
    return NULL;
}

void
store_destroy (store_t **self_p)
{
    assert (self_p);
    store_t *self = *self_p;
    if (!self)
        return;
    if (self->env)
        mdb_env_close (self->env);
    //  Closing the descriptor releases the lock; the env is closed first so
    //  the next holder never sees it half open.
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    for (int i = 0; i < self->table_count; i++)
        free (self->tables [i].name);
    free (self->dir);
    free (self->backup);
    pthread_mutex_destroy (&self->map_lock);
    free (self);
    *self_p = NULL;
}

MDB_dbi
store_table (store_t *self, const char *name)
{
    //  A name at a remembered address is checked again (one strcmp): an
    //  address can be a buffer's that holds another name by now.
    size_t slot = ((uintptr_t) name >> 3) % STORE_NAME_CACHE;
    if (atomic_load_explicit (&self->name_cache [slot].name, memory_order_relaxed) == name) {
        int index = atomic_load_explicit (&self->name_cache [slot].index, memory_order_relaxed);
        if (index < self->table_count && streq (self->tables [index].name, name))
            return self->tables [index].dbi;
    }
    for (int i = 0; i < self->table_count; i++)
        if (streq (self->tables [i].name, name)) {
            atomic_store_explicit (&self->name_cache [slot].index, i, memory_order_relaxed);
            atomic_store_explicit (&self->name_cache [slot].name, name, memory_order_relaxed);
            return self->tables [i].dbi;
        }
    //  A table not declared at store_new is a programming error.
    fprintf (stderr, "store: unknown table '%s'\n", name);
    assert (false);
    return 0;
}

const char *
store_dir (store_t *self)
{
    return self->dir;
}

size_t
store_map_size (store_t *self)
{
    return self->map_size;
}

//  mdb_env_set_mapsize under map_lock: no shared reader is in the map.
static int
s_set_mapsize (store_t *self, size_t size)
{
    pthread_mutex_lock (&self->map_lock);
    int rc = mdb_env_set_mapsize (self->env, size);
    pthread_mutex_unlock (&self->map_lock);
    return rc;
}

int
store_set_map_size (store_t *self, size_t size)
{
    int rc = s_set_mapsize (self, size);
    if (rc == 0) {
        MDB_envinfo info;
        mdb_env_info (self->env, &info);
        self->map_size = info.me_mapsize;
    }
    return rc? -1: 0;
}

const char *
store_error (store_t *self)
{
    return self->error;
}

int
store_fail (store_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    return -1;
}

uint32_t
store_version (store_t *self)
{
    return self->version;
}

const char *
store_backup (store_t *self)
{
    return self->backup;
}

uint64_t
store_clock_high (store_t *self)
{
    return self->clock_high;
}

//  Nothing of its own: store_write moves the mark.
static int
s_nothing (store_t *self, MDB_txn *txn, void *arg)
{
    return 0;
}

int
store_mark_clock (store_t *self)
{
    return store_write (self, s_nothing, NULL);
}

typedef struct {
    uint32_t from, to;
    const store_migration_t *migrations;
} s_migrate_t;

static int
s_stamp (store_t *self, MDB_txn *txn, void *arg)
{
    return store_put_u64 (self, txn, STORE_OWN_TABLE, "version", *(uint32_t *) arg);
}

//  Every step from..to in one transaction: a failed step leaves the store
//  as it was, at its old version.
static int
s_migrate (store_t *self, MDB_txn *txn, void *arg)
{
    s_migrate_t *plan = (s_migrate_t *) arg;
    for (uint32_t at = plan->from; at < plan->to; at++) {
        const store_migration_t *step = plan->migrations;
        while (step && step->fn && step->from != at)
            step++;
        assert (step && step->fn && step->to == at + 1);
        int rc = step->fn (self, txn);
        if (rc) {
            if (rc != -1 || !*self->error)
                store_fail (self, "store %s: migration from version %u to %u (%s) failed: %s",
                            self->dir, step->from, step->to, step->what,
                            rc == -1? "aborted": mdb_strerror (rc));
            return -1;
        }
    }
    return s_stamp (self, txn, &plan->to);
}

//  A compacted copy of the env beside it, before a migration touches it.
static int
s_backup (store_t *self, uint32_t from, char *error, size_t error_size)
{
    time_t now = time (NULL);
    struct tm utc;
    gmtime_r (&now, &utc);
    char stamp [32], path [PATH_MAX];
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    snprintf (path, sizeof path, "%s.backup-v%u-%s", self->dir, from, stamp);
    if (mkdir (path, 0700)) {
        snprintf (error, error_size, "store %s: cannot make backup directory %s: %s",
                  self->dir, path, strerror (errno));
        return -1;
    }
    int rc = mdb_env_copy2 (self->env, path, MDB_CP_COMPACT);
    if (rc) {
        snprintf (error, error_size, "store %s: cannot copy to %s: %s", self->dir, path, mdb_strerror (rc));
        return -1;
    }
    free (self->backup);
    self->backup = strdup (path);
    return 0;
}

int
store_check_version (store_t *self, uint32_t version, const store_migration_t *migrations,
                     bool migrate, uint32_t *found, char *error, size_t error_size)
{
    assert (version >= 1);
    *found = self->version? self->version: version;
    if (self->version == 0) {
        //  A new store: it has the code's layout by construction.
        if (store_write (self, s_stamp, &version)) {
            snprintf (error, error_size, "%s", self->error);
            return -1;
        }
        self->version = version;
        return 0;
    }
    if (self->version == version)
        return 0;
    if (self->version > version) {
        snprintf (error, error_size, "store %s is at schema version %u, newer than this program's %u: "
                  "run the release that wrote it (or restore a copy made for this one)",
                  self->dir, self->version, version);
        return -1;
    }
    //  Older: every step must be there before anything is touched.
    for (uint32_t at = self->version; at < version; at++) {
        const store_migration_t *step = migrations;
        while (step && step->fn && step->from != at)
            step++;
        if (!step || !step->fn || step->to != at + 1) {
            snprintf (error, error_size, "store %s is at schema version %u and this program needs %u, "
                      "but it has no migration from %u to %u", self->dir, self->version, version, at, at + 1);
            return -1;
        }
    }
    if (!migrate) {
        snprintf (error, error_size, "store %s is at schema version %u, older than this program's %u: "
                  "run `scripts/run migrate` (or start the process once with --migrate) to upgrade it, "
                  "after a copy", self->dir, self->version, version);
        return -1;
    }
    if (s_backup (self, self->version, error, error_size))
        return -1;
    s_migrate_t plan = { self->version, version, migrations };
    if (store_write (self, s_migrate, &plan)) {
        snprintf (error, error_size, "%s (the store is unchanged; a copy is in %s)", self->error, self->backup);
        return -1;
    }
    self->version = version;
    return 0;
}

int
store_write (store_t *self, store_write_fn *fn, void *arg)
{
    //  The hook rides along unless it failed otherwise than for room: its
    //  transaction may then be spoilt, so the caller's write runs again
    //  without it (the hook's work waits for a later write).
    bool hook = self->hook != NULL;
    for (int attempt = 0; attempt < STORE_MAX_RETRIES; attempt++) {
        self->error [0] = 0;
        MDB_txn *txn;
        int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
        if (rc) {
            snprintf (self->error, sizeof self->error, "store %s: begin: %s", self->dir, mdb_strerror (rc));
            return -1;
        }
        rc = fn (self, txn, arg);
        bool hooked = false;
        if (rc == 0 && hook) {
            int hook_rc = self->hook (self, txn, self->hook_arg);
            if (hook_rc && hook_rc != MDB_MAP_FULL) {
                mdb_txn_abort (txn);
                hook = false;
                continue;
            }
            rc = hook_rc;
            hooked = rc == 0;
        }
        //  Whatever this transaction dates, it dates by the clock now, so
        //  the mark moves (at most once a step) past the clock.
        uint64_t high = self->clock_high, now = clock_now_ms ();
        if (rc == 0 && now >= high) {
            high = now + STORE_CLOCK_STEP_MS;
            rc = store_put_u64 (self, txn, STORE_OWN_TABLE, "clock_high_ms", high);
        }
        if (rc == 0)
            rc = mdb_txn_commit (txn);
        else
            mdb_txn_abort (txn);
        if (rc == 0) {
            self->clock_high = high;
            self->commits++;
            if (hooked && self->hook_committed)
                self->hook_committed (self, self->hook_arg);
            return 0;
        }
        if (rc != MDB_MAP_FULL) {
            if (rc != -1 || !*self->error)
                snprintf (self->error, sizeof self->error, "store %s: %s", self->dir,
                          rc == -1? "write aborted": mdb_strerror (rc));
            return -1;
        }
        //  The transaction is gone; grow the map and run it again.
        size_t bigger = self->map_size * 2;
        if ((rc = s_set_mapsize (self, bigger))) {
            snprintf (self->error, sizeof self->error, "store %s: grow map to %zu: %s",
                      self->dir, bigger, mdb_strerror (rc));
            return -1;
        }
        self->map_size = bigger;
    }
    snprintf (self->error, sizeof self->error, "store %s: map still full after growing", self->dir);
    return -1;
}

void
store_on_write (store_t *self, store_write_fn *fn, store_committed_fn *committed, void *arg)
{
    assert (!fn || !self->hook);
    self->hook = fn;
    self->hook_committed = fn? committed: NULL;
    self->hook_arg = fn? arg: NULL;
}

uint64_t
store_commits (store_t *self)
{
    return self->commits;
}

MDB_txn *
store_read_begin (store_t *self)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn);
    if (rc) {
        snprintf (self->error, sizeof self->error, "store %s: read: %s", self->dir, mdb_strerror (rc));
        return NULL;
    }
    return txn;
}

void
store_read_end (MDB_txn **txn_p)
{
    if (*txn_p)
        mdb_txn_abort (*txn_p);
    *txn_p = NULL;
}

MDB_txn *
store_read_begin_shared (store_t *self)
{
    pthread_mutex_lock (&self->map_lock);
    MDB_txn *txn = store_read_begin (self);
    if (!txn)
        pthread_mutex_unlock (&self->map_lock);
    return txn;
}

void
store_read_end_shared (store_t *self, MDB_txn **txn_p)
{
    if (!*txn_p)
        return;
    store_read_end (txn_p);
    pthread_mutex_unlock (&self->map_lock);
}

char *
store_key_pair (const char *first, const char *second, size_t *size)
{
    size_t first_size = strlen (first) + 1, second_size = strlen (second);
    char *key = (char *) malloc (first_size + second_size + 1);
    assert (key);
    memcpy (key, first, first_size);
    memcpy (key + first_size, second, second_size + 1);
    *size = first_size + second_size;
    return key;
}

int
store_put (store_t *self, MDB_txn *txn, const char *table,
           const void *key, size_t key_size, const void *value, size_t value_size)
{
    MDB_val k = { key_size, (void *) key };
    MDB_val v = { value_size, (void *) value };
    return mdb_put (txn, store_table (self, table), &k, &v, 0);
}

int
store_put_message (store_t *self, MDB_txn *txn, const char *table, const char *key,
                   const void *message)
{
    size_t size;
    uint8_t *packed = codec_pack (message, &size);
    int rc = store_put (self, txn, table, key, strlen (key), packed, size);
    free (packed);
    return rc;
}

int
store_put_packed (store_t *self, MDB_txn *txn, const char *table, const void *key, size_t key_size,
                  const void *message)
{
    const ProtobufCMessage *msg = (const ProtobufCMessage *) message;
    MDB_val k = { key_size, (void *) key };
    MDB_val v = { protobuf_c_message_get_packed_size (msg), NULL };
    int rc = mdb_put (txn, store_table (self, table), &k, &v, MDB_RESERVE);
    //  The reserved bytes are ours until the next write of the transaction.
    if (rc == 0 && protobuf_c_message_pack (msg, (uint8_t *) v.mv_data) != v.mv_size)
        rc = store_fail (self, "store %s: table %s: the message packed to another size than it measured",
                         self->dir, table);
    return rc;
}

int
store_append (store_t *self, MDB_txn *txn, const char *table,
              const void *key, size_t key_size, const void *value, size_t value_size)
{
    MDB_val k = { key_size, (void *) key };
    MDB_val v = { value_size, (void *) value };
    int rc = mdb_put (txn, store_table (self, table), &k, &v, MDB_APPEND);
    //  Not the last key after all: LMDB changed nothing, so put it normally.
    return rc == MDB_KEYEXIST? mdb_put (txn, store_table (self, table), &k, &v, 0): rc;
}

int
store_get (store_t *self, MDB_txn *txn, const char *table,
           const void *key, size_t key_size, MDB_val *value)
{
    MDB_val k = { key_size, (void *) key };
    return mdb_get (txn, store_table (self, table), &k, value);
}

int
store_del (store_t *self, MDB_txn *txn, const char *table, const void *key, size_t key_size)
{
    MDB_val k = { key_size, (void *) key };
    return mdb_del (txn, store_table (self, table), &k, NULL);
}

uint64_t
store_count (store_t *self, MDB_txn *txn, const char *table)
{
    MDB_stat stat;
    if (mdb_stat (txn, store_table (self, table), &stat))
        return 0;
    return stat.ms_entries;
}

void
store_u64_write (uint8_t *buf, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        buf [i] = (uint8_t) (value & 0xff);
        value >>= 8;
    }
}

uint64_t
store_u64_read (const void *buf)
{
    const uint8_t *bytes = (const uint8_t *) buf;
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | bytes [i];
    return value;
}

int
store_get_u64 (store_t *self, MDB_txn *txn, const char *table, const char *key, uint64_t *value)
{
    *value = 0;
    MDB_val found;
    int rc = store_get (self, txn, table, key, strlen (key), &found);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_fail (self, "store %s: cannot read %s/%s: %s",
                           self->dir, table, key, mdb_strerror (rc));
    if (found.mv_size != 8)
        return store_fail (self, "store %s: %s/%s holds %zu bytes, not an 8-byte number",
                           self->dir, table, key, found.mv_size);
    *value = store_u64_read (found.mv_data);
    return 0;
}

int
store_put_u64 (store_t *self, MDB_txn *txn, const char *table, const char *key, uint64_t value)
{
    uint8_t buf [8];
    store_u64_write (buf, value);
    return store_put (self, txn, table, key, strlen (key), buf, 8);
}

int
store_next_counter (store_t *self, MDB_txn *txn, const char *table, const char *key,
                    uint64_t max, uint64_t *value)
{
    return store_next_counter_after (self, txn, table, key, 0, max, value);
}

int
store_next_counter_after (store_t *self, MDB_txn *txn, const char *table, const char *key,
                          uint64_t floor, uint64_t max, uint64_t *value)
{
    uint64_t current;
    int rc = store_get_u64 (self, txn, table, key, &current);
    if (rc)
        return rc;
    if (current < floor)
        current = floor;
    *value = current >= max? 1: current + 1;
    return store_put_u64 (self, txn, table, key, *value);
}


//  ---------------------------------------------------------------------
//  Iterating

struct _store_iter_t {
    MDB_cursor *cursor;
    uint8_t *prefix;                //  a copy: callers build it on their stack
    size_t prefix_size;
    uint8_t *from;                  //  where the walk starts (prefix + from)
    size_t from_size;
    bool started;
    bool ended;                     //  past the prefix, or an error
    MDB_val key;                    //  the current row's key
    int error;
};

store_iter_t *
store_iter_new (store_t *store, MDB_txn *txn, const char *table, const void *prefix, size_t prefix_size)
{
    assert (store && txn && table);
    store_iter_t *self = (store_iter_t *) zmalloc (sizeof (store_iter_t));
    self->error = mdb_cursor_open (txn, store_table (store, table), &self->cursor);
    if (self->error)
        self->cursor = NULL;
    self->prefix_size = prefix_size;
    self->prefix = (uint8_t *) zmalloc (prefix_size + 1);
    if (prefix_size)
        memcpy (self->prefix, prefix, prefix_size);
    store_iter_seek (self, NULL, 0);
    return self;
}

void
store_iter_destroy (store_iter_t **self_p)
{
    assert (self_p);
    store_iter_t *self = *self_p;
    if (self) {
        if (self->cursor)
            mdb_cursor_close (self->cursor);
        free (self->prefix);
        free (self->from);
        free (self);
        *self_p = NULL;
    }
}

void
store_iter_seek (store_iter_t *self, const void *from, size_t from_size)
{
    assert (self);
    free (self->from);
    self->from_size = self->prefix_size + from_size;
    self->from = (uint8_t *) zmalloc (self->from_size + 1);
    memcpy (self->from, self->prefix, self->prefix_size);
    if (from_size)
        memcpy (self->from + self->prefix_size, from, from_size);
    self->started = false;
    self->ended = self->cursor == NULL;     //  a cursor that never opened
    if (self->cursor)
        self->error = 0;
}

bool
store_iter_next (store_iter_t *self, MDB_val *key, MDB_val *value)
{
    assert (self && key && value);
    if (self->ended)
        return false;
    int rc;
    if (self->started)
        rc = mdb_cursor_get (self->cursor, key, value, MDB_NEXT);
    else {
        //  LMDB takes no empty key: from the table's start is MDB_FIRST.
        *key = (MDB_val) { self->from_size, self->from };
        rc = mdb_cursor_get (self->cursor, key, value, self->from_size? MDB_SET_RANGE: MDB_FIRST);
        self->started = true;
    }
    if (rc == 0 && (key->mv_size < self->prefix_size
                ||  memcmp (key->mv_data, self->prefix, self->prefix_size)))
        rc = MDB_NOTFOUND;          //  past the prefix
    if (rc) {
        self->error = rc == MDB_NOTFOUND? 0: rc;
        self->ended = true;
        return false;
    }
    self->key = *key;
    return true;
}

MDB_val
store_iter_suffix (store_iter_t *self)
{
    assert (self);
    return (MDB_val) { self->key.mv_size - self->prefix_size,
                       (uint8_t *) self->key.mv_data + self->prefix_size };
}

int
store_iter_error (store_iter_t *self)
{
    assert (self);
    return self->error;
}


//  ---------------------------------------------------------------------
//  Paging

int
store_page_limit (uint64_t requested, size_t fallback, size_t max, size_t *limit,
                  char *error, size_t error_size)
{
    assert (limit && fallback && fallback <= max);
    if (requested > max) {
        snprintf (error, error_size, "limit %" PRIu64 " is more than the maximum %zu", requested, max);
        return -1;
    }
    *limit = requested? (size_t) requested: fallback;
    return 0;
}

int
store_page_read (store_t *store, MDB_txn *txn, const store_page_query_t *query,
                 store_page_row_fn *fn, store_page_free_fn *free_row, void *arg, store_page_t *page)
{
    return store_page_read_keys (store, txn, query, NULL, fn, free_row, arg, page);
}

int
store_page_read_keys (store_t *store, MDB_txn *txn, const store_page_query_t *query,
                      const store_page_keys_t *keys, store_page_row_fn *fn,
                      store_page_free_fn *free_row, void *arg, store_page_t *page)
{
    assert (query && query->table && query->limit && fn && free_row && page);
    assert (!keys || (keys->id_of && keys->key_of && !(query->key && *query->key)));
    memset (page, 0, sizeof *page);
    page->free_row = free_row;
    page->rows = (void **) calloc (query->limit + 1, sizeof (void *));
    page->ids = (char **) calloc (query->limit + 1, sizeof (char *));
    assert (page->rows && page->ids);
    bool by_index = query->key && *query->key;
    assert (!by_index || query->index);
    const char *after = query->after? query->after: "";
    size_t after_size = strlen (after);
    uint8_t after_key [512];
    if (after_size && keys) {
        if (keys->key_of (after, after_key, sizeof after_key, &after_size)) {
            page->next_after = strdup ("");
            return store_fail (store, "store %s: '%s' is not an id of table %s", store_dir (store), after,
                               query->table);
        }
        after = (const char *) after_key;
    }
    store_iter_t *iter = by_index
        ? store_iter_new (store, txn, query->index, query->key, strlen (query->key) + 1)    //  with its 0
        : store_iter_new (store, txn, query->table, NULL, 0);
    store_iter_seek (iter, after, after_size);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        MDB_val suffix = store_iter_suffix (iter);
        //  The walk starts at `after` itself when it is still there: it
        //  ended the previous page.
        if (after_size && suffix.mv_size == after_size && !memcmp (suffix.mv_data, after, after_size))
            continue;
        char *id = keys? keys->id_of (&suffix): strndup ((const char *) suffix.mv_data, suffix.mv_size);
        assert (id);
        void *row = fn (arg, id, &value);
        if (!row) {
            free (id);
            continue;
        }
        if (page->count == query->limit) {
            //  One kept row beyond the page: there is a next page.
            page->next_after = strdup (page->ids [page->count - 1]);
            free_row (row);
            free (id);
            break;
        }
        page->rows [page->count] = row;
        page->ids [page->count++] = id;
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    if (!page->next_after)
        page->next_after = strdup ("");
    return rc;
}

void
store_page_clear (store_page_t *page)
{
    assert (page);
    for (size_t i = 0; i < page->count; i++) {
        page->free_row (page->rows [i]);
        free (page->ids [i]);
    }
    free (page->rows);
    free (page->ids);
    free (page->next_after);
    memset (page, 0, sizeof *page);
}
