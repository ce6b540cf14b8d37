/*  submit: claims.Submit writes the 837P batches for the clearinghouse.

    Every claim that is ready (frequency 1), corrected (sent as a
    replacement, frequency 7, with the payer's claim number in REF*F8) or
    voided (frequency 8) is written, one interchange per payer, optionally
    only of one queue or payer. A payer with more claims than
    claims/submit-file-claims (5,000: the 837P guide's most claims in one
    transaction set) gets several files, one interchange each: a file's
    claims are opened, written and let go before the next file's, so the
    memory a submit holds is one file's, not every claim's (issue 19, ADR
    39). The files are stored in the same transaction
    that marks the claims submitted, and written to the outbound folder only
    after the commit (and again at start if a crash came between), so a
    file on disk always means claims marked submitted, and the other way
    round.

    A claim goes out once: the outbound register (outbound.h) beside the
    files remembers every claim sent, so a store restored from an older
    copy, whose claims are ready again, does not send them twice: they are
    marked as the register says they were sent, and named in the reply.
    Only a replacement or void whose claim differs from the one sent goes
    out again. File names carry the control number, which continues from
    the register's, and a file is never written over another.

        claims.Submit  SubmitClaimsRequest -> SubmitClaimsReply  claims.submit
*/
#include "submit.h"
#include "ledger.h"
#include "ledger_mark.h"
#include "lifecycle.h"
#include "write837.h"
#include "outbound.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "phi_claim.h"
#include "files.h"
#include "memory.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <sys/mman.h>

//  The field name a stored submission's 837P text is sealed under (with
//  its file name as record id).
#define SUBMISSION_FIELD "submission.content"

//  The statuses that go out, and the frequency code each is sent with.
static const struct {
    const char *status;
    const char *frequency;
    const char *next_status;        //  after the file is written
} s_outgoing [] = {
    { "ready",     "1", "submitted" },
    { "corrected", "7", "submitted" },
    { "voided",    "8", "closed" },
};

//  The most claims in one file unless claims/submit-file-claims says.
#define SUBMIT_FILE_CLAIMS 5000

//  A payer's claims to send: only the PCNs and the outgoing row (status)
//  each was found under, gathered first; each file's claims are read and
//  opened when the file is written.
typedef struct {
    char *payer_id;
    zlistx_t *pcns;                 //  char*: mark ‖ row digit ‖ PCN
} s_payer_t;

//  The first character of a gathered item: whether its claim was marked
//  sent, so it is named as a subject of the call once every file is made.
//  Named at the end, not as each claim is marked: a subject is a copy of
//  its PCN held until the call ends, and made in the middle of each file
//  the copies grew the heap ~86 B a claim through the submit, among the
//  files' freed memory (issue 19, docs/performance.md).
#define S_UNMARKED  '-'
#define S_MARKED    '+'

//  One file being made: the claims read and opened for it.
typedef struct {
    zlistx_t *records;              //  ledger_mark_t* to mark
    zlistx_t *claims;               //  Claim* opened into arena, to write
    codec_arena_t *arena;           //  the file's opened claims, reset after it
    zlistx_t *sent;                 //  SentClaim* for the register
    zlistx_t *items;                //  char* gathered item of each record (not owned)
} s_file_t;

static void
s_payer_free (void **item_p)
{
    s_payer_t *payer = (s_payer_t *) *item_p;
    if (payer) {
        free (payer->payer_id);
        zlistx_destroy (&payer->pcns);
        free (payer);
    }
    *item_p = NULL;
}

static void
s_message_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

static void
s_mark_free (void **item_p)
{
    ledger_mark_destroy ((ledger_mark_t **) item_p);
}

static s_payer_t *
s_payer (zhashx_t *payers, const char *payer_id)
{
    s_payer_t *payer = (s_payer_t *) zhashx_lookup (payers, payer_id);
    if (!payer) {
        payer = (s_payer_t *) zmalloc (sizeof (s_payer_t));
        payer->payer_id = strdup (payer_id);
        payer->pcns = zlistx_new ();
        zlistx_set_destructor (payer->pcns, (zlistx_destructor_fn *) zstr_free);
        zhashx_insert (payers, payer_id, payer);
    }
    return payer;
}

