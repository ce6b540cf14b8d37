/*  pageprobe: which pages each LMDB write commit of a process writes, and
    which table (named DB) each belongs to. An LD_PRELOAD library, for a
    service whose env uses a writable map (MDB_WRITEMAP: claims, ADR 45),
    where a commit's cost is the msync of the pages the transaction dirtied.

    How: write protection. When a top-level write transaction has begun,
    the probe makes the env's whole map read-only (mprotect); the first
    write to each page faults, and the probe's SIGSEGV handler records the
    page and makes it writable again. (The kernel's soft-dirty bits would
    do the same without faults, but this VM's kernel has none.) So after
    mdb_txn_commit returns, the pages recorded are exactly those the
    transaction wrote into the map (one env, written by one thread at a
    time), which the commit's msync writes to disk. Then it walks the
    committed trees from the newest meta page, from the free-list and main
    roots and from every named DB's root found in the main tree's leaves,
    descending only into dirty pages: a transaction copies every page it
    changes to a new page and so rewrites each of its parents up to the
    root, so a clean page has no dirty page below it. Each dirty page is
    counted against the table whose tree holds it (overflow pages against
    the table whose leaf points to them); "meta" for pages 0 and 1;
    "unreached" for dirty pages no tree holds (pages freed again in the
    same transaction).

    LMDB's page format (lmdb.h's public file format, 0.9): a 16-byte
    header (pgno u64, pad u16, flags u16, lower/upper u16 or overflow page
    count u32), then u16 offsets of the nodes; a node is lo,hi,flags,ksize
    (u16 each) then key then value; a branch node's child page is
    lo | hi << 16 | flags << 32; a leaf's value size is lo | hi << 16.

    Output: one line per write commit to $PAGEPROBE_OUT (appended):
        t_ms commit_ms dirty runs [lost=1] table=pages ...
    "runs" is the number of contiguous stretches the dirty pages make;
    lost=1 when the kernel refused a page's mapping (vm.max_map_count),
    the count then short. The commit_ms of these lines is not the
    commit's cost: each page made writable again is a mapping of its own,
    and msync syncs the file once a mapping. With PAGEPROBE_TIMES set the
    probe protects nothing and writes each commit's own time, with the
    entries of tables acks and remits after it:
        t_ms commit_ms acks_entries=N remits_entries=N sync_ms=M
    (sync_ms: the commit's msync and fdatasync calls, timed)
    (bench/pageprobe-summary.sh reads both; bench/pageprobe-e2e.sh runs
    bench/e2e with the probe on rcmq-claims.)

    Built as build/bench/pageprobe.so (bench/CMakeLists.txt); a tool,
    not part of the product. Test: tests/integration/pageprobe.sh.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04
#define PAGEHDRSZ 16
#define MAX_LABELS 64

typedef int (begin_fn) (MDB_env *, MDB_txn *, unsigned, MDB_txn **);
typedef int (commit_fn) (MDB_txn *);
typedef void (abort_fn) (MDB_txn *);

static begin_fn *s_begin;
static commit_fn *s_commit;
static abort_fn *s_abort;
static MDB_txn *s_write_txn;        //  the top-level write transaction running
static FILE *s_out;

static char *s_labels [MAX_LABELS];
static long s_counts [MAX_LABELS];
static int s_label_count;

//  Pages written since the map was protected (the handler's; a fault
//  outside the map is a real one: the default action, re-raised).
static uint8_t *volatile s_prot_base;
static size_t s_prot_size;
static uint8_t *s_marked;           //  one byte a 4 KB page of the map
static uint32_t *s_written;
static volatile size_t s_written_count;
#define WRITTEN_MAX (4u << 20)

static double s_sync_ms;            //  msync + fdatasync time inside a commit
static int s_in_commit;
static volatile int s_lost;         //  the count is incomplete (see s_fault)
static int s_times_only;            //  PAGEPROBE_TIMES: commit times alone

static uint8_t *s_dirty;            //  1 dirty, 2 dirty and attributed
static uint16_t *s_owner;           //  label of an attributed page
static size_t s_pages;
static uint8_t *s_map;
static size_t s_psize;

static int
s_label (const char *name, size_t size)
{
    for (int i = 0; i < s_label_count; i++)
        if (strlen (s_labels [i]) == size && memcmp (s_labels [i], name, size) == 0)
            return i;
    if (s_label_count == MAX_LABELS)
        return MAX_LABELS - 1;
    s_labels [s_label_count] = strndup (name, size);
    return s_label_count++;
}

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint16_t
s_u16 (const uint8_t *at)
{
    uint16_t value;
    memcpy (&value, at, 2);
    return value;
}

static uint64_t
s_u64 (const uint8_t *at)
{
    uint64_t value;
    memcpy (&value, at, 8);
    return value;
}

static void
s_claim (uint64_t pgno, int label)
{
    if (pgno < s_pages && s_dirty [pgno] == 1) {
        s_dirty [pgno] = 2;
        s_owner [pgno] = (uint16_t) label;
    }
}

static void s_walk (uint64_t pgno, int label, int is_main);

//  A leaf node's value: an overflow run, a named DB (main tree), or a
//  DUPSORT sub-tree.
static void
s_leaf_node (const uint8_t *node, int label, int is_main)
{
    unsigned flags = s_u16 (node + 4);
    unsigned ksize = s_u16 (node + 6);
    const uint8_t *key = node + 8;
    const uint8_t *data = key + ksize;
    if (flags & F_BIGDATA) {
        uint64_t first = s_u64 (data);
        if (first >= s_pages || s_dirty [first] != 1)
            return;
        const uint8_t *page = s_map + first * s_psize;
        uint32_t count;
        memcpy (&count, page + 12, 4);
        for (uint64_t i = 0; i < count; i++)
            s_claim (first + i, label);
    }
    else
    if (flags & F_SUBDATA) {
        //  MDB_db: pad u32, flags u16, depth u16, 3 page counts, entries, root
        uint64_t root = s_u64 (data + 40);
        if (is_main)
            s_walk (root, s_label ((const char *) key, ksize && key [ksize - 1] == 0? ksize - 1: ksize), 0);
        else
            s_walk (root, label, 0);
    }
}

static void
s_walk (uint64_t pgno, int label, int is_main)
{
    if (pgno >= s_pages || s_dirty [pgno] != 1)
        return;
    s_claim (pgno, label);
    const uint8_t *page = s_map + pgno * s_psize;
    unsigned flags = s_u16 (page + 10);
    unsigned lower = s_u16 (page + 12);
    unsigned keys = lower > PAGEHDRSZ? (lower - PAGEHDRSZ) >> 1: 0;
    for (unsigned i = 0; i < keys; i++) {
        const uint8_t *node = page + s_u16 (page + PAGEHDRSZ + 2 * i);
        if (flags & P_BRANCH) {
            uint64_t child = (uint64_t) s_u16 (node) | (uint64_t) s_u16 (node + 2) << 16
                           | (uint64_t) s_u16 (node + 4) << 32;
            s_walk (child, label, is_main);
        }
        else
        if (flags & P_LEAF)
            s_leaf_node (node, label, is_main);
    }
}

//  Where the env's data.mdb is mapped in this process (mdb_env_info's
//  address is the meta's, NULL without MDB_FIXEDMAP): /proc/self/maps.
static uint8_t *
s_map_address (MDB_env *env)
{
    const char *dir;
    char wanted [4096], line [8192];
    if (mdb_env_get_path (env, &dir))
        return NULL;
    snprintf (wanted, sizeof wanted, "%s/data.mdb", dir);
    FILE *maps = fopen ("/proc/self/maps", "r");
    uint8_t *address = NULL;
    while (maps && !address && fgets (line, sizeof line, maps)) {
        line [strcspn (line, "\n")] = 0;
        size_t length = strlen (line), size = strlen (wanted);
        if (length >= size && strcmp (line + length - size, wanted) == 0)
            address = (uint8_t *) (uintptr_t) strtoull (line, NULL, 16);
    }
    if (maps)
        fclose (maps);
    return address;
}

static void
s_measure (MDB_env *env, double commit_ms)
{
    MDB_envinfo info;
    MDB_stat stat;
    mdb_env_info (env, &info);
    mdb_env_stat (env, &stat);
    s_map = s_map_address (env);
    if (!s_map)
        return;
    s_psize = stat.ms_psize;
    s_pages = info.me_last_pgno + 1;
    s_dirty = realloc (s_dirty, s_pages);
    s_owner = realloc (s_owner, s_pages * sizeof (uint16_t));
    memset (s_dirty, 0, s_pages);

    size_t per_os_page = s_psize / 4096;
    for (size_t i = 0; i < s_written_count; i++) {
        size_t pgno = s_written [i] / per_os_page;
        if (pgno < s_pages)
            s_dirty [pgno] = 1;
        s_marked [s_written [i]] = 0;
    }
    s_written_count = 0;

    memset (s_counts, 0, sizeof s_counts);
    int meta = s_label ("meta", 4), unreached = s_label ("unreached", 9);
    int free_label = s_label ("freelist", 8), main_label = s_label ("main", 4);
    s_claim (0, meta);
    s_claim (1, meta);
    //  The newest meta: MDB_meta after the page header: magic, version,
    //  address, mapsize, then two MDB_db (48 bytes each), last_pg, txnid.
    const uint8_t *m0 = s_map + PAGEHDRSZ, *m1 = s_map + s_psize + PAGEHDRSZ;
    const uint8_t *newest = s_u64 (m0 + 128) > s_u64 (m1 + 128)? m0: m1;
    s_walk (s_u64 (newest + 24 + 40), free_label, 0);
    s_walk (s_u64 (newest + 24 + 48 + 40), main_label, 1);

    long dirty = 0, runs = 0;
    for (size_t p = 0; p < s_pages; p++)
        if (s_dirty [p]) {
            dirty++;
            if (p == 0 || !s_dirty [p - 1])
                runs++;
            s_counts [s_dirty [p] == 2? s_owner [p]: unreached]++;
        }
    fprintf (s_out, "%.0f %.1f %ld %ld%s", s_now_ms (), commit_ms, dirty, runs, s_lost? " lost=1": "");
    s_lost = 0;
    for (int i = 0; i < s_label_count; i++)
        if (s_counts [i])
            fprintf (s_out, " %s=%ld", s_labels [i], s_counts [i]);
    fprintf (s_out, "\n");
    fflush (s_out);
}

static void
s_fault (int sig, siginfo_t *info, void *context)
{
    (void) context;
    uint8_t *at = (uint8_t *) info->si_addr, *base = s_prot_base;
    if (base && at >= base && at < base + s_prot_size) {
        size_t page = (size_t) (at - base) / 4096;
        if (!s_marked [page] && s_written_count < WRITTEN_MAX) {
            s_marked [page] = 1;
            s_written [s_written_count++] = (uint32_t) page;
        }
        //  Each page made writable is a mapping of its own: past the
        //  kernel's count of mappings (vm.max_map_count) this fails, and
        //  the whole map is made writable again, the count marked lost.
        if (mprotect (base + page * 4096, 4096, PROT_READ | PROT_WRITE)) {
            mprotect (base, s_prot_size, PROT_READ | PROT_WRITE);
            s_prot_base = NULL;
            s_lost = 1;
        }
        return;
    }
    signal (sig, SIG_DFL);
}

//  The env's map read-only, so each page's first write is seen.
static void
s_protect (MDB_env *env)
{
    unsigned flags;
    MDB_envinfo info;
    if (mdb_env_get_flags (env, &flags) || !(flags & MDB_WRITEMAP) || mdb_env_info (env, &info))
        return;
    uint8_t *base = s_map_address (env);
    if (!base)
        return;
    if (!s_written) {
        s_written = malloc (WRITTEN_MAX * sizeof (uint32_t));
        struct sigaction action;
        memset (&action, 0, sizeof action);
        action.sa_sigaction = s_fault;
        action.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigaction (SIGSEGV, &action, NULL);
    }
    if (info.me_mapsize / 4096 > s_prot_size / 4096 || !s_marked) {
        free (s_marked);
        s_marked = calloc (info.me_mapsize / 4096, 1);
    }
    s_prot_size = info.me_mapsize;
    s_prot_base = base;
    mprotect (base, s_prot_size, PROT_READ);
}

//  PAGEPROBE_TIMES: the commit's time and the entries of tables "acks"
//  and "remits" (a 277CA or 835 file's commit is the one that adds to
//  them): no protection, so no fault and no mapping split, and the time
//  is the commit's own (with the pages protected, each page made
//  writable again is a mapping of its own, and msync syncs the file once
//  a mapping: the probe's times are not the commit's).
static void
s_times (MDB_env *env, double commit_ms)
{
    MDB_txn *txn;
    size_t entries [2] = { 0, 0 };
    const char *names [2] = { "acks", "remits" };
    if (s_begin (env, NULL, MDB_RDONLY, &txn) == 0) {
        for (int i = 0; i < 2; i++) {
            MDB_dbi dbi;
            MDB_stat stat;
            if (mdb_dbi_open (txn, names [i], 0, &dbi) == 0 && mdb_stat (txn, dbi, &stat) == 0)
                entries [i] = stat.ms_entries;
        }
        mdb_txn_abort (txn);
    }
    fprintf (s_out, "%.0f %.1f acks_entries=%zu remits_entries=%zu sync_ms=%.1f\n", s_now_ms (), commit_ms,
             entries [0], entries [1], s_sync_ms);
    fflush (s_out);
}

//  Writable again before anything else runs (a resize remaps anyway).
static void
s_unprotect (void)
{
    if (s_prot_base)
        mprotect (s_prot_base, s_prot_size, PROT_READ | PROT_WRITE);
    s_prot_base = NULL;
}

void
mdb_txn_abort (MDB_txn *txn)
{
    if (!s_abort)
        s_abort = (abort_fn *) dlsym (RTLD_NEXT, "mdb_txn_abort");
    s_abort (txn);
    if (txn && txn == s_write_txn) {
        s_write_txn = NULL;
        s_unprotect ();
        for (size_t i = 0; i < s_written_count; i++)
            s_marked [s_written [i]] = 0;
        s_written_count = 0;
    }
}

//  The commit's syncs timed (LMDB calls them through the PLT): of a
//  commit's time, what the kernel's writes took.
typedef int (msync_fn) (void *, size_t, int);
typedef int (fdatasync_fn) (int);

int
msync (void *address, size_t size, int flags)
{
    static msync_fn *real;
    if (!real)
        real = (msync_fn *) dlsym (RTLD_NEXT, "msync");
    double start = s_now_ms ();
    int rc = real (address, size, flags);
    if (s_in_commit)
        s_sync_ms += s_now_ms () - start;
    return rc;
}

int
fdatasync (int fd)
{
    static fdatasync_fn *real;
    if (!real)
        real = (fdatasync_fn *) dlsym (RTLD_NEXT, "fdatasync");
    double start = s_now_ms ();
    int rc = real (fd);
    if (s_in_commit)
        s_sync_ms += s_now_ms () - start;
    return rc;
}

int
mdb_txn_begin (MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **txn)
{
    if (!s_begin) {
        s_begin = (begin_fn *) dlsym (RTLD_NEXT, "mdb_txn_begin");
        s_commit = (commit_fn *) dlsym (RTLD_NEXT, "mdb_txn_commit");
        const char *path = getenv ("PAGEPROBE_OUT");
        s_out = fopen (path? path: "/tmp/pageprobe.out", "a");
        s_times_only = getenv ("PAGEPROBE_TIMES") != NULL;
    }
    int is_write = !parent && !(flags & MDB_RDONLY);
    int rc = s_begin (env, parent, flags, txn);
    if (rc == 0 && is_write) {
        s_write_txn = *txn;
        s_written_count = 0;
        if (!s_times_only)
            s_protect (env);
    }
    return rc;
}

int
mdb_txn_commit (MDB_txn *txn)
{
    if (!s_commit)
        s_commit = (commit_fn *) dlsym (RTLD_NEXT, "mdb_txn_commit");
    if (txn != s_write_txn || !txn)
        return s_commit (txn);
    MDB_env *env = mdb_txn_env (txn);
    double start = s_now_ms ();
    s_sync_ms = 0;
    s_in_commit = 1;
    int rc = s_commit (txn);
    s_in_commit = 0;
    double took = s_now_ms () - start;
    s_write_txn = NULL;
    s_unprotect ();
    if (rc == 0 && s_out && s_times_only)
        s_times (env, took);
    else
    if (rc == 0 && s_out)
        s_measure (env, took);
    return rc;
}