static void
s_skip (SubmitClaimsReply *reply, const char *pcn, const char *why)
{
    reply->skipped = (char **) realloc (reply->skipped, (reply->n_skipped + 1) * sizeof (char *));
    reply->skipped [reply->n_skipped++] = zsys_sprintf ("%s: %s", pcn, why);
}

//  The claim as it goes out, for the register: PCN, frequency, digest.
static SentClaim *
s_sent_claim (claims_t *self, const Claim *claim, const char *pcn, const char *frequency)
{
    SentClaim *sent = (SentClaim *) malloc (sizeof (SentClaim));
    sent_claim__init (sent);
    sent->pcn = strdup (pcn);
    sent->frequency = strdup (frequency);
    //  Packed into a buffer kept from claim to claim: a new malloc of a
    //  claim's size (~1.5 KB) each time made glibc consolidate its fast
    //  bins, the top cost of a submit after the record reads (issue 19).
    static uint8_t *buffer;
    static size_t capacity;
    size_t size = protobuf_c_message_get_packed_size ((const ProtobufCMessage *) claim);
    if (size > capacity) {
        free (buffer);
        capacity = size * 2;
        buffer = (uint8_t *) malloc (capacity);
        assert (buffer);
    }
    protobuf_c_message_pack ((const ProtobufCMessage *) claim, buffer);
    sent->digest.data = (uint8_t *) malloc (PHI_BLIND_INDEX_SIZE);
    sent->digest.len = PHI_BLIND_INDEX_SIZE;
    phi_digest (self->phi_key, buffer, size, sent->digest.data);
    //  The opened claim is PHI in the clear: not left in the kept buffer.
    sodium_memzero (buffer, size);
    return sent;
}

//  The file the register says sent this claim already, or NULL: the same
//  claim with the same frequency, or any claim of the PCN when this one
//  is a first submission (frequency 1).
static const char *
s_already_sent (zhashx_t *sent_since, const SentClaim *sent)
{
    if (!sent_since)
        return NULL;
    char hex [2 * PHI_BLIND_INDEX_SIZE + 1];
    outbound_digest_hex (sent->digest.data, sent->digest.len, hex);
    char *key = zsys_sprintf ("%s\t%s\t%s", sent->pcn, sent->frequency, hex);
    const char *file = (const char *) zhashx_lookup (sent_since, key);
    zstr_free (&key);
    if (!file && streq (sent->frequency, "1"))
        file = (const char *) zhashx_lookup (sent_since, sent->pcn);
    return file;
}

//  Gathers the PCNs of one outgoing status by payer: the claim's dims are
//  read to see its queue and payer (not the whole record: issue 19).
static int
s_gather (claims_t *self, MDB_txn *txn, const SubmitClaimsRequest *request, size_t row,
          zhashx_t *payers, SubmitClaimsReply *reply)
{
    const char *status = s_outgoing [row].status;
    store_iter_t *iter = store_iter_new (self->store, txn, "by_status", status, strlen (status) + 1);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        //  Sized from the key: a fixed buffer cut long PCNs, so their
        //  claims were never found and silently never sent. The item is
        //  made here too, at its size: zsys_sprintf's 256-byte buffer
        //  made the lists of a submit ~320 B a claim, held to its end
        //  (160 MB at 500,000 claims; issue 19).
        MDB_val id = store_iter_suffix (iter);
        char *item = (char *) malloc (id.mv_size + 3);
        assert (item && row < 10);
        item [0] = S_UNMARKED;
        item [1] = (char) ('0' + row);
        memcpy (item + 2, id.mv_data, id.mv_size);
        item [id.mv_size + 2] = 0;
        const char *pcn = item + 2;
        //  Its dims only: a claim without claim data is named when its
        //  file is made (s_take), not silently left out here; one that
        //  cannot be read fails the submit, naming it.
        ClaimRecord *record;
        int rc = ledger_get_dims (self, txn, pcn, &record);
        if (rc && rc != MDB_NOTFOUND) {
            free (item);
            store_iter_destroy (&iter);
            return rc;
        }
        if (!record || !record->dims
        ||  (*request->queue && !streq (record->dims->queue, request->queue))
        ||  (*request->payer_id && !streq (record->dims->payer_id, request->payer_id))) {
            if (!record)
                s_skip (reply, pcn, "in the status index but has no claim record");
            free (item);
        }
        else {
            s_payer_t *payer = s_payer (payers, record->dims->payer_id);
            zlistx_add_end (payer->pcns, item);
        }
        codec_free (record);
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

static int s_mark_sent (claims_t *self, server_call_t *call, ledger_mark_t *mark, char *item,
                        const char *filename, const char *reason, uint64_t now);

//  Reads and opens one gathered claim (mark ‖ row ‖ PCN) for the file being made.
//  A claim that cannot go is named in the reply; one the register says
//  went out already is marked as sent in that file, not written again.
//  Returns 0 or an LMDB error.
static int
s_take (claims_t *self, server_call_t *call, char *item, zhashx_t *sent_since, s_file_t *file,
        SubmitClaimsReply *reply, uint64_t now)
{
    size_t row = (size_t) (item [1] - '0');
    const char *pcn = item + 2;
    //  The record's bytes, its few fields the submit reads decoded: the
    //  mark writes it back from them (ledger_mark; a whole decode, a copy
    //  to open and a pack cost ~150 K instructions a claim: issue 19).
    //  The sealed claim is opened from the bytes it is stored as.
    //  A claim gone or without claim data is named in the reply; one that
    //  cannot be read fails the submit, naming it.
    ledger_mark_t *mark;
    int rc = ledger_mark_read (self, call->txn, pcn, &mark);
    const ClaimRecord *record = mark? ledger_mark_record (mark): NULL;
    size_t sealed_size = 0;
    const uint8_t *sealed = NULL;
    if (rc == 0)
        rc = ledger_sealed_claim (self, call->txn, record, &sealed, &sealed_size);
    if (rc && rc != MDB_NOTFOUND) {
        ledger_mark_destroy (&mark);
        return rc;
    }
    if (!record || !record->dims || !sealed) {
        s_skip (reply, pcn, "its claim record is gone or has no claim data");
        ledger_mark_destroy (&mark);
        return 0;
    }
    //  Into the file's arena: ~180 strings and sub-messages a claim, each
    //  a malloc and a free before (issue 19).
    Claim *claim = phi_claim_open_packed_in (self->phi_key, sealed, sealed_size, file->arena);
    if (!claim) {
        s_skip (reply, pcn, "its sealed PHI does not open with this deployment's key");
        ledger_mark_destroy (&mark);
        return 0;
    }
    //  Set, not codec_set_text: the claim is the arena's (nothing of it is
    //  freed alone), and what it points to lives past its use in the file
    //  (a row of s_outgoing, the record in file->records).
    claim->frequency_code = (char *) s_outgoing [row].frequency;
    if (*record->payer_claim_number)
        claim->payer_claim_number = record->payer_claim_number;
    char error [WRITE837_ERROR_SIZE];
    if (write837_check (claim, record->dims->payer_id, error)) {
        s_skip (reply, pcn, error);
        ledger_mark_destroy (&mark);
        return 0;
    }
    SentClaim *sent = s_sent_claim (self, claim, pcn, s_outgoing [row].frequency);
    const char *sent_in = s_already_sent (sent_since, sent);
    if (sent_in) {
        char *why = zsys_sprintf ("already sent in %s (the outbound register); not sent again", sent_in);
        s_skip (reply, pcn, why);
        zstr_free (&why);
        char *reason = zsys_sprintf ("already sent in %s (the outbound register; the store was older)", sent_in);
        rc = s_mark_sent (self, call, mark, item, sent_in, reason, now);
        zstr_free (&reason);
        codec_free (sent);
        ledger_mark_destroy (&mark);
        return rc;
    }
    zlistx_add_end (file->records, mark);
    zlistx_add_end (file->items, item);
    zlistx_add_end (file->claims, claim);
    zlistx_add_end (file->sent, sent);
    return 0;
}

//  The next control number: after the store's and the register's, so a
//  store restored from an older copy does not use one again. Returns 0 or
//  an LMDB error / -1 (store_error names it).
static int
s_next_control (claims_t *self, MDB_txn *txn, uint64_t *control)
{
    return store_next_counter_after (self->store, txn, "meta", "isa_control",
                                     outbound_last_control (self->outbound), 999999999, control);
}

//  Moves a claim on as sent in filename, for reason: its record, follow-up
//  item, status index and claims.submitted event (ledger_mark); and marks
//  its gathered item to be named as a subject of the call (s_name_subjects).
static int
s_mark_sent (claims_t *self, server_call_t *call, ledger_mark_t *mark, char *item, const char *filename,
             const char *reason, uint64_t now)
{
    const char *status = ledger_mark_record (mark)->status;
    const char *next = "submitted";
    for (size_t row = 0; row < sizeof s_outgoing / sizeof s_outgoing [0]; row++)
        if (streq (s_outgoing [row].status, status))
            next = s_outgoing [row].next_status;
    if (!lifecycle_allows (status, next))
        return 0;                   //  cannot happen: gathered by status
    *item = S_MARKED;
    return ledger_mark_submitted (self, call->txn, mark, next, call->caller->name, reason, filename, now);
}

//  A payer id as a part of a file name: letters, digits, '-' and '_' kept,
//  anything else (a '/' above all) made '_'.
static char *
s_name_part (const char *payer_id)
{
    char *part = strdup (*payer_id? payer_id: "NOPAYER");
    for (char *c = part; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '-' && *c != '_')
            *c = '_';
    return part;
}

//  Writes one file of a payer's claims into the submissions table and
//  marks its claims.
static int
s_write_batch (claims_t *self, server_call_t *call, s_payer_t *payer, s_file_t *file, SubmitClaimsReply *reply)
{
    MDB_txn *txn = call->txn;
    size_t count = zlistx_size (file->claims);
    Claim **claims = (Claim **) calloc (count + 1, sizeof (Claim *));
    size_t i = 0;
    for (Claim *claim = (Claim *) zlistx_first (file->claims); claim; claim = (Claim *) zlistx_next (file->claims))
        claims [i++] = claim;
    uint64_t now = clock_now_ms ();
    uint64_t control;
    int rc = s_next_control (self, txn, &control);
    if (rc) {
        free (claims);
        return rc;
    }
    Provider submitter = PROVIDER__INIT, receiver = PROVIDER__INIT;
    submitter.entity_type = "2";
    submitter.name = (char *) config_get (self->config, "claims/submitter-name", "RCMQ BILLING");
    submitter.id_qualifier = "46";
    submitter.id = (char *) config_get (self->config, "claims/sender-id", "RCMQ");
    receiver.entity_type = "2";
    receiver.name = (char *) config_get (self->config, "claims/receiver-name", "CLEARINGHOUSE");
    receiver.id_qualifier = "46";
    receiver.id = (char *) config_get (self->config, "claims/receiver-id", "CLEARINGHOUSE");
    char reference [64];
    snprintf (reference, sizeof reference, "S%09" PRIu64, control);
    write837_header_t header = {
        .payer_id = payer->payer_id,
        .sender_id = submitter.id,
        .receiver_id = receiver.id,
        .submitter = &submitter,
        .contact_name = (char *) config_get (self->config, "claims/contact-name", "BILLING OFFICE"),
        .contact_phone = (char *) config_get (self->config, "claims/contact-phone", "5555550100"),
        .receiver = &receiver,
        .interchange_control_number = control,
        .group_control_number = control,
        .transaction_control_number = 1,
        .reference = reference,
        .now_ms = now,
        .newline = true,
    };
    size_t size;
    char error [WRITE837_ERROR_SIZE];
    char *text = write837_batch (&header, claims, count, &size, error);
    free (claims);
    if (!text)
        return server_call_fail (call, STATUS__INTERNAL, "claims.Submit: payer %s: %s", payer->payer_id, error);

    char date [16];
    clock_format_date (now, date, sizeof date);
    char *part = s_name_part (payer->payer_id);
    char *filename = zsys_sprintf ("837P-%s-%.4s%.2s%.2s-%09" PRIu64 ".x12", part, date, date + 5, date + 8, control);
    free (part);
    if (outbound_taken (self->outbound, filename)) {
        //  Not ours to replace: refuse the whole submit, nothing marked.
        server_call_fail (call, STATUS__FAILED_PRECONDITION,
                          "claims.Submit: outbound file %s/%s already exists; not overwritten, nothing sent",
                          outbound_dir (self->outbound), filename);
        zstr_free (&filename);
        free (text);
        return 0;
    }
    SentClaim **sent = (SentClaim **) calloc (count + 1, sizeof (SentClaim *));
    i = 0;
    for (SentClaim *claim = (SentClaim *) zlistx_first (file->sent); claim; claim = (SentClaim *) zlistx_next (file->sent))
        sent [i++] = claim;
    Submission submission = SUBMISSION__INIT;
    submission.control = control;
    submission.n_sent = count;
    submission.sent = sent;
    submission.filename = filename;
    submission.payer_id = payer->payer_id;
    submission.claims = (uint32_t) count;
    submission.created_ms = now;
    submission.actor = (char *) call->caller->name;
    //  The stored copy, kept to write the file after the commit (or at the
    //  next start), is sealed: the 837P text is full of PHI.
    size_t sealed_size;
    uint8_t *sealed = phi_seal (self->phi_key, filename, SUBMISSION_FIELD, (const uint8_t *) text, size, &sealed_size);
    submission.content.data = sealed;
    submission.content.len = sealed_size;
    //  Packed straight into the page: a packed copy on the heap was one
    //  more ~3.4 MB buffer (mmap'd, so each page faulted in) a file.
    rc = store_put_packed (self->store, txn, "submissions", filename, strlen (filename), &submission);
    free (sealed);
    free (text);
    free (sent);

    //  One reason for the file's claims: "sent in <file>".
    char *reason = (char *) malloc (strlen (filename) + 9);
    assert (reason);
    memcpy (reason, "sent in ", 8);
    strcpy (reason + 8, filename);
    char *item = (char *) zlistx_first (file->items);
    for (ledger_mark_t *mark = (ledger_mark_t *) zlistx_first (file->records); mark && rc == 0;
         mark = (ledger_mark_t *) zlistx_next (file->records), item = (char *) zlistx_next (file->items))
        rc = s_mark_sent (self, call, mark, item, filename, reason, now);
    free (reason);
    reply->files = (char **) realloc (reply->files, (reply->n_files + 1) * sizeof (char *));
    reply->files [reply->n_files++] = filename;
    reply->claims += (uint32_t) count;
    reply->interchanges++;
    return rc;
}

//  The memory a file's opened claims are decoded into (~6 KB a claim):
//  address space of its own, mapped once a submit, its pages touched as
//  the claims need them and kept from file to file. Not malloc'd: blocks
//  of that size from malloc, freed, raise glibc's mmap threshold, and the
//  837P buffers after them then came from the heap, which grew (claims'
//  RssAnon +34 MB at 100,000 claims). The opened claims are PHI in the
//  clear: what a file used is zeroed before the next. A file larger than
//  the space (claims/submit-file-claims far above 5,000) goes on in the
//  arena's heap blocks.
#define SUBMIT_ARENA_SPACE (128 * 1024 * 1024)

typedef struct {
    codec_arena_t arena;
    uint8_t *space;                 //  SUBMIT_ARENA_SPACE bytes, or NULL
} s_arena_t;

static void
s_arena_open (s_arena_t *self)
{
    void *space = mmap (NULL, SUBMIT_ARENA_SPACE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
    self->space = space == MAP_FAILED? NULL: (uint8_t *) space;
    codec_arena_init (&self->arena, self->space, self->space? SUBMIT_ARENA_SPACE: 0);
}

//  Zeroes what the last file used of the space and lets it all go.
static void
s_arena_clear (s_arena_t *self)
{
    if (self->space) {
        uint8_t *at = self->arena.at;
        bool inside = at >= self->space && at <= self->space + SUBMIT_ARENA_SPACE;
        sodium_memzero (self->space, inside? (size_t) (at - self->space): SUBMIT_ARENA_SPACE);
    }
    codec_arena_reset (&self->arena);
}

static void
s_arena_close (s_arena_t *self)
{
    s_arena_clear (self);
    codec_arena_release (&self->arena);
    if (self->space)
        munmap (self->space, SUBMIT_ARENA_SPACE);
    self->space = NULL;
}

//  Writes one payer's claims, at most limit to a file: each file's claims
//  are read, opened, written, marked and let go before the next file's.
static int
s_write_payer (claims_t *self, server_call_t *call, s_payer_t *payer, zhashx_t *sent_since, size_t limit,
               s_arena_t *arena, SubmitClaimsReply *reply)
{
    uint64_t now = clock_now_ms ();
    int rc = 0;
    char *item = (char *) zlistx_first (payer->pcns);
    while (item && rc == 0 && call->status == STATUS__OK) {
        s_file_t file = { zlistx_new (), zlistx_new (), &arena->arena, zlistx_new (), zlistx_new () };
        zlistx_set_destructor (file.records, s_mark_free);
        zlistx_set_destructor (file.sent, s_message_free);
        for (; item && rc == 0 && zlistx_size (file.claims) < limit; item = (char *) zlistx_next (payer->pcns))
            rc = s_take (self, call, item, sent_since, &file, reply, now);
        if (rc == 0 && zlistx_size (file.claims))
            rc = s_write_batch (self, call, payer, &file, reply);
        zlistx_destroy (&file.records);
        zlistx_destroy (&file.claims);
        zlistx_destroy (&file.sent);
        zlistx_destroy (&file.items);
        s_arena_clear (arena);
        //  The file's records were thousands of small chunks, now on glibc's
        //  fast bins in the order they were freed: the next file, served
        //  from them, touched memory all over the heap, and each file cost
        //  more than the one before (twice, forty files into a submit).
        //  Settling merges them, so the next file is carved from whole free
        //  blocks again; their pages stay (a malloc_trim here gave them
        //  back, and each file faulted them in again: 104 K faults of
        //  claims' 160 K at 100k claims; docs/performance.md, session 13).
        memory_settle ();
    }
    return rc;
}

//  Names the claims marked sent as the call's subjects, payers in id order
//  and each payer's in the order they were marked.
static void
s_name_subjects (server_call_t *call, zhashx_t *payers, zlistx_t *ids)
{
    for (const char *id = (const char *) zlistx_first (ids); id; id = (const char *) zlistx_next (ids)) {
        s_payer_t *payer = (s_payer_t *) zhashx_lookup (payers, id);
        for (const char *item = (const char *) zlistx_first (payer->pcns); item;
             item = (const char *) zlistx_next (payer->pcns))
            if (*item == S_MARKED)
                server_call_subject (call, item + 2);
    }
}

//  Names of files committed and not yet written, in control order.
static zlistx_t *s_pending_files;

static int
s_submit (server_call_t *call)
{
    claims_t *self = claims_state (call);
    SubmitClaimsRequest *request = (SubmitClaimsRequest *) call->body;
    zhashx_t *payers = zhashx_new ();
    zhashx_set_destructor (payers, s_payer_free);
    SubmitClaimsReply reply = SUBMIT_CLAIMS_REPLY__INIT;
    int rc = 0;
    //  A store behind the register (restored from an older copy) learns
    //  from it which claims went out since.
    zhashx_t *sent_since = NULL;
    uint64_t store_control;
    rc = store_get_u64 (self->store, call->txn, "meta", "isa_control", &store_control);
    if (rc == 0 && store_control < outbound_last_control (self->outbound)) {
        char error [512];
        sent_since = outbound_sent_since (self->outbound, (uint32_t) store_control, error, sizeof error);
        if (!sent_since)
            rc = server_call_fail (call, STATUS__UNAVAILABLE, "claims.Submit: %s", error);
        else
            log_warn ("the claims store is older than the outbound register: claims sent since are not sent again",
                      "store_control", json_integer ((json_int_t) store_control),
                      "register_control", json_integer (outbound_last_control (self->outbound)), NULL);
    }
    for (size_t row = 0; row < sizeof s_outgoing / sizeof s_outgoing [0] && rc == 0 && call->status == STATUS__OK; row++)
        rc = s_gather (self, call->txn, request, row, payers, &reply);
    int64_t limit = SUBMIT_FILE_CLAIMS;
    char error [256];
    if (rc == 0 && call->status == STATUS__OK
    &&  config_get_int_checked (self->config, "claims/submit-file-claims", SUBMIT_FILE_CLAIMS, 1, 1000000,
                                &limit, error, sizeof error))
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.Submit: %s", error);
    //  Payers in id order, so control numbers follow a stable order.
    zlistx_t *ids = zhashx_keys (payers);
    zlistx_set_comparator (ids, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (ids);
    s_arena_t arena;
    s_arena_open (&arena);
    for (char *id = (char *) zlistx_first (ids); id && rc == 0 && call->status == STATUS__OK;
         id = (char *) zlistx_next (ids))
        rc = s_write_payer (self, call, (s_payer_t *) zhashx_lookup (payers, id), sent_since, (size_t) limit,
                            &arena, &reply);
    s_arena_close (&arena);
    s_name_subjects (call, payers, ids);
    zlistx_destroy (&ids);
    zhashx_destroy (&payers);
    zhashx_destroy (&sent_since);
    if (rc == 0 && call->status == STATUS__OK) {
        server_call_reply (call, &reply);
        if (!s_pending_files) {
            s_pending_files = zlistx_new ();
            zlistx_set_destructor (s_pending_files, (zlistx_destructor_fn *) zstr_free);
        }
        for (size_t i = 0; i < reply.n_files; i++)
            zlistx_add_end (s_pending_files, strdup (reply.files [i]));
    }
    for (size_t i = 0; i < reply.n_files; i++)
        free (reply.files [i]);
    free (reply.files);
    for (size_t i = 0; i < reply.n_skipped; i++)
        free (reply.skipped [i]);
    free (reply.skipped);
    return rc;
}

//  Writes one stored submission's file and registers it; 0 or not.
static int
s_write_file (claims_t *self, const Submission *submission)
{
    char error [512];
    size_t size;
    char *text = phi_open (self->phi_key, submission->filename, SUBMISSION_FIELD,
                           submission->content.data, submission->content.len, &size);
    if (!text) {
        log_error ("837P file not written: its stored copy does not open with this deployment's PHI key",
                   "file", json_string (submission->filename), NULL);
        return -1;
    }
    int rc = outbound_send (self->outbound, submission, (const uint8_t *) text, size, error, sizeof error);
    sodium_memzero (text, size);
    free (text);
    if (rc == 0)
        log_info ("837P file written", "file", json_string (submission->filename),
                  "claims", json_integer (submission->claims), NULL);
    else
    if (rc == FILES_EXISTS)
        log_error ("837P file not written: another file of that name is in the outbound folder and is not overwritten",
                   "file", json_string (submission->filename), "folder", json_string (outbound_dir (self->outbound)), NULL);
    else
        log_error ("cannot write 837P file", "file", json_string (submission->filename),
                   "error", json_string (error), NULL);
    return rc;
}

//  A stored submission waiting for its file: its control number and name
//  only. Each submission holds its whole sealed 837P text (~3.4 MB for
//  5,000 claims), so holding them all decoded to sort them held the whole
//  submit's output at once (~700 MB at 1M claims: claims' RssAnon high
//  mark after a submit, issue 19).
typedef struct {
    uint32_t control;
    char *filename;
} s_pending_t;

static int
s_by_control (const void *a, const void *b)
{
    const s_pending_t *x = (const s_pending_t *) a, *y = (const s_pending_t *) b;
    return x->control < y->control? -1: x->control > y->control;
}

static const uint32_t s_control_field [] = { 7 };     //  Submission.control

//  Adds the stored submission (name, bytes) to pending when the register
//  does not hold it yet, reading its control number alone.
static void
s_pending_add (s_pending_t **pending, size_t *count, size_t *capacity, uint32_t done,
               const char *name, size_t name_size, const MDB_val *value)
{
    Submission *head = (Submission *) codec_decode_fields (&submission__descriptor, value->mv_data, value->mv_size,
                                                           s_control_field, 1);
    uint32_t control = head? head->control: 0;
    codec_free (head);
    if (control <= done)
        return;
    if (*count == *capacity) {
        *capacity = *capacity? *capacity * 2: 64;
        *pending = (s_pending_t *) realloc (*pending, *capacity * sizeof (s_pending_t));
        assert (*pending);
    }
    (*pending) [(*count)++] = (s_pending_t) { control, strndup (name, name_size) };
}

//  Writes the stored submissions the register does not hold yet, in
//  control order: those named, or with names NULL every one (at start,
//  after a crash between a commit and its files). Submissions from before
//  the register (control 0) were written when they were made. One
//  submission is decoded at a time.
static void
s_write_pending (claims_t *self, zlistx_t *names)
{
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return;
    uint32_t done = outbound_last_control (self->outbound);
    s_pending_t *pending = NULL;
    size_t count = 0, capacity = 0;
    MDB_val key, value;
    if (names) {
        for (const char *name = (const char *) zlistx_first (names); name; name = (const char *) zlistx_next (names))
            if (store_get (self->store, txn, "submissions", name, strlen (name), &value) == 0)
                s_pending_add (&pending, &count, &capacity, done, name, strlen (name), &value);
    }
    else {
        store_iter_t *iter = store_iter_new (self->store, txn, "submissions", NULL, 0);
        while (store_iter_next (iter, &key, &value))
            s_pending_add (&pending, &count, &capacity, done, (const char *) key.mv_data, key.mv_size, &value);
        store_iter_destroy (&iter);
    }
    if (count)
        qsort (pending, count, sizeof (s_pending_t), s_by_control);
    //  In order, and no further than the first that fails: the register's
    //  last control number says how far the files are written, so one
    //  left behind is found again at the next start.
    bool failed = false;
    for (size_t i = 0; i < count; i++) {
        Submission *submission = NULL;
        if (!failed && store_get (self->store, txn, "submissions", pending [i].filename,
                                  strlen (pending [i].filename), &value) == 0)
            submission = (Submission *) codec_decode (&submission__descriptor, value.mv_data, value.mv_size);
        if (!failed && !submission)
            log_error ("837P file not written: its stored submission cannot be read",
                       "file", json_string (pending [i].filename), NULL);
        failed = failed || !submission || s_write_file (self, submission);
        codec_free (submission);
        free (pending [i].filename);
    }
    free (pending);
    store_read_end (&txn);
}

void
submit_write_files (claims_t *self)
{
    s_write_pending (self, NULL);
}

void
submit_committed (claims_t *self)
{
    if (s_pending_files && zlistx_size (s_pending_files)) {
        s_write_pending (self, s_pending_files);
        zlistx_purge (s_pending_files);
    }
}

const server_method_t claims_submit_methods [] = {
    //  Writes every ready claim of every queue (filters are not scope): internal only.
    { "claims.Submit", "claims.submit", &submit_claims_request__descriptor, s_submit, SERVER_INTERNAL, NULL, SERVER_NO_PHI },
    { NULL }
};
